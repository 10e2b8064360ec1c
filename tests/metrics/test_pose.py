"""Pose metrics against hand-computed answers."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

from deeplabcut.errors import LabelError
from deeplabcut.metrics import (
    compute_metrics,
    match_greedy,
    mean_average_precision,
    object_keypoint_similarity,
    oks_matrix,
    rmse,
    rmse_pcutoff,
    rmse_per_bodypart,
)

# A 10 x 20 pixel rectangle: OKS scale^2 = 10 * 20 = 200, k^2 = (2 * 0.1)^2 = 0.04
RECTANGLE = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 20.0], [10.0, 20.0]])
OKS_DENOMINATOR = 2 * 200 * 0.04  # = 16


def with_scores(xy: np.ndarray, scores) -> np.ndarray:
    scores = np.broadcast_to(np.asarray(scores, dtype=float), xy.shape[:-1])
    return np.concatenate([xy, scores[..., None]], axis=-1)


def shifted_pose(offset: float, score: float = 0.9, base: np.ndarray = RECTANGLE) -> np.ndarray:
    return with_scores(base + np.array([offset, 0.0]), score)


def offset_for_oks(target_oks: float) -> float:
    """x-offset applied to every RECTANGLE keypoint that gives this OKS."""
    return math.sqrt(-math.log(target_oks) * OKS_DENOMINATOR)


# ----------------------------------------------------------------- RMSE


def test_single_animal_rmse_equals_the_injected_pixel_error():
    gt = [RECTANGLE, RECTANGLE + 50]
    pred = [with_scores(RECTANGLE + [3.0, 4.0], 0.9), with_scores(RECTANGLE + 50 + [3.0, 4.0], 0.9)]
    assert rmse(gt, pred, single_animal=True) == pytest.approx(5.0)


def test_rmse_is_the_mean_distance_not_a_root_mean_square():
    gt = np.array([[0.0, 0.0], [100.0, 0.0]])
    pred = with_scores(np.array([[3.0, 0.0], [104.0, 0.0]]), 0.9)
    # distances 3 and 4: mean 3.5 (a true RMS would be 3.536)
    assert rmse([gt], [pred], single_animal=True) == pytest.approx(3.5)


def test_unlabeled_and_unpredicted_keypoints_are_left_out():
    gt = RECTANGLE.copy()
    gt[3] = np.nan  # not labeled
    pred = with_scores(RECTANGLE + np.array([[1.0, 0], [2.0, 0], [3.0, 0], [100.0, 0]]), 0.9)
    pred[0, 2] = -1.0  # not predicted (DeepLabCut's -1 padding)
    assert rmse([gt], [pred], single_animal=True) == pytest.approx((2.0 + 3.0) / 2)
    per_bodypart = rmse_per_bodypart([gt], [pred], single_animal=True)
    np.testing.assert_allclose(per_bodypart, [np.nan, 2.0, 3.0, np.nan])


def test_rmse_pcutoff_keeps_only_confident_keypoints():
    gt = RECTANGLE
    pred = with_scores(RECTANGLE + np.array([[1.0, 0], [2.0, 0], [3.0, 0], [4.0, 0]]), [0.9, 0.5, 0.6, 0.1])
    assert rmse([gt], [pred], single_animal=True) == pytest.approx(2.5)
    # score >= 0.6 keeps bodyparts 0 and 2 (0.6 itself included)
    assert rmse_pcutoff([gt], [pred], pcutoff=0.6, single_animal=True) == pytest.approx(2.0)
    # one cutoff per bodypart: keeps 0 and 1
    per_bodypart_cutoff = [0.4, 0.4, 0.8, 0.8]
    assert rmse_pcutoff([gt], [pred], pcutoff=per_bodypart_cutoff, single_animal=True) == pytest.approx(1.5)
    np.testing.assert_allclose(
        rmse_per_bodypart([gt], [pred], single_animal=True, pcutoff=0.6), [1.0, np.nan, 3.0, np.nan]
    )


def test_nothing_above_pcutoff_gives_nan():
    pred = with_scores(RECTANGLE + 1, 0.1)
    assert math.isnan(rmse_pcutoff([RECTANGLE], [pred], pcutoff=0.6, single_animal=True))


def test_multi_animal_predictions_in_swapped_order_are_matched_to_the_right_animal():
    animal_a = RECTANGLE
    animal_b = RECTANGLE + [200.0, 100.0]
    gt = np.stack([animal_a, animal_b])
    # predictions listed b first, a second, with a lower score for b: errors 1 px on a, 2 px on b
    pred = np.stack([shifted_pose(2.0, 0.5, animal_b), shifted_pose(1.0, 0.9, animal_a)])
    assert rmse([gt], [pred]) == pytest.approx(1.5)
    np.testing.assert_allclose(rmse_per_bodypart([gt], [pred]), [1.5] * 4)


def test_unmatched_and_padded_predictions_add_nothing():
    gt = np.stack([RECTANGLE, RECTANGLE + [200.0, 100.0]])
    far_away = shifted_pose(0.0, 0.95, RECTANGLE + [1000.0, 1000.0])  # OKS 0 with both
    padding = np.full((4, 3), -1.0)
    pred = np.stack([far_away, shifted_pose(1.0, 0.9), padding])
    assert rmse([gt], [pred]) == pytest.approx(1.0)


def test_unique_bodyparts_are_added_to_the_same_sums():
    gt = RECTANGLE[:2]
    pred = with_scores(gt + [2.0, 0.0], 0.9)  # two errors of 2 px
    unique_gt = np.array([[50.0, 50.0]])
    unique_pred = np.array([[53.0, 54.0, 0.3]])  # one error of 5 px, low score
    results = compute_metrics(
        [gt], [pred], single_animal=True, pcutoff=0.6,
        unique_ground_truth=[unique_gt], unique_predictions=[unique_pred],
    )
    assert results["rmse"] == pytest.approx((2 + 2 + 5) / 3)
    assert results["rmse_pcutoff"] == pytest.approx(2.0)
    np.testing.assert_allclose(results["rmse_per_unique_bodypart"], [5.0])
    np.testing.assert_allclose(results["rmse_pcutoff_per_unique_bodypart"], [np.nan])
    # a per-bodypart cutoff covers bodyparts then unique bodyparts
    results = compute_metrics(
        [gt], [pred], single_animal=True, pcutoff=[0.95, 0.5, 0.2],
        unique_ground_truth=[unique_gt], unique_predictions=[unique_pred],
    )
    assert results["rmse_pcutoff"] == pytest.approx((2 + 5) / 2)


def test_dict_inputs_are_paired_by_image_key():
    gt = {"img1.png": RECTANGLE, "img0.png": RECTANGLE + 100}
    pred = {"img0.png": with_scores(RECTANGLE + 100 + [1.0, 0], 0.9), "img1.png": with_scores(RECTANGLE + [3.0, 0], 0.9)}
    assert rmse(gt, pred, single_animal=True) == pytest.approx(2.0)


def test_bad_inputs_raise_label_errors_that_name_the_image():
    with pytest.raises(LabelError, match="img7"):
        rmse({"img7": RECTANGLE}, {"img8": with_scores(RECTANGLE, 1.0)}, single_animal=True)
    with pytest.raises(LabelError, match="4 bodyparts"):
        rmse([RECTANGLE], [with_scores(RECTANGLE[:3], 1.0)], single_animal=True)
    with pytest.raises(LabelError, match="single_animal=False"):
        rmse([np.stack([RECTANGLE, RECTANGLE + 50])], [with_scores(RECTANGLE, 1.0)], single_animal=True)


# ----------------------------------------------------------------- OKS


def test_oks_of_a_perfect_prediction_is_one():
    assert object_keypoint_similarity(with_scores(RECTANGLE, 0.9), RECTANGLE) == pytest.approx(1.0)


def test_oks_of_a_known_offset_matches_the_formula():
    offsets = np.array([1.0, 2.0, 0.0, 3.0])
    pred = RECTANGLE + np.stack([offsets, np.zeros(4)], axis=1)
    expected = np.mean(np.exp(-(offsets**2) / OKS_DENOMINATOR))
    assert object_keypoint_similarity(pred, RECTANGLE) == pytest.approx(expected, rel=1e-12)
    # margin widens the box on each side: scale^2 = (10 + 2m)(20 + 2m)
    margin = 5.0
    expected = np.mean(np.exp(-(offsets**2) / (2 * 20 * 30 * 0.04)))
    assert object_keypoint_similarity(pred, RECTANGLE, margin=margin) == pytest.approx(expected, rel=1e-12)


def test_oks_missing_prediction_counts_zero_and_unlabeled_points_are_skipped():
    pred = RECTANGLE.copy()
    pred[1] = np.nan
    assert object_keypoint_similarity(pred, RECTANGLE) == pytest.approx(0.75)
    gt = RECTANGLE.copy()
    gt[1] = np.nan  # box is still 10 x 20 thanks to point 3
    assert object_keypoint_similarity(pred, gt) == pytest.approx(1.0)


def test_oks_needs_two_labeled_keypoints():
    gt = np.full((4, 2), np.nan)
    gt[0] = [5.0, 5.0]
    assert math.isnan(object_keypoint_similarity(RECTANGLE, gt))


def test_oks_matrix_is_predictions_by_ground_truth():
    gt = np.stack([RECTANGLE, RECTANGLE + 500])
    pred = np.stack([RECTANGLE + 500, RECTANGLE, RECTANGLE + 1000])
    np.testing.assert_allclose(oks_matrix(pred, gt), [[0, 1], [1, 0], [0, 0]], atol=1e-12)


def test_greedy_matching_follows_deeplabcut_taken_animal_leaves_prediction_unmatched():
    oks = np.array([[0.9, 0.8], [0.7, 0.6]])  # both predictions prefer animal 0
    np.testing.assert_array_equal(match_greedy(oks, 0.5), [0, -1])
    np.testing.assert_array_equal(match_greedy(oks, [0.5, 0.85]), [[0, -1], [0, -1]])
    # below the threshold the first prediction does not claim animal 0
    np.testing.assert_array_equal(match_greedy(np.array([[0.4, 0.1], [0.6, 0.2]]), 0.5), [-1, 0])


# ----------------------------------------------------------------- mAP


def test_map_is_100_for_perfect_predictions():
    gt = [np.stack([RECTANGLE, RECTANGLE + 300]), RECTANGLE[None] + 40]
    pred = [np.stack([shifted_pose(0, 0.8, RECTANGLE + 300), shifted_pose(0, 0.9)]), shifted_pose(0, 0.7, RECTANGLE + 40)[None]]
    assert mean_average_precision(gt, pred) == pytest.approx((100.0, 100.0))


def test_map_with_a_false_positive_ranked_below_the_true_positive():
    gt = [np.stack([RECTANGLE, RECTANGLE + 300])]
    false_positive = shifted_pose(0, 0.5, RECTANGLE + 1000)
    pred = [np.stack([shifted_pose(0, 0.9), false_positive])]
    # ranked TP, FP: recall 0.5 at precision 1 -> recall points 0.00..0.50 (51 of 101) have precision 1
    mean_ap, mean_ar = mean_average_precision(gt, pred)
    assert mean_ap == pytest.approx(100 * 51 / 101)
    assert mean_ar == pytest.approx(50.0)


def test_map_with_a_false_positive_ranked_above_the_true_positive():
    gt = [np.stack([RECTANGLE, RECTANGLE + 300])]
    pred = [np.stack([shifted_pose(0, 0.9, RECTANGLE + 1000), shifted_pose(0, 0.5)])]
    # ranked FP, TP: precision 0.5 (monotone envelope) at recall points 0.00..0.50
    mean_ap, mean_ar = mean_average_precision(gt, pred)
    assert mean_ap == pytest.approx(100 * 0.5 * 51 / 101)
    assert mean_ar == pytest.approx(50.0)


def test_map_counts_a_prediction_only_at_thresholds_below_its_oks():
    pred = shifted_pose(offset_for_oks(0.72), 0.9)
    assert object_keypoint_similarity(pred, RECTANGLE) == pytest.approx(0.72)
    # true positive at 0.50, 0.55, 0.60, 0.65, 0.70; false positive at 0.75 ... 0.95
    assert mean_average_precision([RECTANGLE[None]], [pred[None]]) == pytest.approx((50.0, 50.0))


def test_no_predictions_give_zero():
    empty = np.zeros((0, 4, 3))
    padded = np.full((3, 4, 3), -1.0)
    assert mean_average_precision([RECTANGLE[None]], [empty]) == (0.0, 0.0)
    assert mean_average_precision([RECTANGLE[None]], [padded]) == (0.0, 0.0)
    results = compute_metrics([RECTANGLE[None]], [padded], single_animal=False)
    assert results["mAP"] == 0.0 and results["mAR"] == 0.0
    assert math.isnan(results["rmse"])


def test_compute_metrics_reports_every_key():
    gt = [np.stack([RECTANGLE, RECTANGLE + 300])]
    pred = [np.stack([shifted_pose(1.0, 0.9), shifted_pose(3.0, 0.4, RECTANGLE + 300)])]
    results = compute_metrics(gt, pred, single_animal=False, pcutoff=0.6)
    assert list(results)[:4] == ["rmse", "rmse_pcutoff", "mAP", "mAR"]
    assert results["rmse"] == pytest.approx(2.0)
    assert results["rmse_pcutoff"] == pytest.approx(1.0)
    np.testing.assert_allclose(results["rmse_per_bodypart"], [2.0] * 4)
    np.testing.assert_allclose(results["rmse_pcutoff_per_bodypart"], [1.0] * 4)
    # OKS: exp(-1/16) = 0.939 (matched at 0.50 ... 0.90) and exp(-9/16) = 0.570 (0.50, 0.55)
    assert 0.9 < math.exp(-1 / 16) < 0.95 and 0.55 < math.exp(-9 / 16) < 0.6
    assert results["mAR"] == pytest.approx(100 * (2 * 1.0 + 7 * 0.5 + 1 * 0.0) / 10)
    # precision 1 everywhere at 0.50/0.55; at 0.60 ... 0.90 only recall points <= 0.5 reach it
    assert results["mAP"] == pytest.approx(100 * (2 * 1.0 + 7 * 51 / 101) / 10)


@pytest.mark.skipif(
    importlib.util.find_spec("pycocotools") is None,
    reason="pycocotools is not installed (optional cross-check of mAP/mAR)",
)
def test_map_agrees_with_pycocotools():
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    rng = np.random.default_rng(0)
    num_keypoints = 5
    ground_truth, predictions = [], []
    gt_annotations, detections = [], []
    for image_id in range(1, 9):
        animals = []
        for animal in range(3):  # well separated, so both matching rules agree
            origin = np.array([animal * 400.0, 0.0])
            animals.append(origin + rng.uniform(0, 80, size=(num_keypoints, 2)))
        animals = np.stack(animals)
        ground_truth.append(animals)
        preds = animals + rng.normal(0, rng.uniform(0.5, 15), size=animals.shape)
        scores = rng.uniform(0.1, 1.0, size=(3, num_keypoints))
        predictions.append(np.concatenate([preds, scores[..., None]], axis=-1))
        for animal in animals:
            width, height = np.ptp(animal, axis=0)
            keypoints = np.concatenate([animal, np.full((num_keypoints, 1), 2.0)], axis=1)
            gt_annotations.append({
                "id": len(gt_annotations) + 1, "image_id": image_id, "category_id": 1,
                "keypoints": keypoints.ravel().tolist(), "num_keypoints": num_keypoints,
                "area": float(width * height), "iscrowd": 0,
                "bbox": [*animal.min(axis=0).tolist(), float(width), float(height)],
            })
        for pose, pose_scores in zip(preds, scores):
            keypoints = np.concatenate([pose, np.ones((num_keypoints, 1))], axis=1)
            detections.append({
                "image_id": image_id, "category_id": 1,
                "keypoints": keypoints.ravel().tolist(), "score": float(pose_scores.mean()),
            })
    coco_gt = COCO()
    coco_gt.dataset = {
        "images": [{"id": i} for i in range(1, 9)],
        "categories": [{"id": 1, "name": "animal", "keypoints": [str(k) for k in range(num_keypoints)], "skeleton": []}],
        "annotations": gt_annotations,
    }
    coco_gt.createIndex()
    coco_dt = coco_gt.loadRes(detections)
    evaluator = COCOeval(coco_gt, coco_dt, "keypoints")
    evaluator.params.kpt_oks_sigmas = np.full(num_keypoints, 0.1)
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    mean_ap, mean_ar = mean_average_precision(ground_truth, predictions)
    assert mean_ap == pytest.approx(100 * evaluator.stats[0], abs=1e-3)
    assert mean_ar == pytest.approx(100 * evaluator.stats[5], abs=1e-3)
