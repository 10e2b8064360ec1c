"""CenterBoxCodec: the detector's targets on known boxes, and encode -> decode round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from deeplabcut.errors import ConfigError
from deeplabcut.geometry import box_iou
from deeplabcut.pose_estimation_pytorch.models.codecs.boxes import CenterBoxCodec


def test_targets_of_a_known_box():
    codec = CenterBoxCodec(max_individuals=2, stride=4)
    # Centre (30, 30) px = cell (7, 7) exactly; 40 x 20 px = 10 x 5 cells.
    boxes = torch.tensor([[[10.0, 20.0, 50.0, 40.0], [float("nan")] * 4]])
    targets = codec.encode(boxes, (64, 64))
    assert targets["heatmap"].shape == (1, 1, 16, 16) and targets["size"].shape == (1, 2, 16, 16)
    heatmap = targets["heatmap"][0, 0]
    assert heatmap[7, 7] == 1.0 and heatmap.argmax() == 7 * 16 + 7
    sigma_x, sigma_y = 0.09 * 10, 0.8  # 0.09 * 5 cells is below min_sigma
    assert heatmap[7, 8] == pytest.approx(math.exp(-1 / (2 * sigma_x**2)))
    assert heatmap[8, 7] == pytest.approx(math.exp(-1 / (2 * sigma_y**2)))
    assert targets["size"][0, :, 7, 7].tolist() == pytest.approx([math.log(10), math.log(5)])
    assert targets["offset"][0, :, 7, 7].tolist() == pytest.approx([0.0, 0.0])
    assert targets["size_weight"].sum() == 2 and targets["size_weight"][0, :, 7, 7].tolist() == [1.0, 1.0]
    assert targets["offset_weight"].sum() == 2 and targets["heatmap_weight"].min() == 1.0


def test_round_trip_recovers_every_box_and_pads_missing_rows():
    codec = CenterBoxCodec(max_individuals=4, apply_sigmoid=False, stride=4)
    boxes = torch.tensor(
        [
            [[3.3, 5.1, 40.7, 33.9], [60.2, 70.4, 121.0, 127.5], [80.0, 2.0, 126.1, 40.3]],
            [[10.0, 10.0, 90.0, 100.0], [float("nan")] * 4, [float("nan")] * 4],
        ]
    )
    targets = codec.encode(boxes, (128, 128))
    decoded, scores = codec.decode(targets)
    assert decoded.shape == (2, 4, 4) and scores.shape == (2, 4)
    assert scores[0, :3].tolist() == [1.0, 1.0, 1.0] and scores[0, 3] == -1
    assert scores[1].tolist() == [1.0, -1.0, -1.0, -1.0] and (decoded[1, 1:] == -1).all()
    for image, count in ((0, 3), (1, 1)):
        iou = box_iou(boxes[image, :count].numpy(), decoded[image, :count].numpy())
        matched = decoded[image, iou.argmax(1)]
        np.testing.assert_allclose(matched.numpy(), boxes[image, :count].numpy(), atol=1e-4)


def test_the_smaller_box_keeps_a_shared_centre_cell():
    codec = CenterBoxCodec(max_individuals=2, stride=4)
    boxes = torch.tensor([[[0.0, 0.0, 60.0, 60.0], [20.0, 20.0, 40.0, 40.0]]])  # same centre
    targets = codec.encode(boxes, (64, 64))
    assert targets["size"][0, :, 7, 7].tolist() == pytest.approx([math.log(5), math.log(5)])


def test_decoding_keeps_local_maxima_above_the_threshold_strongest_first():
    codec = CenterBoxCodec(max_individuals=2, score_threshold=0.3, apply_sigmoid=False, stride=4)
    heatmap = torch.zeros(1, 1, 16, 16)
    heatmap[0, 0, 2, 2], heatmap[0, 0, 2, 3] = 0.5, 0.45  # a neighbour of a stronger peak: suppressed
    heatmap[0, 0, 10, 12], heatmap[0, 0, 5, 5], heatmap[0, 0, 14, 1] = 0.9, 0.35, 0.2
    outputs = {"heatmap": heatmap, "size": torch.zeros(1, 2, 16, 16), "offset": torch.zeros(1, 2, 16, 16)}
    boxes, scores = codec.decode(outputs)
    assert scores[0].tolist() == pytest.approx([0.9, 0.5])  # 0.35 is beyond max_individuals
    assert boxes[0, 0].tolist() == [48.0, 40.0, 52.0, 44.0]  # centre (50, 42), 1 x 1 cell
    only_strong = CenterBoxCodec(max_individuals=4, score_threshold=0.6, apply_sigmoid=False, stride=4)
    assert only_strong.decode(outputs)[1][0].tolist() == pytest.approx([0.9, -1, -1, -1])
    clipped, _ = codec.decode({**outputs, "size": torch.full((1, 2, 16, 16), 3.0)}, image_size=(64, 60))
    assert clipped[0, 0].tolist() == pytest.approx([50 - 2 * math.exp(3), 42 - 2 * math.exp(3), 60.0, 64.0], abs=1e-3)


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="max_individuals"):
        CenterBoxCodec(max_individuals=0)
    with pytest.raises(ConfigError, match="nms_kernel"):
        CenterBoxCodec(max_individuals=1, nms_kernel=2)
