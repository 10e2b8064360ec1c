"""Data: a shuffle's labels and split (``Project``) and the torch dataset (``PoseTrainDataset``)."""

from deeplabcut.pose_estimation_pytorch.data.dataset import PoseTrainDataset, load_image
from deeplabcut.pose_estimation_pytorch.data.project import Project, SplitData
from deeplabcut.pose_estimation_pytorch.data.transforms import KeypointTransform, build_transforms

__all__ = ["KeypointTransform", "PoseTrainDataset", "Project", "SplitData", "build_transforms", "load_image"]
