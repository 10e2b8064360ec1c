"""Scoring tracks against ground truth: identity switches and keypoint errors.

Predicted tracks ``(frames, n_tracks, n_bodyparts, 2)`` and ground-truth
animals ``(frames, n_animals, n_bodyparts, 2)`` are in pixels of the same
image, NaN where a keypoint is missing. In every frame, tracks are matched to
animals by Hungarian assignment on the mean distance over the keypoints both
have (NaN-aware); a pair sharing no keypoint, or farther apart than
``max_distance`` pixels, is not matched.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from deeplabcut.errors import TrackingDataError


def _check(predicted: np.ndarray, ground_truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    predicted = np.asarray(predicted, dtype=np.float64)[..., :2]
    ground_truth = np.asarray(ground_truth, dtype=np.float64)[..., :2]
    if predicted.ndim != 4 or ground_truth.ndim != 4:
        raise TrackingDataError(
            "predicted and ground_truth must be (frames, individuals, bodyparts, 2); got "
            f"{predicted.shape} and {ground_truth.shape}."
        )
    if predicted.shape[0] != ground_truth.shape[0] or predicted.shape[2] != ground_truth.shape[2]:
        raise TrackingDataError(
            f"predicted {predicted.shape} and ground_truth {ground_truth.shape} must have the same "
            "number of frames and bodyparts."
        )
    return predicted, ground_truth


def keypoint_distances(predicted: np.ndarray, ground_truth: np.ndarray) -> np.ndarray:
    """Distances (frames, n_tracks, n_animals, n_bodyparts) in pixels, NaN where either is missing."""
    predicted, ground_truth = _check(predicted, ground_truth)
    difference = predicted[:, :, None] - ground_truth[:, None, :]
    return np.sqrt((difference**2).sum(axis=-1))


def match_tracks(
    predicted: np.ndarray, ground_truth: np.ndarray, max_distance: float | None = None
) -> np.ndarray:
    """Per-frame optimal matching of predicted tracks to ground-truth animals.

    Args:
        predicted: (F, N, K, 2) pixels, NaN where missing.
        ground_truth: (F, M, K, 2) pixels, NaN where missing.
        max_distance: pairs whose mean keypoint distance exceeds this are
            not matched (None: no limit).

    Returns:
        (F, N) int64: the ground-truth animal matched to each track in each
        frame, -1 where the track is not matched.
    """
    distances = keypoint_distances(predicted, ground_truth)
    shared = np.isfinite(distances)
    counts = shared.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(shared, distances, 0.0).sum(axis=-1) / counts  # (F, N, M)
    allowed = counts > 0
    if max_distance is not None:
        allowed &= mean <= max_distance
    n_frames, n_tracks, _ = mean.shape
    matches = np.full((n_frames, n_tracks), -1, dtype=np.int64)
    finite_costs = np.where(allowed, mean, np.nan)
    large = np.nanmax(finite_costs) * 10 + 1 if allowed.any() else 1.0
    for frame in np.flatnonzero(allowed.any(axis=(1, 2))):
        cost = np.where(allowed[frame], mean[frame], large)
        rows, cols = linear_sum_assignment(cost)
        good = allowed[frame, rows, cols]
        matches[frame, rows[good]] = cols[good]
    return matches


def count_identity_switches(
    predicted: np.ndarray, ground_truth: np.ndarray, max_distance: float | None = None
) -> int:
    """Number of identity switches of predicted tracks against ground truth.

    A switch is counted for a track in each frame where its matched
    ground-truth animal (see :func:`match_tracks`) differs from the animal it
    was matched to the last time it was matched. Two tracks exchanging their
    animals therefore count two switches; a track that disappears and comes
    back on the same animal counts none.

    Args:
        predicted: (F, N, K, 2) tracks in pixels, NaN where missing.
        ground_truth: (F, M, K, 2) animals in pixels, NaN where missing.
        max_distance: see :func:`match_tracks`.
    """
    matches = match_tracks(predicted, ground_truth, max_distance)
    switches = 0
    last = np.full(matches.shape[1], -1, dtype=np.int64)
    for frame_matches in matches:
        matched = frame_matches >= 0
        switches += int((matched & (last >= 0) & (frame_matches != last)).sum())
        last = np.where(matched, frame_matches, last)
    return switches


def per_frame_error(
    predicted: np.ndarray, ground_truth: np.ndarray, max_distance: float | None = None
) -> np.ndarray:
    """Keypoint errors of the matched tracks, per ground-truth animal.

    Returns:
        (F, M, K) distances in pixels between each ground-truth keypoint and
        the same keypoint of the track matched to that animal in that frame;
        NaN where the animal is unmatched or either keypoint is missing.
        ``np.nanmean`` of it is the mean keypoint error.
    """
    matches = match_tracks(predicted, ground_truth, max_distance)
    distances = keypoint_distances(predicted, ground_truth)  # (F, N, M, K)
    n_frames, _, n_animals, n_bodyparts = distances.shape
    errors = np.full((n_frames, n_animals, n_bodyparts), np.nan)
    frames, tracks = np.nonzero(matches >= 0)
    animals = matches[frames, tracks]
    errors[frames, animals] = distances[frames, tracks, animals]
    return errors
