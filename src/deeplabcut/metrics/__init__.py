"""Pose-estimation metrics with DeepLabCut 3's definitions (pure NumPy).

"RMSE" here keeps DeepLabCut's meaning: the mean Euclidean distance in pixels
between matched predicted and labeled keypoints (see :mod:`.pose`).
"""

from deeplabcut.metrics.boxes import IOU_THRESHOLDS, box_metrics, match_boxes
from deeplabcut.metrics.pose import (
    DEFAULT_OKS_SIGMA,
    OKS_THRESHOLDS,
    RECALL_THRESHOLDS,
    MatchedErrors,
    compute_metrics,
    match_greedy,
    matched_pixel_errors,
    mean_average_precision,
    object_keypoint_similarity,
    oks_matrix,
    rmse,
    rmse_pcutoff,
    rmse_per_bodypart,
)

__all__ = [
    "IOU_THRESHOLDS",
    "box_metrics",
    "match_boxes",
    "DEFAULT_OKS_SIGMA",
    "OKS_THRESHOLDS",
    "RECALL_THRESHOLDS",
    "MatchedErrors",
    "compute_metrics",
    "match_greedy",
    "matched_pixel_errors",
    "mean_average_precision",
    "object_keypoint_similarity",
    "oks_matrix",
    "rmse",
    "rmse_pcutoff",
    "rmse_per_bodypart",
]
