"""Colours from colormaps and colour specs."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from deeplabcut.errors import ConfigError
from deeplabcut.visualization import colors_to_rgb255, get_colors, to_rgb255


def test_colors_span_the_colormap_like_deeplabcut():
    colors = get_colors(5, "rainbow")
    rainbow = matplotlib.colormaps["rainbow"]
    assert colors.shape == (5, 3)
    np.testing.assert_allclose(colors[0], rainbow(0.0)[:3])
    np.testing.assert_allclose(colors[2], rainbow(0.5)[:3])
    np.testing.assert_allclose(colors[-1], rainbow(1.0)[:3])
    np.testing.assert_allclose(get_colors(1, "viridis")[0], matplotlib.colormaps["viridis"](0.0)[:3])


def test_unknown_colormap_is_a_config_error():
    with pytest.raises(ConfigError, match="'not_a_map'"):
        get_colors(3, "not_a_map")


def test_colour_specs():
    assert to_rgb255("black") == (0, 0, 0)
    assert to_rgb255("w") == (255, 255, 255)
    assert to_rgb255((1.0, 0.5, 0.0)) == (255, 128, 0)
    assert to_rgb255((255, 0, 10)) == (255, 0, 10)
    assert to_rgb255(np.array([0, 0, 1], dtype=np.uint8)) == (0, 0, 1)
    np.testing.assert_array_equal(colors_to_rgb255(["red", (0.0, 0.0, 1.0)]), [[255, 0, 0], [0, 0, 255]])
    np.testing.assert_array_equal(colors_to_rgb255(np.array([[0.0, 1.0, 0.0]])), [[0, 255, 0]])
    with pytest.raises(ConfigError, match="notacolour"):
        to_rgb255("notacolour")
