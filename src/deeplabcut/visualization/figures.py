"""Matplotlib figures without pyplot: no global state, nothing left open."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from deeplabcut.utils.atomic import atomic_path


def new_figure(**figure_options: object) -> Figure:
    """A Figure drawn by the Agg (file-only) backend, independent of pyplot.

    It is freed like any Python object once unreferenced; no ``plt.close`` needed.
    """
    figure = Figure(**figure_options)
    FigureCanvasAgg(figure)
    return figure


def save_figure(figure: Figure, path: str | Path, dpi: float | None = None, **savefig_options: object) -> Path:
    """Save ``figure`` to ``path`` atomically (format from the extension); return the path."""
    path = Path(path)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=dpi, format=path.suffix.lstrip(".") or None, **savefig_options)
    return path
