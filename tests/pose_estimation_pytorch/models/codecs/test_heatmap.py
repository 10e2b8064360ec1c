"""HeatmapCodec (unique bodyparts): target values and encode -> decode round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from deeplabcut.pose_estimation_pytorch.models.codecs.heatmap import HeatmapCodec


def test_gaussian_locref_and_weights():
    codec = HeatmapCodec(num_heatmaps=2, pos_dist_thresh=17, locref_std=7.2801, stride=2)
    # Keypoint 0 exactly on the centre of cell (3, 5): pixel (3*2+1, 5*2+1). Keypoint 1 missing.
    targets = codec.encode(torch.tensor([[[7.0, 11.0], [0.0, 0.0]]]), torch.tensor([[1.0, 0.0]]), (32, 32))
    heatmap = targets["heatmap"][0]
    sigma = 2 * 17 / 3  # pixels
    assert heatmap.shape == (2, 16, 16)
    assert heatmap[0, 5, 3] == pytest.approx(1.0)
    assert heatmap[0, 5, 6] == pytest.approx(math.exp(-(6**2) / (2 * sigma**2)), rel=1e-5)
    assert targets["heatmap_weight"][0, 0].min() == 1.0
    assert targets["heatmap_weight"][0, 1].max() == 0.0
    # locref = (keypoint - cell centre) / std inside the 17 px disk.
    assert targets["locref"][0, 0, 5, 6] == pytest.approx((7 - 13) / 7.2801)
    assert targets["locref"][0, 1, 2, 3] == pytest.approx((11 - 5) / 7.2801)
    assert targets["locref_weight"][0, 0, 5, 11] == 1.0  # 16 px away
    assert targets["locref_weight"][0, 0, 5, 12] == 0.0  # 18 px away
    assert targets["locref_weight"][0, 2:].max() == 0.0


@pytest.mark.parametrize("stride", [2, 4])
def test_round_trip_recovers_keypoints_through_locref(stride):
    codec = HeatmapCodec(num_heatmaps=3, stride=stride)
    keypoints = np.array([[[5.3, 60.2], [33.3, 7.9], [62.9, 63.0]], [[10.0, 10.0], [0.4, 0.2], [48.8, 17.1]]])
    targets = codec.encode(torch.tensor(keypoints, dtype=torch.float32), torch.ones(2, 3), (64, 64))
    decoded = codec.decode({"heatmap": targets["heatmap"], "locref": targets["locref"]})
    assert decoded.shape == (2, 1, 3, 3)
    np.testing.assert_allclose(decoded[:, 0, :, :2].numpy(), keypoints, atol=1e-4)
    assert decoded[..., 2].min() > 0.9


def test_decode_without_locref_uses_cell_centres():
    codec = HeatmapCodec(num_heatmaps=1, stride=2, location_refinement=False)
    heatmap = torch.zeros(1, 1, 5, 5)
    heatmap[0, 0, 3, 1] = 0.7
    decoded = codec.decode({"heatmap": heatmap, "locref": torch.ones(1, 2, 5, 5)})
    assert decoded[0, 0, 0].tolist() == pytest.approx([3.0, 7.0, 0.7])
