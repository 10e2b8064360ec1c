"""Pose-estimation metrics with DeepLabCut 3's definitions, in pure NumPy.

Input layout (per image; a dataset is a list of images, or a dict keyed by an
image id such as the image path):

* ground truth: ``(n_gt, K, 2)`` pixel coordinates ``(x, y)``, NaN where a
  keypoint is not labeled. ``(n_gt, K, 3)`` is accepted too, the third value
  being a visibility (``<= 0`` means not labeled). A single-animal image may be
  given as ``(K, 2)``.
* predictions: ``(n_pred, K, 3)`` with ``(x, y, score)``. Keypoints whose
  score is negative (DeepLabCut pads missing animals with ``-1``) or that
  hold a NaN are treated as not predicted. A single pose may be ``(K, 3)``.

Coordinates are pixels of the image the labels refer to.

Definitions (DeepLabCut 3.0, ``deeplabcut/core/metrics``):

* **"RMSE"** is, despite its name, the *mean Euclidean distance* in pixels
  between matched predicted and ground-truth keypoints (sum of distances /
  number of keypoints where both exist). No square root of a mean square is
  taken. We keep the name and the meaning so numbers compare with published
  DeepLabCut results.
* **rmse_pcutoff** is the same mean over keypoints whose predicted score is
  ``>= pcutoff`` (a scalar, or one cutoff per bodypart).
* **Matching.** Single-animal: the one prediction against the one labeled
  animal. Multi-animal: predictions, in descending order of mean keypoint
  score, are matched greedily by OKS (sigma 0.1): each takes the ground-truth
  animal with which its OKS is highest; if that animal is already taken, or
  the OKS is below the threshold (1e-6 for RMSE, the OKS threshold for mAP),
  the prediction stays unmatched. (This is DeepLabCut's rule; pycocotools
  would fall back to the next-best free animal. Both agree unless animals
  crowd each other.) Unmatched predictions add nothing to RMSE.
* **Unique bodyparts** are matched single-animal style and their errors are
  added to the same sums as the other bodyparts.
* **OKS** needs at least 2 labeled keypoints; its squared scale is the area
  of the labeled keypoints' bounding box (plus a margin); ``k^2 = (2 sigma)^2``.
* **mAP / mAR** are COCO-style (OKS thresholds 0.50:0.05:0.95, 101 recall
  points, monotone precision), multiplied by 100.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from deeplabcut.errors import LabelError
from deeplabcut.geometry import box_to_xywh, keypoint_boxes
from deeplabcut.metrics.ranking import average_precision_recall

DEFAULT_OKS_SIGMA = 0.1
"""OKS sigma DeepLabCut uses for every keypoint."""

RMSE_MATCHING_OKS_THRESHOLD = 1e-6
"""A multi-animal prediction counts towards RMSE only if its OKS is at least this."""

OKS_THRESHOLDS = np.linspace(0.5, 0.95, 10)
"""OKS thresholds at which average precision is computed (COCO: 0.50:0.05:0.95)."""

RECALL_THRESHOLDS = np.linspace(0.0, 1.0, 101)
"""Recall values at which precision is sampled (COCO: 101 points)."""

PoseBatch = Union[Sequence[Any], Mapping[Any, Any]]
"""A list of per-image arrays, or a dict mapping image ids to arrays."""


# --------------------------------------------------------------------------
# Input preparation
# --------------------------------------------------------------------------


def _as_image_pairs(
    ground_truth: PoseBatch, predictions: PoseBatch, what: str = "bodyparts"
) -> list[tuple[Any, Any, Any]]:
    """Pair ground truth with predictions image by image: ``[(image_id, gt, pred)]``."""
    if isinstance(ground_truth, Mapping):
        if not isinstance(predictions, Mapping):
            raise LabelError(
                f"Ground truth for {what} is a dict keyed by image but the predictions "
                f"are a {type(predictions).__name__}; pass both as dicts with the same "
                "keys, or both as lists in the same image order."
            )
        missing = [key for key in ground_truth if key not in predictions]
        if missing:
            shown = ", ".join(repr(key) for key in missing[:5])
            raise LabelError(
                f"No predictions for {len(missing)} labeled image(s) ({what}), e.g. "
                f"{shown}. Every image in the ground truth needs an entry in the "
                "predictions (an empty array of shape (0, K, 3) if nothing was found)."
            )
        return [(key, ground_truth[key], predictions[key]) for key in ground_truth]
    if isinstance(predictions, Mapping):
        raise LabelError(
            f"Predictions for {what} are a dict keyed by image but the ground truth is "
            f"a {type(ground_truth).__name__}; pass both as dicts or both as lists."
        )
    if len(ground_truth) != len(predictions):
        raise LabelError(
            f"Ground truth has {len(ground_truth)} images but predictions have "
            f"{len(predictions)} ({what}); give one entry per image, in the same order."
        )
    return [(index, gt, pred) for index, (gt, pred) in enumerate(zip(ground_truth, predictions))]


def _prepare_ground_truth(ground_truth: Any, image_id: Any) -> np.ndarray:
    """Return ``(n_gt, K, 2)`` float with NaN for unlabeled, all-NaN animals dropped."""
    gt = np.array(ground_truth, dtype=float)
    if gt.ndim == 2:
        gt = gt[None]
    if gt.ndim != 3 or gt.shape[-1] not in (2, 3):
        raise LabelError(
            f"Ground truth of image {image_id!r} has shape {gt.shape}; expected "
            "(n_animals, n_bodyparts, 2) with NaN for unlabeled keypoints, or "
            "(n_animals, n_bodyparts, 3) with a visibility flag as third value."
        )
    if gt.shape[-1] == 3:
        not_visible = ~(gt[..., 2] > 0)
        gt = gt[..., :2]
        gt[not_visible] = np.nan
    gt[np.isnan(gt).any(axis=-1)] = np.nan
    labeled = ~np.isnan(gt).all(axis=(1, 2))
    return gt[labeled]


def _prepare_predictions(predictions: Any, num_bodyparts: int | None, image_id: Any) -> np.ndarray:
    """Return ``(n_pred, K, 3)`` float, invalid keypoints NaN, empty poses dropped,
    sorted by mean score (descending, stable)."""
    pred = np.array(predictions, dtype=float)
    if pred.size == 0:
        return np.zeros((0, num_bodyparts or 0, 3))
    if pred.ndim == 2:
        pred = pred[None]
    if pred.ndim != 3 or pred.shape[-1] < 3:
        raise LabelError(
            f"Predictions of image {image_id!r} have shape {pred.shape}; expected "
            "(n_predictions, n_bodyparts, 3) holding (x, y, score)."
        )
    pred = pred[..., :3].copy()
    invalid = np.isnan(pred).any(axis=-1) | (pred[..., 2] < 0)
    pred[invalid] = np.nan
    pred = pred[~invalid.all(axis=1)]
    if len(pred) > 1:
        with np.errstate(invalid="ignore"):
            mean_scores = np.nanmean(pred[..., 2], axis=1)
        pred = pred[np.argsort(-mean_scores, kind="mergesort")]
    return pred


def _prepare(
    ground_truth: PoseBatch, predictions: PoseBatch, what: str = "bodyparts"
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Validate and clean a dataset: ``[(gt (G, K, 2), pred (P, K, 3) sorted)]``."""
    prepared = []
    num_bodyparts: int | None = None
    for image_id, gt_raw, pred_raw in _as_image_pairs(ground_truth, predictions, what):
        gt_array = np.asarray(gt_raw, dtype=float)
        k_gt = gt_array.shape[-2] if gt_array.ndim >= 2 else None
        gt = _prepare_ground_truth(gt_raw, image_id)
        pred = _prepare_predictions(pred_raw, k_gt, image_id)
        if pred.shape[1] != k_gt:
            raise LabelError(
                f"Image {image_id!r} ({what}): ground truth has {k_gt} bodyparts but the "
                f"predictions have {pred.shape[1]}; both must list the same bodyparts "
                "in the same order."
            )
        if num_bodyparts is None:
            num_bodyparts = k_gt
        elif k_gt != num_bodyparts:
            raise LabelError(
                f"Image {image_id!r} ({what}) has {k_gt} bodyparts, earlier images "
                f"{num_bodyparts}; every image must have the same bodyparts."
            )
        prepared.append((gt, pred))
    return prepared


