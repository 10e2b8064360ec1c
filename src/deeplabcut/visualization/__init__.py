"""Pictures: keypoints on frames, labeled videos, learning curves, trajectories.

OpenCV draws on video frames (fast, anti-aliased); matplotlib, without pyplot
(Agg figures, nothing global left open), makes labeled images and plots.
"""

from deeplabcut.visualization.colors import colors_to_rgb255, get_colors, to_rgb255
from deeplabcut.visualization.drawing import draw_poses, skeleton_indices
from deeplabcut.visualization.labeled_frames import LabeledFramePlotter, plot_labeled_frame, with_unique_row
from deeplabcut.visualization.labeled_video import create_labeled_video_from_dataframe
from deeplabcut.visualization.learning_curve import plot_learning_curve
from deeplabcut.visualization.trajectories import plot_trajectories

__all__ = [
    "LabeledFramePlotter",
    "colors_to_rgb255",
    "create_labeled_video_from_dataframe",
    "draw_poses",
    "get_colors",
    "plot_labeled_frame",
    "plot_learning_curve",
    "plot_trajectories",
    "skeleton_indices",
    "to_rgb255",
    "with_unique_row",
]
