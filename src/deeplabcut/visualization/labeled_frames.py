"""Labeled images with matplotlib: ground truth "+", predictions "o", unsure predictions "x", animal boxes.

Used by ``check_labels`` (ground truth only) and by evaluation plotting
(ground truth and predictions). The picture is rendered at the image's own
resolution (one figure pixel per image pixel), so it can be compared with
the image pixel for pixel.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from deeplabcut.errors import ConfigError
from deeplabcut.utils.atomic import write_bytes_atomic
from deeplabcut.visualization.colors import ColorSpec, colors_to_rgb255, get_colors, to_rgb255
from deeplabcut.visualization.drawing import skeleton_indices
from deeplabcut.visualization.figures import new_figure

PlotMode = Literal["bodypart", "individual"]
_LEGEND_GRAY = (0.35, 0.35, 0.35)
_MAX_LEGEND_COLOR_ENTRIES = 24


def _as_points(array: np.ndarray | None, columns: int, what: str) -> np.ndarray | None:
    if array is None:
        return None
    points = np.asarray(array, dtype=float)
    if points.ndim == 2:
        points = points[None]
    if points.ndim != 3 or points.shape[-1] < columns:
        raise ValueError(
            f"{what} has shape {points.shape}; expected (individuals, bodyparts, {columns})."
        )
    return points


class LabeledFramePlotter:
    """A reusable matplotlib figure for labeled frames (fast for many images).

    Not thread-safe: use one plotter per thread. Nothing needs closing; the
    figure is freed with the plotter.

    Example:
        >>> plotter = LabeledFramePlotter()
        >>> for image, labels, path in items:
        ...     plotter.plot(image, ground_truth=labels, bodyparts=names, output_path=path)
    """

    def __init__(self, dpi: int = 100) -> None:
        self.dpi = dpi
        self.figure = new_figure(dpi=dpi, frameon=False)
        self.axes = self.figure.add_axes((0.0, 0.0, 1.0, 1.0))
        self.axes.set_axis_off()
        self._frame_artists: list = []  # drawn for one frame, removed before the next

    def plot(
        self,
        image: np.ndarray,
        ground_truth: np.ndarray | None = None,
        predictions: np.ndarray | None = None,
        bodyparts: Sequence[str] | None = None,
        pcutoff: float = 0.6,
        colors: np.ndarray | Sequence[ColorSpec] | None = None,
        mode: PlotMode = "bodypart",
        output_path: str | Path | None = None,
        title: str | None = None,
        individuals: Sequence[str] | None = None,
        cmap: str = "rainbow",
        dot_size: float = 12,
        alpha: float = 0.7,
        skeleton: Sequence[Sequence[str | int]] | None = None,
        skeleton_color: ColorSpec = "black",
        legend: bool = True,
        bboxes: np.ndarray | None = None,
        bbox_scores: np.ndarray | None = None,
        bbox_pcutoff: float = 0.6,
        bbox_color: ColorSpec = "red",
    ) -> np.ndarray:
        """Draw one labeled frame; write it to ``output_path`` if given.

        Args:
            image: ``(H, W, 3)`` RGB uint8 (or ``(H, W)`` grayscale).
            ground_truth: ``(N, K, 2)`` labels in pixels of ``image``, NaN =
                unlabeled; drawn as "+".
            predictions: ``(N', K, 3)`` ``(x, y, likelihood)``; drawn as dots when
                likelihood ``> pcutoff``, as "x" otherwise. -1/NaN = none.
            bodyparts: the ``K`` names (legend, skeleton by name).
            pcutoff: likelihood cutoff between dots and crosses.
            colors: one colour per bodypart (``mode="bodypart"``) or individual.
            mode: ``"bodypart"`` or ``"individual"`` colouring.
            output_path: image file to write (format from the extension).
            title: text written in the top-left corner.
            individuals: names for the legend in ``"individual"`` mode.
            cmap: colormap for default colours.
            dot_size: marker size in points.
            alpha: marker opacity.
            skeleton: pairs of bodypart names or indices, drawn between labeled
                ground-truth points (or confident predictions when there is no
                ground truth).
            legend: draw a legend of markers and colours in a strip to the right of
                the image (the image area itself stays pixel for pixel the image).
            bboxes: ``(N, 4)`` ``[x1, y1, x2, y2]`` animal boxes in pixels of ``image``
                (a top-down model's detections); rows with a score < 0 or NaN are skipped.
            bbox_scores: ``(N,)`` their scores: boxes scored below ``bbox_pcutoff`` are dashed.
            bbox_color: the boxes' colour.

        Returns:
            The rendered picture, ``(H, W + legend strip, 3)`` RGB uint8.
        """
        if mode not in ("bodypart", "individual"):
            raise ConfigError(f"mode must be 'bodypart' or 'individual', got {mode!r}.")
        image = np.asarray(image)
        height, width = image.shape[:2]
        gt = _as_points(ground_truth, 2, "ground_truth")
        pred = _as_points(predictions, 3, "predictions")
        num_bodyparts = next((p.shape[1] for p in (gt, pred) if p is not None), len(bodyparts or []))
        num_individuals = max((p.shape[0] for p in (gt, pred) if p is not None), default=0)
        num_colors = num_bodyparts if mode == "bodypart" else num_individuals
        palette = (
            colors_to_rgb255(get_colors(num_colors, cmap) if colors is None else colors).astype(float)
            / 255.0
        )
        if len(palette) < num_colors:
            raise ConfigError(f"Got {len(palette)} colours for {num_colors} {mode}s.")

        figure, axes = self.figure, self.axes
        legend_names = list(bodyparts or []) if mode == "bodypart" else list(individuals or [])
        strip = _legend_width(legend_names + ["predicted, p <= 0.00"]) if legend else 0
        total_width = width + strip
        figure.set_size_inches((total_width + 0.01) / self.dpi, (height + 0.01) / self.dpi)
        axes.set_position((0.0, 0.0, width / total_width, 1.0))
        for artist in self._frame_artists:
            artist.remove()
        self._frame_artists = []
        # the figure has exactly the image's pixels: paste the image unresampled
        background = figure.figimage(
            image, xo=0, yo=0, origin="upper", cmap="gray" if image.ndim == 2 else None,
            vmin=0, vmax=255 if image.dtype == np.uint8 else None, zorder=-1,
        )
        self._frame_artists.append(background)
        axes.set_xlim(-0.5, width - 0.5)
        axes.set_ylim(height - 0.5, -0.5)
        axes.patch.set_visible(False)
        keep = self._frame_artists.append

        def color_of(individual: np.ndarray, bodypart: np.ndarray) -> np.ndarray:
            return palette[bodypart if mode == "bodypart" else individual]

        names = list(bodyparts) if bodyparts else [str(k) for k in range(num_bodyparts)]
        pairs = skeleton_indices(skeleton, names)
        skeleton_source = gt if gt is not None else pred
        if pairs and skeleton_source is not None:
            line_color = np.asarray(to_rgb255(skeleton_color)) / 255.0
            for animal in skeleton_source:
                for first, second in pairs:
                    ends = animal[[first, second]]
                    visible = np.isfinite(ends[:, :2]).all()
                    if ends.shape[1] > 2:
                        visible = visible and bool((ends[:, 2] > pcutoff).all())
                    if visible:
                        keep(axes.plot(ends[:, 0], ends[:, 1], color=line_color, alpha=alpha, linewidth=1)[0])

        if bboxes is not None:
            boxes = np.asarray(bboxes, dtype=float).reshape(-1, 4)
            box_scores = np.ones(len(boxes)) if bbox_scores is None else np.asarray(bbox_scores, dtype=float).reshape(-1)
            edge = np.asarray(to_rgb255(bbox_color)) / 255.0
            for (x1, y1, x2, y2), score in zip(boxes, box_scores):
                if not (np.isfinite([x1, y1, x2, y2, score]).all() and score >= 0):
                    continue
                keep(axes.add_patch(Rectangle(
                    (x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=edge, linewidth=1,
                    linestyle="-" if score >= bbox_pcutoff else "--",
                )))

        size = dot_size**2
        markers_used = []
        if gt is not None:
            individual, bodypart = np.nonzero(np.isfinite(gt[..., :2]).all(axis=-1))
            if len(individual):
                keep(axes.scatter(gt[individual, bodypart, 0], gt[individual, bodypart, 1], s=size,
                                  marker="+", c=color_of(individual, bodypart), alpha=alpha, linewidths=1.5))
                markers_used.append(("+", "labeled"))
        if pred is not None:
            finite = np.isfinite(pred[..., :3]).all(axis=-1) & (pred[..., 2] >= 0)
            with np.errstate(invalid="ignore"):
                confident = finite & (pred[..., 2] > pcutoff)
            for mask, marker, label, scale in (
                (confident, "o", f"predicted, p > {pcutoff:g}", 0.5),
                (finite & ~confident, "x", f"predicted, p <= {pcutoff:g}", 0.6),
            ):
                individual, bodypart = np.nonzero(mask)
                if len(individual):
                    keep(axes.scatter(pred[individual, bodypart, 0], pred[individual, bodypart, 1],
                                      s=size * scale, marker=marker, c=color_of(individual, bodypart),
                                      alpha=alpha, linewidths=1.5 if marker == "x" else 0))
                    markers_used.append((marker, label))

        if title:
            keep(axes.text(4, 4, title, color="white", fontsize=8, va="top", ha="left",
                           bbox={"facecolor": "black", "alpha": 0.5, "pad": 2, "linewidth": 0}))
        if legend and (markers_used or num_colors):
            handles = [
                Line2D([], [], linestyle="none", marker=marker, color=_LEGEND_GRAY, label=label, markersize=6)
                for marker, label in markers_used
            ]
            color_names = list(bodyparts) if mode == "bodypart" and bodyparts else (
                list(individuals) if mode == "individual" and individuals else []
            )
            if color_names and len(color_names) <= _MAX_LEGEND_COLOR_ENTRIES:
                handles += [
                    Line2D([], [], linestyle="none", marker="s", color=palette[i], label=name, markersize=6)
                    for i, name in enumerate(color_names[:num_colors])
                ]
            if handles:
                keep(axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=6,
                                 frameon=False, borderpad=0.3, labelspacing=0.2, handletextpad=0.3))

        figure.canvas.draw()
        rendered = np.asarray(figure.canvas.buffer_rgba())[:height, :total_width, :3].copy()
        if output_path is not None:
            output_path = Path(output_path)
            ok, encoded = cv2.imencode(output_path.suffix or ".png", cv2.cvtColor(rendered, cv2.COLOR_RGB2BGR))
            if not ok:
                raise ConfigError(f"Cannot encode an image as {output_path.suffix!r} for {output_path}; use .png or .jpg.")
            write_bytes_atomic(output_path, encoded.tobytes())
        return rendered


def _legend_width(labels: Sequence[str]) -> int:
    """Pixels of the legend strip: room for the longest label at 6 pt (about 4.5 px a character)."""
    return int(24 + 4.5 * max((len(str(label)) for label in labels), default=8))


def plot_labeled_frame(
    image: np.ndarray,
    ground_truth: np.ndarray | None,
    predictions: np.ndarray | None,
    bodyparts: Sequence[str] | None = None,
    pcutoff: float = 0.6,
    colors: np.ndarray | Sequence[ColorSpec] | None = None,
    mode: PlotMode = "bodypart",
    output_path: str | Path | None = None,
    title: str | None = None,
    plotter: LabeledFramePlotter | None = None,
    **options: object,
) -> np.ndarray:
    """Plot one labeled frame (see :meth:`LabeledFramePlotter.plot` for arguments).

    Pass a ``plotter`` to reuse its figure across many images (faster);
    otherwise a temporary one is made.

    Returns:
        The rendered picture, ``(H, W + legend strip, 3)`` RGB uint8.
    """
    plotter = plotter or LabeledFramePlotter()
    return plotter.plot(
        image,
        ground_truth=ground_truth,
        predictions=predictions,
        bodyparts=bodyparts,
        pcutoff=pcutoff,
        colors=colors,
        mode=mode,
        output_path=output_path,
        title=title,
        **options,
    )


def with_unique_row(animals: np.ndarray, unique: np.ndarray) -> np.ndarray:
    """Put unique bodyparts on an extra row so one array can be plotted.

    ``(A, K, c)`` animals and ``(U, c)`` unique points give ``(A + 1, K + U, c)``:
    the animals fill the first ``K`` columns, the unique points the last ``U``
    columns of the extra row, NaN elsewhere.
    """
    num_animals, num_bodyparts, channels = animals.shape
    out = np.full((num_animals + 1, num_bodyparts + len(unique), channels), np.nan)
    out[:num_animals, :num_bodyparts] = animals
    out[num_animals, num_bodyparts:] = unique
    return out
