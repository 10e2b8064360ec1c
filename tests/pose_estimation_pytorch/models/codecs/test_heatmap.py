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


# ------------------------------------------------------------------ sub-pixel refinement (TokenPose)
def random_round_trip(refinement: str, pos_dist_thresh: float = 12, count: int = 2000, noise: float = 0.0):
    """Errors (pixels) of encode -> decode for random keypoints in a 256x192 image at stride 4."""
    generator = torch.Generator().manual_seed(0)
    keypoints = torch.rand(count, 1, 1, 2, generator=generator) * torch.tensor([192.0, 256.0])
    codec = HeatmapCodec(
        num_heatmaps=1, pos_dist_thresh=pos_dist_thresh, location_refinement=False, refinement=refinement, stride=4
    )
    heatmap = codec.encode(keypoints, torch.ones(count, 1, 1), (256, 192))["heatmap"]
    heatmap = heatmap + noise * torch.randn(heatmap.shape, generator=generator)
    decoded = codec.decode({"heatmap": heatmap})
    return (decoded[:, 0, 0, :2] - keypoints[:, 0, 0]).norm(dim=-1), keypoints[:, 0, 0]


@pytest.mark.parametrize("pos_dist_thresh", [12, 17])
def test_dark_round_trip_is_within_a_quarter_pixel_anywhere_in_the_image(pos_dist_thresh):
    errors, _ = random_round_trip("dark", pos_dist_thresh)
    assert errors.max() < 0.25  # measured: < 0.005 px, borders included
    assert errors.mean() < 0.01


def test_quarter_and_plain_argmax_bounds():
    plain, _ = random_round_trip("none")
    quarter, keypoints = random_round_trip("quarter")
    assert plain.max() <= 2 * math.sqrt(2) + 1e-4  # half a cell on each axis
    inside = ((keypoints > 4) & (keypoints < torch.tensor([188.0, 252.0]))).all(-1)
    assert quarter[inside].max() <= math.sqrt(2) + 1e-4  # a quarter cell on each axis
    assert quarter.mean() < 0.6 * plain.mean()


def test_dark_beats_the_argmax_on_noisy_heatmaps():
    plain, _ = random_round_trip("none", count=500, noise=0.05)
    dark, _ = random_round_trip("dark", count=500, noise=0.05)
    assert dark.mean() < 0.5 * plain.mean()


def test_locref_takes_precedence_over_the_heatmap_refinement():
    codec = HeatmapCodec(num_heatmaps=1, stride=4, refinement="dark")
    keypoints = torch.tensor([[[21.3, 40.9]]])
    targets = codec.encode(keypoints, torch.ones(1, 1), (64, 64))
    decoded = codec.decode({"heatmap": targets["heatmap"], "locref": targets["locref"]})
    np.testing.assert_allclose(decoded[0, 0, 0, :2].numpy(), [21.3, 40.9], atol=1e-4)


def test_refinement_of_small_flat_or_empty_heatmaps_stays_at_the_argmax():
    codec = HeatmapCodec(num_heatmaps=2, stride=4, location_refinement=False, refinement="dark")
    flat = codec.decode({"heatmap": torch.zeros(1, 2, 8, 8)})
    assert torch.isfinite(flat).all() and flat[0, 0, :, :2].tolist() == [[2.0, 2.0], [2.0, 2.0]]
    small = torch.zeros(1, 2, 4, 4)
    small[0, :, 1, 2] = 1.0
    assert codec.decode({"heatmap": small})[0, 0, :, :2].tolist() == [[10.0, 6.0], [10.0, 6.0]]
    assert codec.decode({"heatmap": torch.zeros(0, 2, 8, 8)}).shape == (0, 1, 2, 3)


def test_unknown_refinement_is_a_config_error():
    from deeplabcut.errors import ConfigError

    with pytest.raises(ConfigError, match="refinement must be one of"):
        HeatmapCodec(num_heatmaps=1, refinement="taylor")
    with pytest.raises(ConfigError, match="dark_kernel"):
        HeatmapCodec(num_heatmaps=1, dark_kernel=4)


@pytest.mark.parametrize("refinement", ["quarter", "dark"])
def test_refined_points_stay_inside_the_image_on_any_heatmap(refinement):
    codec = HeatmapCodec(num_heatmaps=8, stride=4, location_refinement=False, refinement=refinement)
    heatmap = torch.randn(16, 8, 16, 12, generator=torch.Generator().manual_seed(0))
    points = codec.decode({"heatmap": heatmap})[..., :2]
    assert (points >= 0).all() and (points <= torch.tensor([48.0, 64.0])).all()


def test_channels_without_a_visible_keypoint_follow_gradient_masking():
    # Keypoint 0 visible, 1 labeled but outside the image (0), 2 unlabeled (-1).
    keypoints = torch.tensor([[[7.0, 11.0], [0.0, 0.0], [0.0, 0.0]]])
    visibility = torch.tensor([[1.0, 0.0, -1.0]])
    weights = {}
    for masking, background in ((True, 0.0), (True, 0.1), (False, 0.0)):
        codec = HeatmapCodec(num_heatmaps=3, stride=2, gradient_masking=masking, background_weight=background)
        weight = codec.encode(keypoints, visibility, (32, 32))["heatmap_weight"][0]
        assert weight.amin(dim=(1, 2)).tolist() == weight.amax(dim=(1, 2)).tolist()  # one weight per channel
        weights[masking, background] = weight[:, 0, 0].tolist()
    # DeepLabCut 3's top-down default: an invisible keypoint's channel is not trained.
    assert weights[True, 0.0] == [1.0, 0.0, 0.0]
    assert weights[True, 0.1] == pytest.approx([1.0, 0.1, 0.0])
    # Unique bodyparts: a labeled keypoint outside the crop is trained as absent; an unlabeled one never.
    assert weights[False, 0.0] == [1.0, 1.0, 0.0]


def test_an_unlabeled_instance_masks_its_channel_only_when_no_instance_is_visible():
    codec = HeatmapCodec(num_heatmaps=1, stride=2, gradient_masking=False)
    keypoints = torch.tensor([[[[7.0, 11.0]], [[0.0, 0.0]]], [[[0.0, 0.0]], [[0.0, 0.0]]]])  # (B=2, A=2, K=1, 2)
    visibility = torch.tensor([[[1.0], [-1.0]], [[0.0], [-1.0]]])
    weight = codec.encode(keypoints, visibility, (32, 32))["heatmap_weight"]
    assert weight[0].min() == 1.0 and weight[1].max() == 0.0
