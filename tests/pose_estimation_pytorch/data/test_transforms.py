"""Augmentation: exact inverse mapping at inference, keypoints follow the pixels during training."""

import numpy as np
import pytest

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.data.normalization import IMAGENET_MEAN, IMAGENET_STD
from deeplabcut.pose_estimation_pytorch.data.transforms import build_transforms, sample_crop_center


def image_with_dots(points, size=(120, 160)):
    """Black RGB image with a 3x3 white dot at each (x, y)."""
    image = np.zeros((*size, 3), np.uint8)
    for x, y in points:
        image[int(round(y)) - 1 : int(round(y)) + 2, int(round(x)) - 1 : int(round(x)) + 2] = 255
    return image


def test_inference_padding_and_normalization():
    transform = build_transforms({"auto_padding": {"pad_width_divisor": 32, "pad_height_divisor": 32}, "normalize_images": True})
    image = np.full((100, 150, 3), 255, np.uint8)
    out = transform(image=image, keypoints=np.array([[10.0, 20.0]]))
    assert out["image"].shape == (128, 160, 3) and out["image"].dtype == np.float32
    np.testing.assert_allclose(out["image"][0, 0], (1 - IMAGENET_MEAN) / IMAGENET_STD, rtol=1e-6)
    np.testing.assert_allclose(out["image"][-1, -1], -IMAGENET_MEAN / IMAGENET_STD, rtol=1e-6)
    np.testing.assert_array_equal(out["keypoints"], [[10.0, 20.0]])
    np.testing.assert_array_equal(out["offset"], [0, 0])
    np.testing.assert_array_equal(out["scale"], [1, 1])


def test_resize_maps_back_exactly():
    transform = build_transforms({"resize": {"height": 60, "width": 80, "keep_ratio": True}})
    points = np.array([[30.0, 40.0], [159.0, 119.0]])
    out = transform(image=np.zeros((120, 160, 3), np.uint8), keypoints=points)
    assert out["image"].shape[:2] == (60, 80)
    np.testing.assert_allclose(out["keypoints"] * out["scale"] + out["offset"], points, atol=1e-4)


def test_flip_swaps_symmetric_bodyparts():
    bodyparts = ["snout", "leftear", "rightear"]
    transform = build_transforms(
        {"hflip": {"p": 1.0, "symmetries": [["leftear", "rightear"]]}, "normalize_images": False},
        bodyparts=bodyparts,
        max_individuals=2,
    )
    points = np.array([[10, 5], [20, 6], [30, 7], [40, 8], [50, 9], [60, 10]], np.float32)
    out = transform(image=np.zeros((20, 100, 3), np.uint8), keypoints=points)
    flipped_x = 99 - points[:, 0]
    expected = np.stack([flipped_x, points[:, 1]], axis=1)[[0, 2, 1, 3, 5, 4]]
    np.testing.assert_array_equal(out["keypoints"], expected)


def test_training_augmentation_keeps_keypoints_on_their_pixels():
    config = {
        "affine": {"p": 1.0, "rotation": 30, "scaling": [0.7, 1.3], "translation": 10},
        "crop_sampling": {"width": 96, "height": 96, "max_shift": 0.2, "method": "hybrid"},
        "normalize_images": False,
    }
    points = np.array([[40.0, 30.0], [120.0, 90.0], [80.0, 60.0]])
    transform = build_transforms(config, seed=3)
    hits = 0
    for _ in range(20):
        out = transform(image=image_with_dots(points), keypoints=points)
        image = out["image"]
        assert image.shape == (96, 96, 3)
        for x, y in out["keypoints"]:
            if 1 <= x < 95 and 1 <= y < 95:
                assert image[int(round(y)), int(round(x))].max() > 0.3, "keypoint moved away from its pixel"
                hits += 1
    assert hits > 10


def test_unlabeled_points_stay_nan():
    transform = build_transforms({"affine": {"p": 1.0, "rotation": 20}, "normalize_images": False}, seed=0)
    out = transform(image=np.zeros((50, 50, 3), np.uint8), keypoints=np.array([[10.0, 10.0], [np.nan, np.nan]]))
    assert np.isfinite(out["keypoints"][0]).all() and np.isnan(out["keypoints"][1]).all()


def test_crop_centers():
    rng = np.random.default_rng(0)
    points = np.array([[10.0, 10.0], [12.0, 11.0], [90.0, 50.0], [np.nan, np.nan]])
    centers = np.array([sample_crop_center(points, (60, 100), "density", rng) for _ in range(200)])
    assert np.isin(centers[:, 0], [10.0, 12.0, 90.0]).all()
    assert (centers[:, 0] < 50).mean() > 0.55  # the dense pair is chosen twice as often
    uniform = sample_crop_center(points, (60, 100), "uniform", rng)
    assert 0 <= uniform[0] <= 100 and 0 <= uniform[1] <= 60


def test_bad_config():
    with pytest.raises(ConfigError, match="Unknown augmentation key"):
        build_transforms({"rotate_everything": True})
    with pytest.raises(ConfigError, match="not a bodypart"):
        build_transforms({"hflip": {"symmetries": [["leftear", "nose"]]}}, bodyparts=["leftear"])
