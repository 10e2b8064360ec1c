"""DeepLabCut-style trajectory plots of an analysed video."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.colors import BoundaryNorm, ListedColormap

from deeplabcut.formats.pose_table import poses_from_dataframe
from deeplabcut.visualization.colors import get_colors
from deeplabcut.visualization.figures import new_figure, save_figure


def _add_bodypart_colorbar(figure, axes, colors: np.ndarray, bodyparts: list[str]) -> None:
    count = len(bodyparts)
    mappable = ScalarMappable(
        norm=BoundaryNorm(np.arange(count + 1) - 0.5, count), cmap=ListedColormap(colors)
    )
    colorbar = figure.colorbar(mappable, ax=axes, ticks=np.arange(count))
    colorbar.set_ticklabels(bodyparts)


def plot_trajectories(
    dataframe: pd.DataFrame,
    output_folder: str | Path,
    bodyparts: Sequence[str] | None = None,
    pcutoff: float = 0.6,
    cmap: str = "rainbow",
    suffix: str = ".png",
    individuals: Sequence[str] | None = None,
    alpha: float = 0.7,
    linewidth: float = 1.0,
    resolution: int = 100,
) -> list[Path]:
    """Plot each individual's keypoints over time, four figures per individual.

    Files (``<name>`` is the individual, empty for single-animal data):

    * ``trajectory<name><suffix>``: y against x (image orientation, y down);
    * ``plot<name><suffix>``: x (dashed) and y (solid) against frame index;
    * ``plot-likelihood<name><suffix>``: likelihood against frame index;
    * ``hist<name><suffix>``: histogram of the frame-to-frame displacement in pixels.

    Points with likelihood ``< pcutoff`` are left out of all but the
    likelihood plot. Colours follow the bodyparts, as in DeepLabCut.

    Args:
        dataframe: analysis output (3- or 4-level columns, x/y/likelihood).
        output_folder: where to write (created if needed).
        bodyparts / individuals: plot only these.
        pcutoff: likelihood cutoff.
        cmap: matplotlib colormap.
        suffix: file ending including the image type (``".png"``, ``"_filtered.svg"``).
        resolution: dots per inch.

    Returns:
        The written files.
    """
    table = poses_from_dataframe(dataframe, bodyparts=bodyparts, individuals=individuals)
    output_folder = Path(output_folder)
    output_folder.mkdir(parents=True, exist_ok=True)
    colors = get_colors(len(table.bodyparts), cmap)
    frames = table.frame_indices
    written: list[Path] = []
    for i, individual in enumerate(table.individuals):
        poses = table.poses[:, i]  # (T, K, 3)
        present = [k for k in range(len(table.bodyparts)) if np.isfinite(poses[:, k, 2]).any()]
        if not present:
            continue
        names = [table.bodyparts[k] for k in present]
        shown_colors = colors[present]

        trajectory = new_figure(figsize=(8, 6))
        trajectory_axes = trajectory.add_subplot()
        trajectory_axes.set_xlabel("X position in pixels")
        trajectory_axes.set_ylabel("Y position in pixels")
        trajectory_axes.invert_yaxis()
        positions = new_figure(figsize=(10, 3))
        position_axes = positions.add_subplot()
        position_axes.set_xlabel("Frame index")
        position_axes.set_ylabel("X (dashed) and Y (solid) in pixels")
        likelihood = new_figure(figsize=(10, 3))
        likelihood_axes = likelihood.add_subplot()
        likelihood_axes.set_xlabel("Frame index")
        likelihood_axes.set_ylabel("Likelihood (use to set pcutoff)")
        likelihood_axes.axhline(pcutoff, color="gray", linewidth=0.8, linestyle=":")
        histogram = new_figure()
        histogram_axes = histogram.add_subplot()
        histogram_axes.set_xlabel("Frame-to-frame displacement in pixels")
        histogram_axes.set_ylabel("Count")

        steps = []
        with np.errstate(invalid="ignore"):
            for k, color in zip(present, shown_colors):
                x, y, score = poses[:, k, 0], poses[:, k, 1], poses[:, k, 2]
                kept = score >= pcutoff
                x_kept = np.where(kept, x, np.nan)
                y_kept = np.where(kept, y, np.nan)
                trajectory_axes.plot(x_kept, y_kept, ".", color=color, alpha=alpha, markersize=3)
                position_axes.plot(frames, x_kept, "--", color=color, linewidth=linewidth, alpha=alpha)
                position_axes.plot(frames, y_kept, "-", color=color, linewidth=linewidth, alpha=alpha)
                likelihood_axes.plot(frames, score, "-", color=color, linewidth=linewidth, alpha=alpha)
                consecutive = np.diff(frames) == 1
                step = np.hypot(np.diff(x_kept), np.diff(y_kept))[consecutive]
                steps.append(step[np.isfinite(step)])
        largest = max((s.max() for s in steps if len(s)), default=0.0)
        bins = np.linspace(0.0, max(largest, 1.0), 50)
        for step, color in zip(steps, shown_colors):
            if len(step):
                histogram_axes.hist(step, bins=bins, color=color, histtype="step", linewidth=linewidth)

        for figure, axes, stem in (
            (trajectory, trajectory_axes, "trajectory"),
            (positions, position_axes, "plot"),
            (likelihood, likelihood_axes, "plot-likelihood"),
            (histogram, histogram_axes, "hist"),
        ):
            _add_bodypart_colorbar(figure, axes, shown_colors, names)
            if individual:
                axes.set_title(individual, fontsize=9)
            written.append(
                save_figure(figure, output_folder / f"{stem}{individual}{suffix}", dpi=resolution, bbox_inches="tight")
            )
    return written
