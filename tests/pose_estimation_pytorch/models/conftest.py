"""Shared fixtures: model configs filled from the shipped templates."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from conftest import TINY_LAYOUT  # tests/conftest.py (tests/ is on pythonpath)
from deeplabcut.pose_estimation_pytorch.config.templates import fill_placeholders, load_template


def dekr_model_config(
    width: int,
    num_bodyparts: int,
    max_individuals: int = 2,
    num_unique: int = 0,
    layout: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``model`` section a project would get for ``dekr_<width>``."""
    values = {
        "width": width,
        "num_bodyparts": num_bodyparts,
        "max_individuals": max_individuals,
        "num_unique_bodyparts": num_unique,
    }
    config = fill_placeholders(load_template("dekr")["model"], values)
    if layout:
        config["backbone"].update(layout)
    if num_unique:
        config["heads"]["unique_bodypart"] = fill_placeholders(load_template("head_unique_bodypart"), values)
    return config


@pytest.fixture(autouse=True)
def single_cpu_thread():
    """Run each test on one CPU thread: these tensors are tiny, and on a busy machine
    several OpenMP threads wait on each other far longer than they compute."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(name="dekr_model_config")
def dekr_model_config_fixture():
    """Factory of full-size DEKR configs (see :func:`dekr_model_config`)."""
    return dekr_model_config


@pytest.fixture
def tiny_model_config():
    """Factory of tiny DEKR configs (HRNet width 8, reduced layout)."""

    def make(num_bodyparts: int = 3, max_individuals: int = 2, num_unique: int = 0, width: int = 8) -> dict:
        return dekr_model_config(width, num_bodyparts, max_individuals, num_unique, layout=dict(TINY_LAYOUT))

    return make


# ---------------------------------------------------------------- DeepLabCut 3 replica
# The module tree of DeepLabCut 3's DEKRHead (heads/dekr.py, modules/conv_block.py),
# rebuilt from its attribute names without torchvision: it only serves to list the
# state-dict keys and shapes a DeepLabCut snapshot has.
class _DLCBasicBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)


class _DLCDeformConv2d(nn.Module):  # torchvision.ops.DeformConv2d(c, c, 3, bias=False)
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(channels, channels, 3, 3))


class _DLCAdaptBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.register_buffer("regular_matrix", torch.zeros(2, 9))
        self.transform_matrix_conv = nn.Conv2d(channels, 4, 3, 1, 1, bias=True)
        self.translation_conv = nn.Conv2d(channels, 2, 3, 1, 1, bias=True)
        self.adapt_conv = _DLCDeformConv2d(channels)
        self.bn = nn.BatchNorm2d(channels)


def _dlc_dekr_head_replica(in_channels: int, width: int, num_keypoints: int, per_keypoint: int = 15) -> nn.Module:
    heatmap = nn.Module()
    heatmap.transition_heatmap = nn.Sequential(
        nn.Conv2d(in_channels, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()
    )
    heatmap.head_heatmap = nn.ModuleList(
        [nn.Sequential(_DLCBasicBlock(width)), nn.Conv2d(width, num_keypoints + 1, 1)]
    )
    offset = nn.Module()
    offset.transition_offset = nn.Sequential(
        nn.Conv2d(in_channels, per_keypoint * num_keypoints, 1, bias=False),
        nn.BatchNorm2d(per_keypoint * num_keypoints),
        nn.ReLU(),
    )
    offset.offset_feature_layers = nn.ModuleList(
        nn.Sequential(_DLCAdaptBlock(per_keypoint), _DLCAdaptBlock(per_keypoint)) for _ in range(num_keypoints)
    )
    offset.offset_final_layer = nn.ModuleList(nn.Conv2d(per_keypoint, 2, 1) for _ in range(num_keypoints))
    head = nn.Module()
    head.heatmap_head = heatmap
    head.offset_head = offset
    return head


@pytest.fixture
def dlc_dekr_head_replica():
    """Factory ``(in_channels, width, num_keypoints) -> module`` with DeepLabCut 3's DEKRHead keys."""
    return _dlc_dekr_head_replica
