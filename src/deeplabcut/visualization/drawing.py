"""Draw keypoints and skeletons onto RGB frames with OpenCV (anti-aliased, sub-pixel)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import cv2
import numpy as np

from deeplabcut.errors import ConfigError, LabelError
from deeplabcut.visualization.colors import ColorSpec, colors_to_rgb255, get_colors, to_rgb255

_SHIFT = 4  # OpenCV fixed-point bits: coordinates are drawn at 1/16 pixel precision
_SCALE = 1 << _SHIFT
_FAR = 1e6  # coordinates are clipped to +-this many pixels before fixed-point conversion

LowConfidence = Literal["hide", "cross"]
ColorBy = Literal["bodypart", "individual"]


def _as_poses(poses: np.ndarray) -> np.ndarray:
    """``(N, K, 3)`` float; a score of 1 is assumed when only ``(x, y)`` is given."""
    poses = np.asarray(poses, dtype=float)
    if poses.ndim == 2:
        poses = poses[None]
    if poses.ndim != 3 or poses.shape[-1] not in (2, 3):
        raise ValueError(
            f"poses have shape {poses.shape}; expected (individuals, bodyparts, 3) holding "
            "(x, y, likelihood) in pixels, or (individuals, bodyparts, 2)."
        )
    if poses.shape[-1] == 2:
        poses = np.concatenate([poses, np.ones(poses.shape[:-1] + (1,))], axis=-1)
    return poses


def _fixed_point(xy: np.ndarray) -> tuple[int, int]:
    x, y = np.clip(xy, -_FAR, _FAR)
    return int(round(x * _SCALE)), int(round(y * _SCALE))


def _resolve_colors(
    colors: np.ndarray | Sequence[ColorSpec] | None,
    count: int,
    cmap: str,
    what: str,
) -> np.ndarray:
    if colors is None:
        return colors_to_rgb255(get_colors(count, cmap))
    resolved = colors_to_rgb255(colors)
    if len(resolved) < count:
        raise ConfigError(f"Got {len(resolved)} colours for {count} {what}; give one colour per {what[:-1]}.")
    return resolved


def draw_poses(
    image: np.ndarray,
    poses: np.ndarray,
    colors: np.ndarray | Sequence[ColorSpec] | None = None,
    pcutoff: float = 0.6,
    dot_size: float = 6,
    skeleton: Sequence[tuple[int, int]] | None = None,
    skeleton_color: ColorSpec = "black",
    alpha: float = 1.0,
    color_by: ColorBy = "bodypart",
    low_confidence: LowConfidence = "hide",
    cmap: str = "rainbow",
    line_width: int = 1,
    copy: bool = True,
) -> np.ndarray:
    """Draw keypoints (filled discs) and skeleton lines onto an RGB image.

    Args:
        image: ``(H, W, 3)`` RGB uint8.
        poses: ``(N, K, 3)`` ``(x, y, likelihood)`` in pixels of ``image``
            (``(K, 3)`` for one animal; ``(..., 2)`` counts as fully confident).
            NaN coordinates are not drawn.
        colors: one colour per bodypart (``color_by="bodypart"``) or per
            individual (``"individual"``): ``(n, 3)`` floats in [0, 1], uint8 in
            [0, 255], or matplotlib colour names. Default: ``get_colors(n, cmap)``.
        pcutoff: a point is confident when its likelihood is ``> pcutoff``
            (DeepLabCut's rule for labeled videos).
        dot_size: disc radius in pixels.
        skeleton: pairs of bodypart indices to join with a line when both ends
            are confident.
        skeleton_color: colour of the skeleton lines.
        alpha: opacity of everything drawn (1 = opaque).
        color_by: ``"bodypart"`` or ``"individual"``.
        low_confidence: ``"hide"`` skips points at or below ``pcutoff``;
            ``"cross"`` draws them as an "x" of the same size instead of a disc.
        cmap: colormap used when ``colors`` is None.
        line_width: width in pixels of skeleton lines and crosses.
        copy: draw on a copy (default) or in place (``image`` must then be a
            C-contiguous uint8 array).

    Returns:
        The drawn image, ``(H, W, 3)`` RGB uint8.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"image must be (H, W, 3) RGB uint8; got {image.shape} {image.dtype}.")
    if low_confidence not in ("hide", "cross"):
        raise ConfigError(f"low_confidence must be 'hide' or 'cross', got {low_confidence!r}.")
    if color_by not in ("bodypart", "individual"):
        raise ConfigError(f"color_by must be 'bodypart' or 'individual', got {color_by!r}.")
    poses = _as_poses(poses)
    num_individuals, num_bodyparts = poses.shape[:2]
    canvas = np.array(image, copy=True, order="C") if copy else image
    if num_individuals == 0 or num_bodyparts == 0:
        return canvas
    palette = _resolve_colors(
        colors,
        num_bodyparts if color_by == "bodypart" else num_individuals,
        cmap,
        "bodyparts" if color_by == "bodypart" else "individuals",
    )
    overlay = canvas.copy() if alpha < 1.0 else canvas

    finite = np.isfinite(poses[..., :2]).all(axis=-1)
    with np.errstate(invalid="ignore"):
        confident = finite & (poses[..., 2] > pcutoff)
    radius = max(int(round(dot_size * _SCALE)), 1)
    line_width = max(int(line_width), 1)

    if skeleton:
        skeleton_rgb = to_rgb255(skeleton_color)
        for individual in range(num_individuals):
            for first, second in skeleton:
                if confident[individual, first] and confident[individual, second]:
                    cv2.line(
                        overlay,
                        _fixed_point(poses[individual, first, :2]),
                        _fixed_point(poses[individual, second, :2]),
                        skeleton_rgb,
                        line_width,
                        cv2.LINE_AA,
                        _SHIFT,
                    )

    for individual, bodypart in zip(*np.nonzero(finite)):
        index = bodypart if color_by == "bodypart" else individual
        color = tuple(int(c) for c in palette[index])
        center = _fixed_point(poses[individual, bodypart, :2])
        if confident[individual, bodypart]:
            cv2.circle(overlay, center, radius, color, -1, cv2.LINE_AA, _SHIFT)
        elif low_confidence == "cross":
            half = int(round(dot_size * _SCALE / np.sqrt(2)))
            x, y = center
            cv2.line(overlay, (x - half, y - half), (x + half, y + half), color, line_width, cv2.LINE_AA, _SHIFT)
            cv2.line(overlay, (x - half, y + half), (x + half, y - half), color, line_width, cv2.LINE_AA, _SHIFT)

    if overlay is not canvas:
        cv2.addWeighted(overlay, alpha, canvas, 1.0 - alpha, 0.0, dst=canvas)
    return canvas


def skeleton_indices(
    skeleton: Sequence[Sequence[str | int]] | None, bodyparts: Sequence[str]
) -> list[tuple[int, int]]:
    """Map skeleton pairs given by bodypart name (config.yaml ``skeleton``) or index to index pairs.

    Pairs naming a bodypart that is not in ``bodyparts`` are skipped (as
    DeepLabCut does when some bodyparts are not displayed).
    """
    if not skeleton:
        return []
    position = {name: index for index, name in enumerate(bodyparts)}
    pairs = []
    for pair in skeleton:
        if len(pair) != 2:
            raise LabelError(f"Skeleton entry {pair!r} must be a pair of bodyparts.")
        resolved = []
        for end in pair:
            if isinstance(end, (int, np.integer)):
                resolved.append(int(end) if 0 <= int(end) < len(bodyparts) else None)
            else:
                resolved.append(position.get(str(end)))
        if None not in resolved:
            pairs.append((resolved[0], resolved[1]))
    return pairs
