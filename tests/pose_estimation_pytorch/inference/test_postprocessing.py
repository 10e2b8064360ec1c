"""Post-processing maps each item back with its own transform and gathers each frame's rows."""

import numpy as np

from deeplabcut.pose_estimation_pytorch.inference.postprocessing import items_to_frames
from deeplabcut.pose_estimation_pytorch.inference.preprocessors import ItemTransforms


def test_one_item_per_frame_keeps_the_layout():
    poses = np.array([[[[1, 2, 0.75]], [[-1, -1, -1]]], [[[3, 4, 0.5]], [[5, 6, 0.125]]]], np.float32)  # (2, 2, 1, 3)
    transforms = ItemTransforms.one_per_frame([[2, 2], [1, 0.5]], [[0, 0], [10, 20]])
    out = items_to_frames(poses, transforms, num_frames=2)
    assert out.dtype == np.float32 and out.shape == poses.shape
    np.testing.assert_array_equal(out[0, 0, 0], [2, 4, 0.75])
    np.testing.assert_array_equal(out[0, 1, 0], [-1, -1, -1])  # padding stays padding
    np.testing.assert_array_equal(out[1, :, 0], [[13, 22, 0.5], [15, 23, 0.125]])


def test_items_of_one_frame_are_gathered_and_padded():
    poses = np.array([[[[1, 1, 0.75]]], [[[2, 2, 0.625]]], [[[3, 3, 0.875]]]], np.float32)  # three crops, one animal each
    transforms = ItemTransforms(np.array([1, 1, 0]), np.ones((3, 2)), np.array([[0, 0], [10, 0], [0, 10]]))
    out = items_to_frames(poses, transforms, num_frames=3, rows=2)
    assert out.shape == (3, 2, 1, 3)
    np.testing.assert_array_equal(out[0, :, 0], [[3, 13, 0.875], [-1, -1, -1]])
    np.testing.assert_array_equal(out[1, :, 0], [[1, 1, 0.75], [12, 2, 0.625]])
    assert (out[2] == -1).all()  # a frame without items
