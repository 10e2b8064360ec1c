"""HRNet cut after stage 2 or 3 (``num_stages``): branches, strides, and timm-compatible keys."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from conftest import TINY_LAYOUT
from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.models.backbones.hrnet import HRNet, HRNetFeatures


def test_three_stages_keep_three_branches_and_a_prefix_of_the_full_keys():
    full = HRNetFeatures(8, **TINY_LAYOUT)
    cut = HRNetFeatures(8, num_stages=3, **TINY_LAYOUT)
    assert cut.feature_channels == (8, 16, 32) and cut.feature_strides == (4, 8, 16)
    expected = {key for key in full.state_dict() if not key.startswith(("transition3.", "stage4."))}
    assert set(cut.state_dict()) == expected
    with torch.no_grad():
        branches = cut(torch.randn(2, 3, 64, 48))
    assert [tuple(b.shape) for b in branches] == [(2, 8, 16, 12), (2, 16, 8, 6), (2, 32, 4, 3)]


@pytest.mark.parametrize("num_stages, channels", [(2, 8 + 16), (3, 8 + 16 + 32), (4, 15 * 8)])
def test_backbone_outputs_the_stride_4_branch_or_all_branches_concatenated(num_stages, channels):
    alone = HRNet(width=8, num_stages=num_stages, **TINY_LAYOUT).eval()
    together = HRNet(width=8, num_stages=num_stages, interpolate_branches=True, **TINY_LAYOUT).eval()
    assert alone.out_channels == 8 and together.out_channels == channels
    assert len(alone.forward_branches(torch.randn(1, 3, 32, 32))) == num_stages
    with torch.no_grad():
        assert alone(torch.randn(1, 3, 64, 48)).shape == (1, 8, 16, 12)
        assert together(torch.randn(1, 3, 64, 48)).shape == (1, channels, 16, 12)


def test_weights_of_a_full_hrnet_load_into_three_stages(tmp_path: Path):
    torch.manual_seed(0)
    full = HRNetFeatures(8, **TINY_LAYOUT)
    path = tmp_path / "hrnet_w8.pth"
    torch.save(full.state_dict(), path)
    cut = HRNet(width=8, num_stages=3, pretrained=str(path), **TINY_LAYOUT)
    report = cut.pretrained_report
    assert report.unexpected and all(key.startswith(("transition3.", "stage4.")) for key in report.unexpected)
    for key, value in cut.model.state_dict().items():
        torch.testing.assert_close(value, full.state_dict()[key])


def test_bad_stage_counts_are_config_errors():
    with pytest.raises(ConfigError, match="num_stages must be 2, 3 or 4"):
        HRNet(width=8, num_stages=5, **TINY_LAYOUT)
    with pytest.raises(ConfigError, match="increased_channel_count needs all 4 stages"):
        HRNet(width=8, num_stages=3, increased_channel_count=True, **TINY_LAYOUT)
