"""COCO-style average precision and recall from matched, scored detections (shared by poses and boxes)."""

from __future__ import annotations

import numpy as np


def average_precision_recall(
    true_positive: np.ndarray,
    scores: np.ndarray,
    total_ground_truth: int,
    recall_thresholds: np.ndarray,
) -> tuple[float, float]:
    """Mean average precision and mean final recall over matching thresholds, in percent.

    Detections of every image are pooled and ranked by score; precision is
    made non-increasing (the envelope) and sampled at ``recall_thresholds``
    (COCO's 101 points), as pycocotools does.

    Args:
        true_positive: ``(T, M)`` bool, whether detection ``m`` was matched at
            threshold ``t`` (e.g. OKS or IoU 0.50:0.05:0.95).
        scores: ``(M,)`` detection scores (higher first).
        total_ground_truth: how many ground-truth objects there are.
        recall_thresholds: ``(R,)`` recall values where precision is sampled.

    Returns:
        ``(mAP, mAR)`` in percent; ``(0, 0)`` without detections and
        ``(0, nan)`` without ground truth (recall undefined).
    """
    if true_positive.shape[1] == 0:
        return 0.0, 0.0
    if total_ground_truth == 0:
        return 0.0, float("nan")
    order = np.argsort(-np.asarray(scores), kind="mergesort")
    tp = np.cumsum(np.asarray(true_positive)[:, order], axis=1)
    detections = np.arange(1, tp.shape[1] + 1)
    recall = tp / total_ground_truth
    precision = tp / (detections + np.spacing(1))
    precision = np.maximum.accumulate(precision[:, ::-1], axis=1)[:, ::-1]
    sampled = np.zeros((tp.shape[0], len(recall_thresholds)))
    for t in range(tp.shape[0]):
        indices = np.searchsorted(recall[t], recall_thresholds, side="left")
        valid = indices < precision.shape[1]
        sampled[t, valid] = precision[t, indices[valid]]
    return 100.0 * float(sampled.mean()), 100.0 * float(recall[:, -1].mean())
