"""Data: a shuffle's labels and split (``ShuffleData``) and the torch dataset (``PoseTrainDataset``)."""

from deeplabcut.pose_estimation_pytorch.data.dataset import PoseTrainDataset, load_image
from deeplabcut.pose_estimation_pytorch.data.project import ShuffleData, SplitData
from deeplabcut.pose_estimation_pytorch.data.transforms import KeypointTransform, build_transforms

#: DeepLabCut's PyTorch API name for :class:`ShuffleData` (kept for users' scripts).
Project = ShuffleData

__all__ = ["KeypointTransform", "PoseTrainDataset", "Project", "ShuffleData", "SplitData", "build_transforms", "load_image"]
