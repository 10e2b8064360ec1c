"""Codecs: the geometry between keypoints and model outputs.

Each codec pairs ``encode(keypoints, visibility, image_size, stride) -> targets``
(training) with ``decode(outputs) -> poses`` (inference), so the pair can be
tested as a round trip. The detector's :class:`CenterBoxCodec` does the same
for boxes: ``encode(boxes, image_size) -> targets``, ``decode(outputs) -> boxes, scores``.
"""

from deeplabcut.pose_estimation_pytorch.models.codecs.boxes import CenterBoxCodec
from deeplabcut.pose_estimation_pytorch.models.codecs.dekr import DEKRCodec
from deeplabcut.pose_estimation_pytorch.models.codecs.heatmap import HeatmapCodec
from deeplabcut.pose_estimation_pytorch.models.registry import import_submodules

__all__ = ["CenterBoxCodec", "DEKRCodec", "HeatmapCodec"]

# Every module of this folder registers its parts: a new one needs no line here.
import_submodules(__name__, __path__)