def _num_bodyparts(data: list[tuple[np.ndarray, np.ndarray]]) -> int:
    return data[0][0].shape[1] if data else 0


# --------------------------------------------------------------------------
# OKS
# --------------------------------------------------------------------------


def oks_matrix(
    predictions: np.ndarray,
    ground_truth: np.ndarray,
    sigma: float = DEFAULT_OKS_SIGMA,
    margin: float = 0.0,
) -> np.ndarray:
    """OKS between every prediction and every ground-truth animal of one image.

    Args:
        predictions: ``(P, K, >=2)``; only ``(x, y)`` in pixels is used, NaN
            for a keypoint that was not predicted (counts as infinitely far).
        ground_truth: ``(G, K, 2)`` pixels, NaN for unlabeled keypoints.
        sigma: OKS sigma (one value for all keypoints).
        margin: pixels added on each side of the ground-truth keypoints'
            bounding box when computing the scale.

    Returns:
        ``(P, G)`` OKS in [0, 1]; NaN for a ground-truth animal with fewer than
        2 labeled keypoints or a degenerate (zero-area) extent.
    """
    pred_xy = np.asarray(predictions, dtype=float)[..., :2]
    gt_xy = np.asarray(ground_truth, dtype=float)[..., :2]
    num_pred, num_gt = pred_xy.shape[0], gt_xy.shape[0]
    if num_pred == 0 or num_gt == 0:
        return np.zeros((num_pred, num_gt))

    visible = ~np.isnan(gt_xy).any(axis=-1)  # (G, K)
    extent = box_to_xywh(keypoint_boxes(gt_xy, visible=visible))[:, 2:]  # (G, 2); NaN without labels
    scale_squared = np.prod(extent + np.spacing(1) + 2 * margin, axis=-1)  # (G,)
    k_squared = (2 * sigma) ** 2

    diff = pred_xy[:, None] - gt_xy[None]  # (P, G, K, 2)
    dist_squared = np.sum(diff**2, axis=-1)
    dist_squared[np.isnan(dist_squared)] = np.inf  # missing prediction: no similarity
    with np.errstate(divide="ignore", invalid="ignore"):
        similarity = np.exp(-dist_squared / (2 * scale_squared[None, :, None] * k_squared))
    similarity = np.where(visible[None], similarity, 0.0)
    num_visible = visible.sum(axis=-1)  # (G,)
    with np.errstate(divide="ignore", invalid="ignore"):
        oks = similarity.sum(axis=-1) / num_visible[None]
    usable = (num_visible >= 2) & ~np.isclose(scale_squared, 0.0)
    usable &= np.isfinite(scale_squared)
    oks[:, ~usable] = np.nan
    return oks


