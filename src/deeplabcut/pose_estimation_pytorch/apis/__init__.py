"""The PyTorch engine's public API (``import deeplabcut.pose_estimation_pytorch.apis as api``)."""

from deeplabcut.pose_estimation_pytorch.apis.evaluation import evaluate_network
from deeplabcut.pose_estimation_pytorch.apis.export import export_model
from deeplabcut.pose_estimation_pytorch.apis.images import analyze_images
from deeplabcut.pose_estimation_pytorch.apis.labeled_video import create_labeled_video, plot_trajectories
from deeplabcut.pose_estimation_pytorch.apis.post_processing import analyzeskeleton, filterpredictions
from deeplabcut.pose_estimation_pytorch.apis.sharding import analysis_status
from deeplabcut.pose_estimation_pytorch.apis.tracklets import convert_detections2tracklets, stitch_tracklets
from deeplabcut.pose_estimation_pytorch.apis.training import train_network
from deeplabcut.pose_estimation_pytorch.apis.videos import analyze_videos

__all__ = [
    "analysis_status",
    "analyze_images",
    "analyze_videos",
    "analyzeskeleton",
    "convert_detections2tracklets",
    "create_labeled_video",
    "evaluate_network",
    "export_model",
    "filterpredictions",
    "plot_trajectories",
    "stitch_tracklets",
    "train_network",
]
