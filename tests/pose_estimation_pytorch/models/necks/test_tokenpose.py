"""TokenPose's transformer neck: patch tokens, keypoint tokens, position embeddings, config errors."""

from __future__ import annotations

import pytest
import torch

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.models.necks.tokenpose import (
    POSITION_EMBEDDINGS,
    TokenPoseTransformer,
    sine_position_embedding,
)


def tiny_neck(**overrides) -> TokenPoseTransformer:
    settings = dict(
        in_channels=8, input_stride=4, feature_size=[16, 12], patch_size=[4, 3], num_keypoints=5,
        dim=32, depth=2, heads=4, mlp_ratio=2,
    )
    settings.update(overrides)
    return TokenPoseTransformer(**settings)


def test_sine_table_encodes_rows_in_the_first_half_and_columns_in_the_second():
    table = sine_position_embedding(4, 3, 16).reshape(4, 3, 16)
    assert table.abs().max() <= 1.0
    assert torch.equal(table[:, 0, :8], table[:, 2, :8])  # the row half ignores the column
    assert torch.equal(table[0, :, 8:], table[3, :, 8:])  # the column half ignores the row
    assert len({tuple(row.tolist()) for row in table.reshape(12, 16)}) == 12  # every cell differs
    with pytest.raises(ConfigError, match="divisible by 4"):
        sine_position_embedding(4, 3, 18)


@pytest.mark.parametrize("pos_embedding", POSITION_EMBEDDINGS)
def test_neck_returns_one_token_per_keypoint(pos_embedding):
    neck = tiny_neck(pos_embedding=pos_embedding).eval()
    assert neck.grid_size == (4, 4) and neck.out_channels == 32 and neck.stride == 4
    assert neck.feature_size((64, 48)) == (16, 12)
    with torch.no_grad():
        tokens = neck(torch.randn(2, 8, 16, 12))
    assert tokens.shape == (2, 5, 32)
    trained = {name for name, _ in neck.named_parameters()}
    assert ("position_table" in trained) == (pos_embedding == "learnable")
    assert not any("sine" in key for key in neck.state_dict())  # the fixed table is not saved


def test_every_keypoint_token_sees_every_patch():
    torch.manual_seed(0)
    neck = tiny_neck().eval()
    features = torch.randn(1, 8, 16, 12)
    changed = features.clone()
    changed[0, :, 15, 11] += 1.0  # the last cell of the last patch
    with torch.no_grad():
        difference = (neck(features) - neck(changed)).abs().amax(-1)
    assert (difference > 1e-6).all()


def test_sine_full_adds_positions_before_every_block():
    torch.manual_seed(0)
    once = tiny_neck(pos_embedding="sine").eval()
    every = tiny_neck(pos_embedding="sine-full").eval()
    every.load_state_dict(once.state_dict())
    features = torch.randn(1, 8, 16, 12)
    with torch.no_grad():
        assert not torch.allclose(once(features), every(features))
        one_block = [tiny_neck(pos_embedding=kind, depth=1).eval() for kind in ("sine", "sine-full")]
        one_block[1].load_state_dict(one_block[0].state_dict())
        torch.testing.assert_close(one_block[0](features), one_block[1](features))


def test_features_of_another_size_are_refused_with_the_crop_size():
    with pytest.raises(ValueError, match="input images of 64x48 pixels"):
        tiny_neck()(torch.randn(1, 8, 16, 16))


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"dim": 30}, "multiple of heads"),
        ({"patch_size": [5, 3]}, "must divide feature_size"),
        ({"channels": 16}, "backbone outputs 8 channels"),
        ({"pos_embedding": "sine-half"}, "pos_embedding must be one of"),
        ({"feature_size": [16]}, "feature_size must be two positive integers"),
    ],
)
def test_config_errors_name_the_key(overrides, message):
    with pytest.raises(ConfigError, match=message):
        tiny_neck(**overrides)


def test_patch_norm_makes_the_tokens_independent_of_the_feature_scale():
    torch.manual_seed(0)
    neck = tiny_neck(patch_norm=True, pos_embedding="none").eval()
    assert "patch_norm.weight" in neck.state_dict()
    assert not any(key.startswith("patch_norm") for key in tiny_neck().state_dict())  # off by default
    features = torch.randn(2, 8, 16, 12)
    with torch.no_grad():
        assert torch.allclose(neck(features), neck(30 * features + 5), atol=1e-4)


def test_init_std_scales_the_initial_weights():
    torch.manual_seed(0)
    default, wide = tiny_neck(), tiny_neck(init_std=0.2)
    assert default.blocks[0].attn.qkv.weight.std().item() == pytest.approx(0.02, rel=0.15)
    assert wide.blocks[0].attn.qkv.weight.std().item() == pytest.approx(0.2, rel=0.15)