def object_keypoint_similarity(
    prediction: np.ndarray,
    ground_truth: np.ndarray,
    sigma: float = DEFAULT_OKS_SIGMA,
    margin: float = 0.0,
) -> float:
    """Object keypoint similarity between one predicted and one labeled pose.

    ``OKS = mean_k exp(-d_k^2 / (2 s^2 k^2))`` over the labeled keypoints,
    with ``d_k`` the pixel distance, ``s^2 = (w + eps + 2 margin)(h + eps + 2 margin)``
    where ``w, h`` are the x and y ranges of the labeled keypoints, and
    ``k^2 = (2 sigma)^2``. A keypoint missing from the prediction (NaN)
    contributes 0.

    Args:
        prediction: ``(K, >=2)`` pixels (a score column is ignored).
        ground_truth: ``(K, 2)`` pixels, NaN where not labeled.

    Returns:
        OKS in [0, 1], or NaN when fewer than 2 keypoints are labeled (no scale).
    """
    prediction = np.asarray(prediction, dtype=float)
    ground_truth = np.asarray(ground_truth, dtype=float)
    return float(oks_matrix(prediction[None], ground_truth[None], sigma, margin)[0, 0])


# --------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------


def match_greedy(oks: np.ndarray, thresholds: np.ndarray | float) -> np.ndarray:
    """DeepLabCut's greedy OKS matching of one image, for several thresholds at once.

    Predictions (rows, already sorted by descending score) are visited in
    order; each picks the ground-truth animal with the highest OKS. It is
    matched if that OKS is ``>= threshold`` and the animal is still free;
    otherwise it stays unmatched.

    Args:
        oks: ``(P, G)`` OKS matrix (NaN entries are ignored).
        thresholds: a scalar or ``(T,)`` OKS thresholds.

    Returns:
        ``(T, P)`` int array (``(P,)`` for a scalar threshold): index of the
        matched ground-truth animal, or -1.
    """
    scalar = np.ndim(thresholds) == 0
    thresholds = np.atleast_1d(np.asarray(thresholds, dtype=float))
    num_pred, num_gt = oks.shape
    matched = np.full((len(thresholds), num_pred), -1, dtype=int)
    claimed = np.zeros((len(thresholds), max(num_gt, 1)), dtype=bool)
    for pred_index in range(num_pred):
        row = oks[pred_index]
        if num_gt == 0 or np.isnan(row).all():
            continue
        best = int(np.nanargmax(row))
        accept = (row[best] >= thresholds) & ~claimed[:, best]
        matched[accept, pred_index] = best
        claimed[accept, best] = True
    return matched[0] if scalar else matched


