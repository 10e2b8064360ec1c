"""Codecs: the geometry between keypoints and model outputs.

Each codec pairs ``encode(keypoints, visibility, image_size, stride) -> targets``
(training) with ``decode(outputs) -> poses`` (inference), so the pair can be
tested as a round trip. The detector's :class:`CenterBoxCodec` does the same
for boxes: ``encode(boxes, image_size) -> targets``, ``decode(outputs) -> boxes, scores``.
"""

from deeplabcut.pose_estimation_pytorch.models.codecs.boxes import CenterBoxCodec
from deeplabcut.pose_estimation_pytorch.models.codecs.dekr import DEKRCodec
from deeplabcut.pose_estimation_pytorch.models.codecs.heatmap import HeatmapCodec

__all__ = ["CenterBoxCodec", "DEKRCodec", "HeatmapCodec"]
