"""Heads: layers that turn features into outputs, each with its codec and criteria."""

from deeplabcut.pose_estimation_pytorch.models.heads.base import BaseHead
from deeplabcut.pose_estimation_pytorch.models.heads.dekr import DEKRHead
from deeplabcut.pose_estimation_pytorch.models.heads.heatmap import HeatmapHead
from deeplabcut.pose_estimation_pytorch.models.heads.tokenpose import TokenPoseHead
from deeplabcut.pose_estimation_pytorch.models.registry import import_submodules

__all__ = ["BaseHead", "DEKRHead", "HeatmapHead", "TokenPoseHead"]

# Every module of this folder registers its parts: a new one needs no line here.
import_submodules(__name__, __path__)