# --------------------------------------------------------------------------
# Pixel errors ("RMSE")
# --------------------------------------------------------------------------


@dataclass
class MatchedErrors:
    """Pixel errors of matched predictions.

    Attributes:
        errors: ``(M, K)`` Euclidean distance in pixels between each matched
            prediction's keypoints and its ground truth; NaN where either is
            missing.
        scores: ``(M, K)`` the predicted keypoint scores.
    """

    errors: np.ndarray
    scores: np.ndarray


def _matched_errors(
    data: list[tuple[np.ndarray, np.ndarray]],
    single_animal: bool,
    oks_sigma: float = DEFAULT_OKS_SIGMA,
    oks_margin: float = 0.0,
    what: str = "bodyparts",
) -> MatchedErrors:
    num_bodyparts = _num_bodyparts(data)
    error_rows, score_rows = [], []
    for image_index, (gt, pred) in enumerate(data):
        if single_animal:
            if len(gt) > 1 or len(pred) > 1:
                raise LabelError(
                    f"Single-animal {what} metrics got {len(gt)} labeled animal(s) and "
                    f"{len(pred)} prediction(s) for image {image_index}; at most one of "
                    "each is allowed. Use single_animal=False for multi-animal data."
                )
            if len(gt) == 1 and len(pred) == 1:
                error_rows.append(np.linalg.norm(pred[0, :, :2] - gt[0], axis=-1))
                score_rows.append(pred[0, :, 2])
            continue
        if len(gt) == 0 or len(pred) == 0:
            continue
        oks = oks_matrix(pred, gt, sigma=oks_sigma, margin=oks_margin)
        matches = match_greedy(oks, RMSE_MATCHING_OKS_THRESHOLD)
        for pred_index in np.flatnonzero(matches >= 0):
            matched_gt = gt[matches[pred_index]]
            error_rows.append(np.linalg.norm(pred[pred_index, :, :2] - matched_gt, axis=-1))
            score_rows.append(pred[pred_index, :, 2])
    if not error_rows:
        empty = np.zeros((0, num_bodyparts))
        return MatchedErrors(errors=empty, scores=empty.copy())
    return MatchedErrors(errors=np.stack(error_rows), scores=np.stack(score_rows))


def matched_pixel_errors(
    ground_truth: PoseBatch,
    predictions: PoseBatch,
    single_animal: bool,
    oks_sigma: float = DEFAULT_OKS_SIGMA,
    oks_margin: float = 0.0,
) -> MatchedErrors:
    """Pixel errors of every matched prediction (see the module doc for matching).

    Returns:
        :class:`MatchedErrors` with ``(M, K)`` pixel distances and scores, one
        row per matched prediction, images in input order.
    """
    data = _prepare(ground_truth, predictions)
    return _matched_errors(data, single_animal, oks_sigma, oks_margin)


def _cutoff_mask(scores: np.ndarray, pcutoff: float | np.ndarray | None, what: str) -> np.ndarray:
    if pcutoff is None:
        return np.ones(scores.shape, dtype=bool)
    cutoff = np.asarray(pcutoff, dtype=float)
    if cutoff.ndim == 1 and cutoff.shape[0] != scores.shape[1]:
        raise LabelError(
            f"pcutoff has {cutoff.shape[0]} values but there are {scores.shape[1]} {what}; "
            "give one cutoff, or one per bodypart (bodyparts then unique bodyparts)."
        )
    with np.errstate(invalid="ignore"):
        return scores >= cutoff


