"""DEKRCodec: target values on hand-checked cases, and encode -> decode round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from deeplabcut.pose_estimation_pytorch.models.codecs.dekr import DEKRCodec

STRIDE = 4


def make_codec(num_bodyparts: int, max_individuals: int, **kwargs) -> DEKRCodec:
    return DEKRCodec(num_bodyparts=num_bodyparts, max_individuals=max_individuals, stride=STRIDE, **kwargs)


def round_trip(codec: DEKRCodec, keypoints: np.ndarray, visibility: np.ndarray, image_size) -> torch.Tensor:
    targets = codec.encode(torch.tensor(keypoints), torch.tensor(visibility), image_size)
    return codec.decode({"heatmap": targets["heatmap"], "offset": targets["offset"]})


def match_rows(decoded: torch.Tensor, keypoints: np.ndarray, visibility: np.ndarray) -> list[int]:
    """For each labeled animal, the decoded row whose visible keypoints are nearest."""
    rows = []
    for animal in range(keypoints.shape[0]):
        visible = visibility[animal] > 0
        errors = [
            np.abs(decoded[row, visible, :2].numpy() - keypoints[animal, visible]).max()
            for row in range(decoded.shape[0])
        ]
        rows.append(int(np.argmin(errors)))
    return rows


# ------------------------------------------------------------------------------ targets
def test_heatmap_targets_have_dekr_sigmas_windows_and_weights():
    codec = make_codec(num_bodyparts=2, max_individuals=1, bg_weight=0.1)
    # Keypoint 0 on the centre of cell (5, 6): pixel (5*4+2, 6*4+2); keypoint 1 elsewhere.
    keypoints = torch.tensor([[[[22.0, 26.0], [42.0, 26.0]]]])
    targets = codec.encode(keypoints, torch.ones(1, 1, 2), (64, 80))
    heatmap, weight = targets["heatmap"][0], targets["heatmap_weight"][0]
    assert heatmap.shape == (3, 16, 20)
    sigma = 17 / 2 / STRIDE  # 2.125 cells
    assert heatmap[0, 6, 5] == pytest.approx(1.0)
    assert heatmap[0, 6, 7] == pytest.approx(math.exp(-4 / (2 * sigma**2)), rel=1e-5)
    # Window [x - 3 sigma - 1, x + 3 sigma + 2) = cells [-2.375 -> -3, 13.375 -> 14) in x.
    assert weight[0, 6, 13] == 1.0 and weight[0, 6, 14] == pytest.approx(0.1)
    assert heatmap[0, 6, 14] == 0.0
    # Center = mean of the keypoints = (32, 26) pixels = cell (7.5, 6); sigma 4.25 cells.
    center_sigma = 17 / STRIDE
    assert heatmap[2, 6, 7] == pytest.approx(math.exp(-0.25 / (2 * center_sigma**2)), rel=1e-5)
    assert heatmap[2].max() < 1.0


def test_offset_targets_cover_the_truncated_square_with_inverse_sqrt_area_weight():
    codec = make_codec(num_bodyparts=2, max_individuals=1, bbox_margin=20)
    keypoints = torch.tensor([[[[40.5, 20.0], [61.0, 40.4]]]])  # center (50.75, 30.2)
    targets = codec.encode(keypoints, torch.ones(1, 1, 2), (96, 128))
    offset, weight = targets["offset"][0], targets["offset_weight"][0]
    # floor(center) = (50, 30) -> cell (12, 7); radius 4.25 -> x in [7, 16), y in [2, 11).
    expected_mask = torch.zeros(24, 32, dtype=torch.bool)
    expected_mask[2:11, 7:16] = True
    area = (61.0 + 20 - (40.5 - 20)) * (40.4 + 20 - 0.0)  # y_min 20 - 20 = 0 clipped at the border
    assert torch.equal(weight[0] > 0, expected_mask)
    assert torch.allclose(weight[:, expected_mask], torch.full((4, 81), 1 / math.sqrt(area)))
    # offset = cell - keypoint in feature units; keypoint 1 at ((61-2)/4, (40.4-2)/4).
    assert offset[2, 5, 9] == pytest.approx(9 - 59 / 4)
    assert offset[3, 5, 9] == pytest.approx(5 - 38.4 / 4)
    assert offset[:, ~expected_mask].abs().max() == 0


def test_smaller_animal_owns_overlapping_offset_cells():
    codec = make_codec(num_bodyparts=2, max_individuals=2)
    big = [[10.0, 10.0], [70.0, 70.0]]  # center (40, 40), large box
    small = [[46.0, 46.0], [54.0, 54.0]]  # center (50, 50), small box
    keypoints = torch.tensor([[big, small]])
    targets = codec.encode(keypoints, torch.ones(1, 2, 2), (96, 96))
    # Squares: big [5, 13), small [7, 16) cells. Cell (11, 11) is in both: it points at the
    # small animal's keypoint 0; cell (6, 6) only at the big animal's.
    assert targets["offset"][0, 0, 11, 11] == pytest.approx(11 - (46 - 2) / 4)
    assert targets["offset"][0, 0, 6, 6] == pytest.approx(6 - (10 - 2) / 4)
    small_area = (54 + 20 - 26) ** 2
    assert targets["offset_weight"][0, 0, 11, 11] == pytest.approx(small_area**-0.5)


def test_unknown_visibility_masks_the_keypoint_channel():
    codec = make_codec(num_bodyparts=2, max_individuals=1)
    targets = codec.encode(torch.tensor([[[[20.0, 20.0], [30.0, 30.0]]]]), torch.tensor([[[1.0, -1.0]]]), (64, 64))
    assert targets["heatmap_weight"][0, 1].max() == 0.0
    assert targets["heatmap_weight"][0, 0].min() > 0.0
    assert targets["heatmap"][0, 1].max() == 0.0  # not drawn either


# ------------------------------------------------------------------------------ round trips
def test_multi_animal_round_trip_recovers_every_visible_keypoint():
    codec = make_codec(num_bodyparts=4, max_individuals=4)
    keypoints = np.array(
        [
            [[20.3, 30.1], [35.7, 28.9], [28.2, 45.5], [22.0, 52.8]],
            [[100.2, 20.7], [118.9, 31.3], [109.5, 40.0], [101.1, 47.6]],
            [[60.0, 100.0], [75.5, 95.2], [70.1, 112.9], [0.0, 0.0]],
        ],
        dtype=np.float32,
    )
    visibility = np.array([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 0]], dtype=np.float32)
    decoded = round_trip(codec, keypoints[None], visibility[None], (128, 160))[0]
    assert decoded.shape == (4, 4, 3)
    rows = match_rows(decoded, keypoints, visibility)
    assert sorted(rows) == [0, 1, 2]
    for animal, row in enumerate(rows):
        visible = visibility[animal] > 0
        np.testing.assert_allclose(decoded[row, visible, :2].numpy(), keypoints[animal, visible], atol=1e-4)
        assert decoded[row, visible, 2].min() > 0.7
    assert decoded[rows[2], 3, 2] < 0.05  # the missing keypoint has (almost) no heatmap support
    assert torch.all(decoded[3] == -1)  # only 3 animals
    pose_scores = [decoded[row, :, 2].mean() for row in range(3)]
    assert pose_scores == sorted(pose_scores, reverse=True)


def test_single_animal_round_trip_in_a_batch_of_two():
    codec = make_codec(num_bodyparts=3, max_individuals=1)
    keypoints = np.array(
        [[[[10.0, 12.5], [25.2, 30.9], [40.4, 18.3]]], [[[50.0, 40.0], [52.5, 47.5], [58.1, 41.7]]]],
        dtype=np.float32,
    )
    decoded = round_trip(codec, keypoints, np.ones((2, 1, 3), np.float32), (64, 64))
    assert decoded.shape == (2, 1, 3, 3)
    np.testing.assert_allclose(decoded[..., :2].numpy(), keypoints, atol=1e-4)


def test_round_trip_near_the_image_borders():
    codec = make_codec(num_bodyparts=3, max_individuals=2)
    height, width = 48, 64
    keypoints = np.array(
        [
            [[0.0, 0.0], [1.5, 6.0], [8.0, 0.5]],  # top-left corner, inside the first half cell
            [[63.9, 47.9], [55.0, 47.0], [63.0, 40.0]],  # bottom-right corner
        ],
        dtype=np.float32,
    )
    decoded = round_trip(codec, keypoints[None], np.ones((1, 2, 3), np.float32), (height, width))[0]
    rows = match_rows(decoded, keypoints, np.ones((2, 3)))
    for animal, row in enumerate(rows):
        np.testing.assert_allclose(decoded[row, :, :2].numpy(), keypoints[animal], atol=1e-4)


def test_keypoints_outside_the_image_or_nan_are_ignored():
    codec = make_codec(num_bodyparts=2, max_individuals=1)
    keypoints = torch.tensor([[[[20.0, 20.0], [float("nan"), 5.0]]], [[[20.0, 20.0], [70.0, 5.0]]]])
    targets = codec.encode(keypoints, torch.ones(2, 1, 2), (64, 64))
    assert targets["heatmap"][:, 1].max() == 0.0
    assert torch.isfinite(targets["offset"]).all()
    assert targets["offset_weight"][:, 2:].max() == 0.0


# ------------------------------------------------------------------------------ decoding rules
def _outputs_with_centers(centers, poses_feature, size=(20, 20), num_keypoints=2):
    """Hand-made outputs: a center peak per entry, whose offsets point at ``poses_feature``."""
    height, width = size
    heatmap = torch.zeros(1, num_keypoints + 1, height, width)
    offset = torch.zeros(1, 2 * num_keypoints, height, width)
    for (cx, cy, score), pose in zip(centers, poses_feature):
        heatmap[0, -1, cy, cx] = score
        for k, (px, py) in enumerate(pose):
            offset[0, 2 * k, cy, cx] = cx - px
            offset[0, 2 * k + 1, cy, cx] = cy - py
            heatmap[0, k, int(py), int(px)] = 1.0
    return {"heatmap": heatmap, "offset": offset}


def test_pose_nms_removes_duplicates_and_rows_are_sorted_by_score():
    codec = make_codec(num_bodyparts=2, max_individuals=3)
    outputs = _outputs_with_centers(
        centers=[(3, 3, 0.6), (12, 12, 0.9), (3, 12, 0.8)],
        poses_feature=[[(2.0, 2.0), (6.0, 4.0)], [(14.0, 14.0), (10.0, 11.0)], [(2.1, 2.0), (6.0, 4.1)]],
    )
    decoded = codec.decode(outputs)[0]
    # Proposal (3, 12) duplicates (3, 3) but has a higher center score, so (3, 3) is dropped.
    assert decoded[0, 0, :2].tolist() == pytest.approx([14 * 4 + 2, 14 * 4 + 2])
    assert decoded[0, 0, 2] == pytest.approx(0.9)
    assert decoded[1, 0, :2].tolist() == pytest.approx([2.1 * 4 + 2, 2 * 4 + 2])
    assert decoded[1, 0, 2] == pytest.approx(0.8)
    assert torch.all(decoded[2] == -1)

    no_nms = make_codec(num_bodyparts=2, max_individuals=3, apply_pose_nms=False).decode(outputs)[0]
    assert (no_nms[:, 0, 2] > 0).sum() == 3


def test_no_center_peak_means_no_animal():
    codec = make_codec(num_bodyparts=2, max_individuals=2)
    outputs = {"heatmap": torch.zeros(2, 3, 8, 8), "offset": torch.zeros(2, 4, 8, 8)}
    assert torch.all(codec.decode(outputs) == -1)


def test_score_types_and_clipping():
    outputs = _outputs_with_centers(centers=[(5, 5, 1.5)], poses_feature=[[(2.0, 2.0), (8.0, 7.0)]])
    outputs["heatmap"][0, 1, 7, 8] = 0.5
    combined = make_codec(2, 1).decode(outputs)[0, 0, :, 2]
    assert combined.tolist() == pytest.approx([1.0, 0.75])  # 1.5 * 1.0 clipped to 1; 1.5 * 0.5
    heat = make_codec(2, 1, keypoint_score_type="heatmap").decode(outputs)[0, 0, :, 2]
    assert heat.tolist() == pytest.approx([1.0, 0.5])
    center = make_codec(2, 1, keypoint_score_type="center", clip_scores=False).decode(outputs)[0, 0, :, 2]
    assert center.tolist() == pytest.approx([1.5, 1.5])


def test_decode_of_half_precision_outputs_is_computed_in_float32():
    codec = make_codec(num_bodyparts=2, max_individuals=1)
    outputs = _outputs_with_centers(centers=[(10, 10, 1.0)], poses_feature=[[(17.3, 3.1), (2.7, 18.9)]])
    reference = codec.decode(outputs)
    low = codec.decode({key: value.to(torch.bfloat16) for key, value in outputs.items()})
    assert low.dtype == torch.float32
    # bf16 offsets hold ~3 significant digits: positions agree to a fraction of a pixel.
    torch.testing.assert_close(low, reference, atol=0.3, rtol=0)
