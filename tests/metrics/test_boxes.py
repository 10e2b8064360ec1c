"""Box mAP/recall against hand-computed answers (COCO's definitions)."""

import numpy as np
import pytest

from deeplabcut.metrics import box_metrics, match_boxes


def test_perfect_detections_score_100():
    gt = [np.array([[0, 0, 10, 10], [20, 20, 40, 30]], float)]
    result = box_metrics(gt, gt, [np.array([0.9, 0.8])])
    assert result["mAP@50:95"] == pytest.approx(100.0)
    assert result["recall@50"] == pytest.approx(100.0)


def test_iou_0909_counts_at_nine_of_ten_thresholds():
    gt = [np.array([[0, 0, 10, 10]], float)]
    det = [np.array([[0, 0, 10, 11]], float)]  # IoU = 100 / 110
    result = box_metrics(gt, det, [np.array([0.5])])
    assert result["mAP@50:95"] == pytest.approx(90.0)
    assert result["mAP@50"] == pytest.approx(100.0)


def test_missed_animal_halves_recall_and_padding_is_ignored():
    gt = [np.array([[0, 0, 10, 10], [50, 50, 60, 60]], float)]
    det = [np.array([[0, 0, 10, 10], [-1, -1, -1, -1]], float)]
    result = box_metrics(gt, det, [np.array([0.9, -1.0])])
    assert result["recall@50"] == pytest.approx(50.0)
    assert result["mAP@50"] == pytest.approx(50.0, abs=1.0)  # precision 1 up to recall 0.5, then 0


def test_max_detections_keeps_the_best_scored():
    gt = [np.array([[0, 0, 10, 10]], float)]
    det = [np.array([[30, 30, 40, 40], [0, 0, 10, 10]], float)]
    assert box_metrics(gt, det, [np.array([0.9, 0.5])], max_detections=1)["recall@50"] == 0.0
    assert box_metrics(gt, det, [np.array([0.9, 0.5])], max_detections=2)["recall@50"] == 100.0


def test_greedy_matching_takes_the_best_free_box():
    iou = np.array([[0.6, 0.8], [0.7, 0.75]])
    matched = match_boxes(iou, np.array([0.5, 0.78]))
    np.testing.assert_array_equal(matched, [[1, 0], [1, -1]])


def test_no_detections():
    result = box_metrics([np.array([[0, 0, 1, 1]], float)], [np.zeros((0, 4))], [np.zeros(0)])
    assert result == {"mAP@50:95": 0.0, "mAR@50:95": 0.0, "mAP@50": 0.0, "recall@50": 0.0}
