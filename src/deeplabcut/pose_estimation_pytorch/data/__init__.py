"""Data: a shuffle's labels and split (``ShuffleData``) and the torch datasets.

``PoseTrainDataset`` (whole images, bottom-up models); for top-down models
``CroppedPoseDataset`` (one crop per labeled animal) and ``DetectorDataset``
(whole images with a box per animal).
"""

from deeplabcut.pose_estimation_pytorch.data.dataset import PoseTrainDataset, load_image
from deeplabcut.pose_estimation_pytorch.data.project import ShuffleData, SplitData
from deeplabcut.pose_estimation_pytorch.data.top_down import (
    CroppedPoseDataset,
    DetectorDataset,
    top_down_bbox_margin,
    top_down_crop_size,
)
from deeplabcut.pose_estimation_pytorch.data.transforms import KeypointTransform, build_transforms

#: DeepLabCut's PyTorch API name for :class:`ShuffleData` (kept for users' scripts).
Project = ShuffleData

__all__ = [
    "CroppedPoseDataset",
    "DetectorDataset",
    "KeypointTransform",
    "PoseTrainDataset",
    "Project",
    "ShuffleData",
    "SplitData",
    "build_transforms",
    "load_image",
    "top_down_bbox_margin",
    "top_down_crop_size",
]