def _split_pcutoff(
    pcutoff: float | Sequence[float] | np.ndarray | None, num_bodyparts: int, num_unique: int
) -> tuple[Any, Any]:
    """Split a per-bodypart cutoff into (bodyparts, unique bodyparts) parts."""
    if pcutoff is None or np.ndim(pcutoff) == 0:
        return pcutoff, pcutoff
    cutoff = np.asarray(pcutoff, dtype=float)
    if cutoff.ndim != 1 or len(cutoff) not in (num_bodyparts, num_bodyparts + num_unique):
        raise LabelError(
            f"pcutoff has shape {cutoff.shape}; give a single value or one per bodypart: "
            f"{num_bodyparts} bodyparts" + (f" + {num_unique} unique bodyparts" if num_unique else "")
            + " (in that order)."
        )
    if num_unique and len(cutoff) == num_bodyparts:
        raise LabelError(
            f"pcutoff has {len(cutoff)} values but there are {num_bodyparts} bodyparts and "
            f"{num_unique} unique bodyparts; give {num_bodyparts + num_unique} values "
            "(bodyparts first, then unique bodyparts) or a single value."
        )
    return cutoff[:num_bodyparts], cutoff[num_bodyparts:]


@dataclass
class _ErrorSums:
    total: float = 0.0
    count: int = 0

    def add(self, errors: np.ndarray) -> None:
        valid = ~np.isnan(errors)
        self.total += float(errors[valid].sum())
        self.count += int(valid.sum())

    def mean(self) -> float:
        return self.total / self.count if self.count else float("nan")


