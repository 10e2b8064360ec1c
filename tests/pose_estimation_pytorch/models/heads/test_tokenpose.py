"""TokenPose head: keypoint tokens -> heatmaps through an MLP, with the shared HeatmapCodec."""

from __future__ import annotations

import pytest
import torch

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.models.heads.tokenpose import TokenPoseHead

CRITERION = {"heatmap": {"type": "WeightedMSELoss", "weight": 1.0}}


def head(token_size: int = 192, heatmap_size=(64, 48), **overrides) -> TokenPoseHead:
    codec = {"type": "HeatmapCodec", "num_heatmaps": 17, "pos_dist_thresh": 12, "refinement": "dark",
             "location_refinement": False}
    settings = dict(
        in_channels=token_size, input_stride=4, heatmap_size=list(heatmap_size), criterion=CRITERION, codec=codec
    )
    settings.update(overrides)
    return TokenPoseHead(**settings)


def test_tokenpose_b_head_is_the_papers_two_layer_mlp():
    layers = head().mlp
    assert [type(layer).__name__ for layer in layers] == ["LayerNorm", "Linear", "LayerNorm", "Linear"]
    assert (layers[1].in_features, layers[1].out_features, layers[3].out_features) == (192, 384, 64 * 48)
    with torch.no_grad():
        outputs = head().eval()(torch.randn(2, 17, 192))
    assert outputs["heatmap"].shape == (2, 17, 64, 48)


def test_tokens_wider_than_half_the_hidden_size_use_one_linear_layer():
    layers = head(token_size=64, heatmap_size=(16, 12)).mlp  # hidden 16 * 12 / 8 = 24 < 2 * 64
    assert [type(layer).__name__ for layer in layers] == ["LayerNorm", "Linear"]
    assert [type(layer).__name__ for layer in head(hidden_heatmap_dim=0).mlp] == ["LayerNorm", "Linear"]


def test_targets_predictions_and_stride():
    tokenpose_head = head()
    assert tokenpose_head.stride == 4 and tokenpose_head.codec.stride == 4
    keypoints = torch.rand(2, 1, 17, 2) * torch.tensor([192.0, 256.0])
    batch = {"keypoints": keypoints, "visibility": torch.ones(2, 1, 17)}
    targets = tokenpose_head.get_targets(batch, (256, 192), (64, 48))
    assert set(targets) == {"heatmap", "heatmap_weight"} and targets["heatmap"].shape == (2, 17, 64, 48)
    poses = tokenpose_head.predict({"heatmap": targets["heatmap"]})
    assert poses.shape == (2, 1, 17, 3)
    assert (poses[:, 0, :, :2] - keypoints[:, 0]).norm(dim=-1).max() < 0.25
    losses = tokenpose_head.get_loss({"heatmap": targets["heatmap"]}, targets)
    assert losses["total_loss"] == 0.0


def test_heatmap_size_must_match_the_input_grid():
    with pytest.raises(ConfigError, match=r"heatmap_size \[64, 48\] does not match the \[64, 64\] cells"):
        head().get_targets({"keypoints": torch.zeros(1, 1, 17, 2)}, (256, 256), (64, 64))
    with pytest.raises(ConfigError, match="equal to model.neck.dim"):
        head(token_size=192, dim=96)
