"""Colours for bodyparts and individuals, from matplotlib colormaps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import matplotlib
import matplotlib.colors as mcolors
import numpy as np

from deeplabcut.errors import ConfigError

ColorSpec = Union[str, Sequence[float], np.ndarray]
"""A matplotlib colour name (``"black"``, ``"k"``, ``"#ff0000"``), RGB floats
in [0, 1], or RGB integers in [0, 255]."""


def get_colors(n: int, cmap: str = "rainbow") -> np.ndarray:
    """``n`` colours evenly spread over a matplotlib colormap, as DeepLabCut picks them.

    Args:
        n: how many colours (bodyparts or individuals).
        cmap: a matplotlib colormap name (config.yaml ``colormap``).

    Returns:
        ``(n, 3)`` float RGB in [0, 1]; colour ``i`` is the colormap at ``i / (n - 1)``.
    """
    try:
        colormap = matplotlib.colormaps[cmap]
    except KeyError:
        raise ConfigError(
            f"Unknown colormap {cmap!r} (config.yaml 'colormap'); use a matplotlib colormap "
            "name such as 'rainbow', 'viridis' or 'tab10'."
        ) from None
    return np.asarray(colormap(np.linspace(0.0, 1.0, n)), dtype=float)[:, :3].reshape(n, 3)


def to_rgb255(color: ColorSpec) -> tuple[int, int, int]:
    """One colour as an ``(r, g, b)`` tuple of ints in [0, 255].

    Strings go through matplotlib; numbers are taken as 0-255 when they are
    integers or any exceeds 1, otherwise as 0-1 floats.
    """
    if isinstance(color, str):
        try:
            values = np.asarray(mcolors.to_rgb(color)) * 255.0
        except ValueError:
            raise ConfigError(
                f"Unknown colour {color!r}; use a matplotlib colour name ('black', 'white', 'k', "
                "'#ff8800') or an RGB triple."
            ) from None
    else:
        values = np.asarray(color, dtype=float).ravel()[:3]
        is_integer = np.issubdtype(np.asarray(color).dtype, np.integer)
        if not is_integer and values.max(initial=0.0) <= 1.0:
            values = values * 255.0
    r, g, b = (int(v) for v in np.clip(np.round(values), 0, 255))
    return r, g, b


def colors_to_rgb255(colors: np.ndarray | Sequence[ColorSpec]) -> np.ndarray:
    """Many colours as an ``(n, 3)`` uint8 array (see :func:`to_rgb255` for the rules)."""
    if isinstance(colors, np.ndarray) and colors.ndim == 2 and colors.shape[1] >= 3 and colors.dtype.kind in "uif":
        if colors.dtype.kind in "ui" or colors[:, :3].max(initial=0) > 1.0:
            return np.clip(np.round(colors[:, :3]), 0, 255).astype(np.uint8)
        return np.clip(np.round(colors[:, :3] * 255.0), 0, 255).astype(np.uint8)
    return np.array([to_rgb255(color) for color in colors], dtype=np.uint8).reshape(-1, 3)