def _per_bodypart_mean(errors: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Mean over rows of ``errors`` per column, ignoring NaN (and ``~mask``)."""
    values = errors if mask is None else np.where(mask, errors, np.nan)
    counts = np.sum(~np.isnan(values), axis=0)
    sums = np.nansum(values, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _rmse_from_data(
    data: list[tuple[np.ndarray, np.ndarray]],
    data_unique: list[tuple[np.ndarray, np.ndarray]] | None,
    single_animal: bool,
    pcutoff: Any,
    oks_sigma: float,
    oks_margin: float,
) -> dict[str, Any]:
    num_bodyparts = _num_bodyparts(data)
    num_unique = _num_bodyparts(data_unique) if data_unique is not None else 0
    cutoff, cutoff_unique = _split_pcutoff(pcutoff, num_bodyparts, num_unique)

    matched = _matched_errors(data, single_animal, oks_sigma, oks_margin)
    all_sums, cutoff_sums = _ErrorSums(), _ErrorSums()
    mask = _cutoff_mask(matched.scores, cutoff, "bodyparts")
    all_sums.add(matched.errors)
    cutoff_sums.add(matched.errors[mask])
    results: dict[str, Any] = {
        "rmse_per_bodypart": _per_bodypart_mean(matched.errors),
        "rmse_pcutoff_per_bodypart": _per_bodypart_mean(matched.errors, mask),
    }
    if data_unique is not None:
        unique = _matched_errors(data_unique, True, what="unique bodyparts")
        unique_mask = _cutoff_mask(unique.scores, cutoff_unique, "unique bodyparts")
        all_sums.add(unique.errors)
        cutoff_sums.add(unique.errors[unique_mask])
        results["rmse_per_unique_bodypart"] = _per_bodypart_mean(unique.errors)
        results["rmse_pcutoff_per_unique_bodypart"] = _per_bodypart_mean(unique.errors, unique_mask)
    results["rmse"] = all_sums.mean()
    results["rmse_pcutoff"] = cutoff_sums.mean()
    return results


def _prepare_unique(
    unique_ground_truth: PoseBatch | None, unique_predictions: PoseBatch | None
) -> list[tuple[np.ndarray, np.ndarray]] | None:
    if unique_ground_truth is None and unique_predictions is None:
        return None
    if unique_ground_truth is None or unique_predictions is None:
        raise LabelError(
            "Unique bodyparts need both unique_ground_truth and unique_predictions "
            "(one was None)."
        )
    return _prepare(unique_ground_truth, unique_predictions, what="unique bodyparts")


def rmse(
    ground_truth: PoseBatch,
    predictions: PoseBatch,
    single_animal: bool = False,
    pcutoff: float | Sequence[float] | np.ndarray | None = None,
    unique_ground_truth: PoseBatch | None = None,
    unique_predictions: PoseBatch | None = None,
    oks_sigma: float = DEFAULT_OKS_SIGMA,
    oks_margin: float = 0.0,
) -> float:
    """DeepLabCut's "RMSE": the mean Euclidean distance in pixels over matched keypoints.

    This is *not* a root mean square: it is ``sum(distances) / count`` over
    every matched keypoint where both the label and the prediction exist,
    exactly what DeepLabCut reports as RMSE.

    Args:
        ground_truth: per image ``(n_gt, K, 2)`` pixels (NaN = unlabeled).
        predictions: per image ``(n_pred, K, 3)`` ``(x, y, score)`` (-1/NaN = none).
        single_animal: compare the one prediction with the one labeled animal
            instead of matching by OKS.
        pcutoff: if given, only keypoints with predicted score ``>= pcutoff``
            count (scalar, or one value per bodypart then per unique bodypart).
        unique_ground_truth: per image ``(U, 2)``/``(1, U, 2)``; matched
            single-animal style and added to the same sums.
        unique_predictions: per image ``(U, 3)``/``(1, U, 3)``.

    Returns:
        The mean pixel error, or NaN when no keypoint could be compared.
    """
    data = _prepare(ground_truth, predictions)
    data_unique = _prepare_unique(unique_ground_truth, unique_predictions)
    results = _rmse_from_data(data, data_unique, single_animal, pcutoff, oks_sigma, oks_margin)
    return results["rmse"] if pcutoff is None else results["rmse_pcutoff"]


def rmse_pcutoff(
    ground_truth: PoseBatch,
    predictions: PoseBatch,
    pcutoff: float | Sequence[float] | np.ndarray,
    single_animal: bool = False,
    unique_ground_truth: PoseBatch | None = None,
    unique_predictions: PoseBatch | None = None,
    oks_sigma: float = DEFAULT_OKS_SIGMA,
    oks_margin: float = 0.0,
) -> float:
    """:func:`rmse` over keypoints whose predicted score is ``>= pcutoff`` only."""
    return rmse(
        ground_truth,
        predictions,
        single_animal=single_animal,
        pcutoff=pcutoff,
        unique_ground_truth=unique_ground_truth,
        unique_predictions=unique_predictions,
        oks_sigma=oks_sigma,
        oks_margin=oks_margin,
    )


def rmse_per_bodypart(
    ground_truth: PoseBatch,
    predictions: PoseBatch,
    single_animal: bool = False,
    pcutoff: float | Sequence[float] | np.ndarray | None = None,
    oks_sigma: float = DEFAULT_OKS_SIGMA,
    oks_margin: float = 0.0,
) -> np.ndarray:
    """Mean pixel error per bodypart, ``(K,)`` (NaN where nothing was compared).

    Same matching and meaning as :func:`rmse`; with ``pcutoff`` only keypoints
    whose score is ``>= pcutoff`` count.
    """
    data = _prepare(ground_truth, predictions)
    results = _rmse_from_data(data, None, single_animal, pcutoff, oks_sigma, oks_margin)
    return results["rmse_per_bodypart" if pcutoff is None else "rmse_pcutoff_per_bodypart"]


# --------------------------------------------------------------------------
# mAP / mAR
# --------------------------------------------------------------------------


def _map_from_data(
    data: list[tuple[np.ndarray, np.ndarray]],
    oks_sigma: float,
    oks_margin: float,
    oks_thresholds: np.ndarray,
    recall_thresholds: np.ndarray,
) -> tuple[float, float]:
    total_gt = 0
    matched_per_image, scores_per_image = [], []
    for gt, pred in data:
        gt = gt[np.sum(~np.isnan(gt).any(axis=-1), axis=-1) > 1]
        pred = pred[np.sum(~np.isnan(pred).any(axis=-1), axis=-1) > 1]
        total_gt += len(gt)
        if len(pred) == 0:
            continue
        oks = oks_matrix(pred, gt, sigma=oks_sigma, margin=oks_margin)
        matched_per_image.append(match_greedy(oks, oks_thresholds) >= 0)  # (T, P)
        scores_per_image.append(np.nanmean(pred[..., 2], axis=1))

    if not matched_per_image:  # no predictions at all
        return 0.0, 0.0
    return average_precision_recall(
        np.concatenate(matched_per_image, axis=1), np.concatenate(scores_per_image), total_gt, recall_thresholds
    )


def mean_average_precision(
    ground_truth: PoseBatch,
    predictions: PoseBatch,
    oks_sigma: float = DEFAULT_OKS_SIGMA,
    oks_margin: float = 0.0,
    oks_thresholds: np.ndarray | None = None,
    recall_thresholds: np.ndarray | None = None,
) -> tuple[float, float]:
    """COCO-style keypoint mAP and mAR (x100), with DeepLabCut's OKS and matching.

    Animals (labeled or predicted) with fewer than 2 valid keypoints are
    ignored. For each OKS threshold, predictions are matched greedily per
    image; all predictions of the dataset are then ranked by mean score;
    precision is made monotone and sampled at 101 recall points. mAP is the
    mean precision, mAR the mean final recall, over the thresholds.

    Returns:
        ``(mAP, mAR)`` in percent; ``(0, 0)`` when there are no predictions;
        ``(0, NaN)`` when there are predictions but no labeled animal (as
        DeepLabCut computes it).
    """
    data = _prepare(ground_truth, predictions)
    return _map_from_data(
        data,
        oks_sigma,
        oks_margin,
        OKS_THRESHOLDS if oks_thresholds is None else np.asarray(oks_thresholds, dtype=float),
        RECALL_THRESHOLDS if recall_thresholds is None else np.asarray(recall_thresholds, dtype=float),
    )


# --------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------


def compute_metrics(
    ground_truth: PoseBatch,
    predictions: PoseBatch,
    single_animal: bool,
    pcutoff: float | Sequence[float] | np.ndarray = 0.6,
    unique_ground_truth: PoseBatch | None = None,
    unique_predictions: PoseBatch | None = None,
    oks_sigma: float = DEFAULT_OKS_SIGMA,
    oks_margin: float = 0.0,
) -> dict[str, Any]:
    """Every pose metric DeepLabCut reports, from one pass over the data.

    Args:
        ground_truth: per image ``(n_gt, K, 2)`` pixels, NaN = unlabeled
            (list, or dict keyed by image).
        predictions: per image ``(n_pred, K, 3)`` ``(x, y, score)``, -1/NaN =
            not predicted.
        single_animal: single-animal matching for RMSE (one prediction against
            one labeled animal); otherwise greedy OKS matching.
        pcutoff: score cutoff for ``rmse_pcutoff`` (scalar, or per bodypart then
            per unique bodypart). DeepLabCut uses 0.6 during training.
        unique_ground_truth / unique_predictions: unique bodyparts per image,
            ``(U, 2)`` / ``(U, 3)`` (or with a leading axis of 1).

    Returns:
        A dict with

        * ``rmse``, ``rmse_pcutoff``: mean Euclidean pixel error (DeepLabCut's
          "RMSE", not a root mean square), all keypoints / score >= pcutoff;
        * ``mAP``, ``mAR``: OKS-based, in percent (computed for single-animal
          data too, as DeepLabCut does; unique bodyparts are not part of it);
        * ``rmse_per_bodypart``, ``rmse_pcutoff_per_bodypart``: ``(K,)`` arrays;
        * with unique bodyparts, ``rmse_per_unique_bodypart`` and
          ``rmse_pcutoff_per_unique_bodypart``: ``(U,)`` arrays.
    """
    data = _prepare(ground_truth, predictions)
    data_unique = _prepare_unique(unique_ground_truth, unique_predictions)
    results = _rmse_from_data(data, data_unique, single_animal, pcutoff, oks_sigma, oks_margin)
    mean_ap, mean_ar = _map_from_data(data, oks_sigma, oks_margin, OKS_THRESHOLDS, RECALL_THRESHOLDS)
    ordered: dict[str, Any] = {
        "rmse": results.pop("rmse"),
        "rmse_pcutoff": results.pop("rmse_pcutoff"),
        "mAP": mean_ap,
        "mAR": mean_ar,
    }
    ordered.update(results)
    return ordered
