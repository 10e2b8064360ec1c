"""Normalisation statistics live in one place; datasets take the ones they are given (the backbone's)."""

import numpy as np
import pytest

from deeplabcut.pose_estimation_pytorch.data.normalization import IMAGENET, IMAGENET_MEAN, IMAGENET_STD, Normalization
from deeplabcut.pose_estimation_pytorch.data.transforms import build_transforms


def test_imagenet_statistics():
    np.testing.assert_array_equal(IMAGENET.mean, np.float32([0.485, 0.456, 0.406]))
    np.testing.assert_array_equal(IMAGENET.std, np.float32([0.229, 0.224, 0.225]))
    assert IMAGENET.mean is IMAGENET_MEAN and IMAGENET.std is IMAGENET_STD
    with pytest.raises(ValueError):
        IMAGENET_MEAN[0] = 0.0  # read-only


def test_normalize_and_black():
    image = np.zeros((2, 3, 3), np.uint8)
    image[0, 0] = 255
    out = IMAGENET.normalize(image)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0, 0], (1 - IMAGENET_MEAN) / IMAGENET_STD, rtol=1e-6)
    np.testing.assert_array_equal(out[1, 2], IMAGENET.black)


def test_transforms_use_the_given_normalization():
    grey = Normalization(mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5])
    out = build_transforms({"normalize_images": True}, normalization=grey)(image=np.full((4, 4, 3), 255, np.uint8))
    np.testing.assert_allclose(out["image"], 1.0)
