"""Crops around an animal: pixels land where the map back says they came from."""

import numpy as np

from deeplabcut.geometry import from_original, to_original
from deeplabcut.pose_estimation_pytorch.data.crops import crop_around_box


def test_a_marked_pixel_maps_back_to_its_place():
    image = np.zeros((120, 160, 3), np.uint8)
    image[40, 70] = 255  # (x=70, y=40)
    crop, scale, offset = crop_around_box(image, np.array([50.0, 30.0, 90.0, 60.0]), (48, 64))
    assert crop.shape == (64, 48, 3)
    y, x = np.unravel_index(crop[..., 0].argmax(), crop.shape[:2])
    back = to_original(np.array([[x, y, 1.0]]), scale, offset)[0]
    assert abs(back[0] - 70) <= scale[0] and abs(back[1] - 40) <= scale[1]
    inside = from_original(np.array([[70.0, 40.0]]), scale, offset)[0]
    assert abs(inside[0] - x) <= 1 and abs(inside[1] - y) <= 1


def test_identity_crop_is_the_image_itself():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, size=(32, 48, 3), dtype=np.uint8)
    crop, scale, offset = crop_around_box(image, np.array([0.0, 0.0, 48.0, 32.0]), (48, 32))
    np.testing.assert_allclose(scale, [1.0, 1.0])
    np.testing.assert_array_equal(crop, image)


def test_outside_the_image_is_black():
    image = np.full((20, 20, 3), 200, np.uint8)
    crop, _, _ = crop_around_box(image, np.array([-40.0, -40.0, -20.0, -20.0]), (16, 16))
    assert crop.max() == 0
