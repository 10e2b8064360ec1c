"""Learning curves from DeepLabCut's ``train/learning_stats.csv``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from deeplabcut.errors import DLCError, MissingFileError, where
from deeplabcut.visualization.figures import new_figure, save_figure

_LOSS_STYLES = {"losses/train.": ("train", "-"), "losses/eval.": ("eval", "--")}


def _series(stats: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    values = pd.to_numeric(stats[column], errors="coerce")
    logged = values.notna().to_numpy()
    return stats["step"].to_numpy(dtype=float)[logged], values.to_numpy(dtype=float)[logged]


def _loss_columns(columns: list[str]) -> list[str]:
    """``total_loss`` of train and eval if logged, else every loss column."""
    totals = [c for c in columns if c.startswith(tuple(_LOSS_STYLES)) and c.endswith(".total_loss")]
    return totals or [c for c in columns if c.startswith(tuple(_LOSS_STYLES))]


def plot_learning_curve(learning_stats_csv: str | Path, output_png: str | Path, title: str | None = None) -> Path:
    """Plot losses and test metrics against epochs, in two panels.

    Top panel: train and eval ``total_loss`` (log scale when all positive).
    Bottom panel: test pixel errors (``metrics/test.rmse``,
    ``rmse_pcutoff``; DeepLabCut's "RMSE" is a mean pixel distance) on the left
    axis, and ``mAP``/``mAR`` (%) on the right axis. Other metric names with
    ``rmse``/``mAP``/``mAR`` in them (e.g. the detector's ``test.mAP@50:95``)
    are drawn the same way. Empty cells (epochs where a value was not logged)
    are skipped.

    Args:
        learning_stats_csv: the CSV: first column ``step`` (epoch), then one
            column per logged metric.
        output_png: the picture to write.

    Returns:
        ``output_png`` as a Path.
    """
    learning_stats_csv = Path(learning_stats_csv)
    if not learning_stats_csv.is_file():
        raise MissingFileError(
            f"Learning statistics {where(learning_stats_csv)} do not exist; they are written "
            "to the shuffle's train/ folder while a model trains."
        )
    stats = pd.read_csv(learning_stats_csv)
    if "step" not in stats.columns:
        raise DLCError(
            f"{where(learning_stats_csv)} has no 'step' column (found {list(stats.columns)[:5]}); "
            "expected DeepLabCut's learning_stats.csv layout: step, then metric columns."
        )
    stats = stats.sort_values("step")
    columns = [str(c) for c in stats.columns if c != "step"]

    figure = new_figure(figsize=(8, 6.5), layout="constrained")
    loss_axes, metric_axes = figure.subplots(2, 1, sharex=True)

    positive = True
    loss_drawn = False
    for column in _loss_columns(columns):
        prefix = next(p for p in _LOSS_STYLES if column.startswith(p))
        split, style = _LOSS_STYLES[prefix]
        steps, values = _series(stats, column)
        if len(values):
            positive &= bool((values > 0).all())
            name = column[len(prefix):]
            label = f"{split} {name}" if name != "total_loss" else f"{split} loss"
            loss_axes.plot(steps, values, style, marker="." if len(values) < 30 else None, label=label)
            loss_drawn = True
    if loss_drawn:
        if positive:
            loss_axes.set_yscale("log")
        loss_axes.legend(fontsize=8)
    else:
        loss_axes.text(0.5, 0.5, "no losses logged", transform=loss_axes.transAxes, ha="center", va="center")
    loss_axes.set_ylabel("loss")
    loss_axes.grid(True, which="both", alpha=0.3)

    error_columns = [c for c in columns if c.startswith("metrics/") and "rmse" in c]
    percent_columns = [c for c in columns if c.startswith("metrics/") and ("mAP" in c or "mAR" in c)]
    lines, labels = [], []
    for column in error_columns:
        steps, values = _series(stats, column)
        if len(values):
            (line,) = metric_axes.plot(steps, values, "-o", markersize=3)
            lines.append(line)
            labels.append(column.removeprefix("metrics/") + " (px)")
    metric_axes.set_ylabel("mean pixel error (px)")
    if percent_columns:
        percent_axes = metric_axes.twinx()
        cycle = iter(["tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:olive"])
        for column in percent_columns:
            steps, values = _series(stats, column)
            if len(values):
                (line,) = percent_axes.plot(steps, values, "--s", markersize=3, color=next(cycle, "tab:gray"))
                lines.append(line)
                labels.append(column.removeprefix("metrics/") + " (%)")
        percent_axes.set_ylabel("mAP / mAR (%)")
    if lines:
        metric_axes.legend(lines, labels, fontsize=8, loc="best")
    else:
        metric_axes.text(0.5, 0.5, "no evaluation logged", transform=metric_axes.transAxes, ha="center", va="center")
    metric_axes.set_xlabel("epoch")
    metric_axes.grid(True, alpha=0.3)
    if title is None:  # <shuffle folder>/train/learning_stats.csv -> the shuffle's name
        parent = learning_stats_csv.parent
        title = parent.parent.name if parent.name == "train" else learning_stats_csv.stem
    figure.suptitle(title, fontsize=10)
    return save_figure(figure, output_png, dpi=100)
