"""Pose models: ``backbone -> (neck) -> heads``, with codecs (targets/decoding) and losses.

Entry point: :meth:`PoseModel.build` with the ``model`` section of
``pytorch_config.yaml`` (DEKR: HRNet -> DEKRHead; TokenPose: HRNet ->
TokenPoseTransformer neck -> TokenPoseHead). Top-down models find the
animals first with a detector: :func:`build_detector` with ``detector.model``.
Parts are found by their ``type`` in the registries of :mod:`.registry`;
importing this package registers every built-in part.
"""

from deeplabcut.pose_estimation_pytorch.models import losses
from deeplabcut.pose_estimation_pytorch.models.backbones import HRNet, HRNetFeatures
from deeplabcut.pose_estimation_pytorch.models.codecs import CenterBoxCodec, DEKRCodec, HeatmapCodec
from deeplabcut.pose_estimation_pytorch.models.detectors import CenterDetector, build_detector
from deeplabcut.pose_estimation_pytorch.models.heads import DEKRHead, HeatmapHead, TokenPoseHead
from deeplabcut.pose_estimation_pytorch.models.model import PoseModel
from deeplabcut.pose_estimation_pytorch.models.necks import TokenPoseTransformer
from deeplabcut.pose_estimation_pytorch.models.registry import (
    BACKBONES,
    CODECS,
    DETECTORS,
    HEADS,
    LOSSES,
    NECKS,
    Registry,
)
from deeplabcut.pose_estimation_pytorch.models.weights import LoadReport, load_pretrained_weights

__all__ = [
    "BACKBONES",
    "CODECS",
    "DETECTORS",
    "HEADS",
    "LOSSES",
    "NECKS",
    "CenterBoxCodec",
    "CenterDetector",
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
    "build_detector",
    "load_pretrained_weights",
    "losses",
]
