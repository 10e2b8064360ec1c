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

__all__ = ["POSITION_EMBEDDINGS", "TokenPoseTransformer", "TransformerBlock", "sine_position_embedding"]
