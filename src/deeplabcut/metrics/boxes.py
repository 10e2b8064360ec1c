"""Detector metrics: COCO-style box mAP@50:95 and recall within ``max_individuals`` (pure NumPy).

Boxes are ``[x1, y1, x2, y2]`` in pixels. Matching follows pycocotools: per
image, detections in descending score order each take the free ground-truth
box of highest IoU, if that IoU reaches the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from deeplabcut.geometry import box_iou
from deeplabcut.metrics.ranking import average_precision_recall

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
RECALL_THRESHOLDS = np.linspace(0.0, 1.0, 101)


def match_boxes(iou: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Greedy COCO matching of one image's detections (rows, sorted by descending score).

    Args:
        iou: ``(D, G)`` IoU of detections with ground-truth boxes.
        thresholds: ``(T,)`` IoU thresholds.

    Returns:
        ``(T, D)`` int: the matched ground-truth index, or -1.
    """
    num_det, num_gt = iou.shape
    matched = np.full((len(thresholds), num_det), -1, dtype=int)
    for t, threshold in enumerate(thresholds):
        free = np.ones(num_gt, dtype=bool)
        for d in range(num_det):
            candidates = np.where(free & (iou[d] >= threshold), iou[d], -1.0)
            if num_gt and candidates.max() >= 0:
                best = int(candidates.argmax())
                matched[t, d] = best
                free[best] = False
    return matched


def _valid(boxes: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return boxes[np.isfinite(boxes).all(axis=1) & (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])]


def box_metrics(
    ground_truth: Sequence[np.ndarray],
    detections: Sequence[np.ndarray],
    scores: Sequence[np.ndarray],
    max_detections: int | None = None,
) -> dict[str, float]:
    """Box mAP and mAR over IoU 0.50:0.05:0.95, mAP@50, and recall@50 within ``max_detections``.

    Args:
        ground_truth: per image, ``(G, 4)`` boxes; NaN rows are ignored.
        detections: per image, ``(D, 4)`` boxes; rows with a negative or NaN
            score (DeepLabCut's -1 padding) are ignored.
        scores: per image, ``(D,)`` detection scores.
        max_detections: keep at most this many detections per image (the
            highest-scoring; ``max_individuals``); None keeps all.

    Returns:
        ``{"mAP@50:95", "mAR@50:95", "mAP@50", "recall@50"}`` in percent.
        ``recall@50`` is the share of ground-truth boxes found at IoU >= 0.5.
    """
    thresholds = IOU_THRESHOLDS
    total_gt = 0
    matches, all_scores = [], []
    for gt, det, score in zip(ground_truth, detections, scores):
        gt = _valid(gt)
        det = np.asarray(det, dtype=np.float64).reshape(-1, 4)
        score = np.asarray(score, dtype=np.float64).reshape(-1)
        keep = np.isfinite(score) & (score >= 0) & np.isfinite(det).all(axis=1)
        det, score = det[keep], score[keep]
        order = np.argsort(-score, kind="mergesort")[: max_detections if max_detections else None]
        det, score = det[order], score[order]
        total_gt += len(gt)
        if len(det) == 0:
            continue
        matches.append(match_boxes(box_iou(det, gt), thresholds) >= 0)
        all_scores.append(score)
    if not matches:
        return {"mAP@50:95": 0.0, "mAR@50:95": 0.0, "mAP@50": 0.0, "recall@50": 0.0}
    true_positive = np.concatenate(matches, axis=1)
    pooled = np.concatenate(all_scores)
    mean_ap, mean_ar = average_precision_recall(true_positive, pooled, total_gt, RECALL_THRESHOLDS)
    ap50, recall50 = average_precision_recall(true_positive[:1], pooled, total_gt, RECALL_THRESHOLDS)
    return {"mAP@50:95": mean_ap, "mAR@50:95": mean_ar, "mAP@50": ap50, "recall@50": recall50}
