"""Backbones: feature extractors that expose ``stride``, ``out_channels`` and per-branch metadata."""

from deeplabcut.pose_estimation_pytorch.models.backbones.base import BaseBackbone
from deeplabcut.pose_estimation_pytorch.models.backbones.hrnet import (
    HRNET_LAYOUT,
    HRNet,
    HRNetFeatures,
)
from deeplabcut.pose_estimation_pytorch.models.registry import import_submodules

__all__ = ["HRNET_LAYOUT", "BaseBackbone", "HRNet", "HRNetFeatures"]

# Every module of this folder registers its parts: a new one needs no line here.
import_submodules(__name__, __path__)
