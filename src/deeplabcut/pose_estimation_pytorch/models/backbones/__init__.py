"""Backbones: feature extractors that expose ``stride``, ``out_channels`` and per-branch metadata."""

from deeplabcut.pose_estimation_pytorch.models.backbones.base import BaseBackbone
from deeplabcut.pose_estimation_pytorch.models.backbones.hrnet import (
    HRNET_LAYOUT,
    HRNet,
    HRNetFeatures,
)

__all__ = ["HRNET_LAYOUT", "BaseBackbone", "HRNet", "HRNetFeatures"]
