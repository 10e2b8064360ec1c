"""Necks: modules between a backbone and the heads (TokenPose's transformer).

A neck is built with the backbone's ``in_channels`` and ``input_stride`` and
exposes ``out_channels``, ``stride`` and ``feature_size(image_size)`` for the heads.
"""

from deeplabcut.pose_estimation_pytorch.models.necks.tokenpose import (
    POSITION_EMBEDDINGS,
    TokenPoseTransformer,
    TransformerBlock,
    sine_position_embedding,
)
from deeplabcut.pose_estimation_pytorch.models.registry import import_submodules

__all__ = ["POSITION_EMBEDDINGS", "TokenPoseTransformer", "TransformerBlock", "sine_position_embedding"]

# Every module of this folder registers its parts: a new one needs no line here.
import_submodules(__name__, __path__)
