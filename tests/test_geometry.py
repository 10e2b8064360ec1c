"""deeplabcut.geometry: boxes and per-item transforms, against hand-computed answers."""

import numpy as np
import pytest
import torch

from deeplabcut import geometry


def test_keypoint_boxes_margin_clip_and_missing_animal():
    keypoints = np.array(
        [
            [[10.0, 20.0], [30.0, 5.0], [np.nan, np.nan]],
            [[np.nan, np.nan], [np.nan, np.nan], [np.nan, np.nan]],
        ]
    )
    boxes = geometry.keypoint_boxes(keypoints, margin=10.0, image_size=(35, 100))
    np.testing.assert_allclose(boxes[0], [0.0, 0.0, 35.0, 30.0])
    assert np.isnan(boxes[1]).all()


def test_keypoint_boxes_torch_matches_numpy():
    rng = np.random.default_rng(0)
    keypoints = rng.uniform(0, 100, size=(2, 3, 5, 2))
    keypoints[0, 1, 2] = np.nan
    visible = rng.uniform(size=(2, 3, 5)) > 0.3
    expected = geometry.keypoint_boxes(keypoints, 7.0, (90, 80), visible)
    got = geometry.keypoint_boxes(torch.from_numpy(keypoints), 7.0, (90, 80), torch.from_numpy(visible))
    np.testing.assert_allclose(got.numpy(), expected)


def test_box_iou_and_area():
    a = np.array([[0.0, 0.0, 10.0, 10.0]])
    b = np.array([[5.0, 5.0, 15.0, 15.0], [np.nan] * 4, [20.0, 20.0, 30.0, 30.0]])
    np.testing.assert_allclose(geometry.box_iou(a, b), [[25.0 / 175.0, 0.0, 0.0]])
    np.testing.assert_allclose(geometry.box_area(b[[0, 2]]), [100.0, 100.0])


@pytest.mark.parametrize("box", [[10.0, 20.0, 50.0, 40.0], [0.0, 0.0, 10.0, 90.0]])
def test_crop_transform_round_trip_keeps_aspect(box):
    crop_box, scale, offset = geometry.crop_transform(np.array(box), (64, 48))
    assert scale[0] == pytest.approx(scale[1])  # one factor on both axes
    # the requested box lies inside the crop, centred
    assert crop_box[0] <= box[0] and crop_box[2] >= box[2]
    assert crop_box[1] <= box[1] and crop_box[3] >= box[3]
    original = np.array([[box[0], box[1], 0.9], [box[2], box[3], 0.5], [-1.0, -1.0, -1.0]])
    in_crop = geometry.from_original(original[:2], scale, offset)
    back = geometry.to_original(np.concatenate([in_crop, original[2:]]), scale, offset)
    np.testing.assert_allclose(back, original)


def test_to_original_per_item_batch():
    poses = np.array([[[[1.0, 2.0, 0.5]]], [[[1.0, 2.0, 0.5]]]])  # (B=2, A=1, K=1, 3)
    scale = np.array([[2.0, 2.0], [0.5, 0.5]])
    offset = np.array([[10.0, 0.0], [0.0, 10.0]])
    mapped = geometry.to_original(poses, scale, offset)
    np.testing.assert_allclose(mapped[0, 0, 0], [12.0, 4.0, 0.5])
    np.testing.assert_allclose(mapped[1, 0, 0], [0.5, 11.0, 0.5])


def test_resize_transform():
    scale, offset = geometry.resize_transform((640, 480), (320, 240))
    np.testing.assert_allclose(scale, [2.0, 2.0])
    np.testing.assert_allclose(offset, [0.0, 0.0])
