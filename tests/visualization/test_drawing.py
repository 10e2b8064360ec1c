"""draw_poses puts pixels where the confident points are, and nowhere else."""

from __future__ import annotations

import numpy as np
import pytest

from deeplabcut.visualization import draw_poses, skeleton_indices

RED, BLUE = (255, 0, 0), (0, 0, 255)


def black(height: int = 100, width: int = 120) -> np.ndarray:
    return np.zeros((height, width, 3), dtype=np.uint8)


def test_confident_points_are_discs_of_their_bodypart_colour():
    poses = np.array([[[30.0, 40.0, 0.9], [80.0, 20.0, 0.95]]])
    image = draw_poses(black(), poses, colors=[RED, BLUE], dot_size=4)
    np.testing.assert_array_equal(image[40, 30], RED)  # row y, column x
    np.testing.assert_array_equal(image[20, 80], BLUE)
    np.testing.assert_array_equal(image[40, 33], RED)  # inside the radius-4 disc
    assert not image[40, 36].any() and not image[46, 30].any()  # outside it
    drawn_rows, drawn_cols = np.nonzero(image.any(axis=-1))
    near_a_point = np.minimum(np.hypot(drawn_cols - 30, drawn_rows - 40), np.hypot(drawn_cols - 80, drawn_rows - 20))
    assert near_a_point.max() <= 5.5  # nothing drawn away from the points


def test_points_below_pcutoff_and_nan_points_are_hidden():
    poses = np.array([[[30.0, 40.0, 0.9], [70.0, 70.0, 0.3], [np.nan, 10.0, 0.99], [50.0, 50.0, 0.6]]])
    image = draw_poses(black(), poses, colors=[RED] * 4, pcutoff=0.6, dot_size=3)
    assert image[40, 30].any()
    assert not image[70, 70].any()
    assert not image[50, 50].any()  # likelihood == pcutoff is not above it
    assert image.any(axis=-1).sum() < 60  # only the one disc


def test_low_confidence_points_can_be_drawn_as_crosses():
    poses = np.array([[[70.0, 70.0, 0.3]]])
    image = draw_poses(black(), poses, colors=[RED], pcutoff=0.6, dot_size=6, low_confidence="cross")
    assert image[70, 70, 0] > 200  # the centre of the x
    assert image[74, 74, 0] > 100 and image[66, 74, 0] > 100  # its arms
    assert not image[70, 75].any() and not image[75, 70].any()  # not a disc


def test_skeleton_joins_confident_points_only():
    poses = np.array([[[20.0, 50.0, 0.9], [100.0, 50.0, 0.9], [60.0, 90.0, 0.1]]])
    image = draw_poses(
        black(), poses, colors=[RED] * 3, dot_size=2, skeleton=[(0, 1), (1, 2)], skeleton_color="white"
    )
    assert (image[50, 60] > 200).all()  # middle of the 0-1 line (anti-aliased, 1 px wide)
    assert not image[70, 80].any()  # middle of the 1-2 line: point 2 is not confident


def test_colour_by_individual_and_input_left_untouched():
    poses = np.array([[[20.0, 20.0, 0.9]], [[90.0, 70.0, 0.9]]])
    original = black()
    image = draw_poses(original, poses, colors=[RED, BLUE], color_by="individual", dot_size=3)
    np.testing.assert_array_equal(image[20, 20], RED)
    np.testing.assert_array_equal(image[70, 90], BLUE)
    assert not original.any()


def test_alpha_blends_with_the_frame():
    image = draw_poses(black(), np.array([[30.0, 40.0, 0.9]]), colors=[RED], alpha=0.5, dot_size=4)
    assert image[40, 30, 0] == pytest.approx(128, abs=1)
    assert image[40, 30, 1] == 0


def test_default_colours_come_from_the_colormap():
    image = draw_poses(black(), np.array([[30.0, 40.0, 0.9]]), cmap="rainbow", dot_size=4)
    np.testing.assert_array_equal(image[40, 30], (128, 0, 255))  # rainbow(0.0)


def test_skeleton_by_name_or_index():
    assert skeleton_indices([["a", "c"], ["c", "zz"], [0, 1]], ["a", "b", "c"]) == [(0, 2), (0, 1)]
    assert skeleton_indices(None, ["a"]) == []
