"""Pose models: ``backbone -> (neck) -> heads``, with codecs (targets/decoding) and losses.

Entry point: :meth:`PoseModel.build` with the ``model`` section of
``pytorch_config.yaml`` (DEKR: HRNet -> DEKRHead; TokenPose: HRNet ->
TokenPoseTransformer neck -> TokenPoseHead). Parts are found by their ``type`` in the registries
of :mod:`.registry`; importing this package registers every built-in part.
"""

from deeplabcut.pose_estimation_pytorch.models import losses
from deeplabcut.pose_estimation_pytorch.models.backbones import HRNet, HRNetFeatures
from deeplabcut.pose_estimation_pytorch.models.codecs import DEKRCodec, HeatmapCodec
from deeplabcut.pose_estimation_pytorch.models.heads import DEKRHead, HeatmapHead, TokenPoseHead
from deeplabcut.pose_estimation_pytorch.models.model import PoseModel
from deeplabcut.pose_estimation_pytorch.models.necks import TokenPoseTransformer
from deeplabcut.pose_estimation_pytorch.models.registry import (
    BACKBONES,
    CODECS,
    HEADS,
    LOSSES,
    NECKS,
    Registry,
)
from deeplabcut.pose_estimation_pytorch.models.weights import LoadReport, load_pretrained_weights

__all__ = [
    "BACKBONES",
    "CODECS",
    "HEADS",
    "LOSSES",
    "NECKS",
    "DEKRCodec",
    "DEKRHead",
    "HRNet",
    "HRNetFeatures",
    "HeatmapCodec",
    "HeatmapHead",
    "LoadReport",
    "PoseModel",
    "Registry",
    "TokenPoseHead",
    "TokenPoseTransformer",
    "load_pretrained_weights",
    "losses",
]
