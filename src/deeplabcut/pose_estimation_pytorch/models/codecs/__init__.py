"""Codecs: the geometry between keypoints and model outputs.

Each codec pairs ``encode(keypoints, visibility, image_size, stride) -> targets``
(training) with ``decode(outputs) -> poses`` (inference), so the pair can be
tested as a round trip.
"""

from deeplabcut.pose_estimation_pytorch.models.codecs.dekr import DEKRCodec
from deeplabcut.pose_estimation_pytorch.models.codecs.heatmap import HeatmapCodec

__all__ = ["DEKRCodec", "HeatmapCodec"]
