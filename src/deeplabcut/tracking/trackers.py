"""SORT-style frame-to-frame trackers of animal assemblies.

Two trackers, as in DeepLabCut (``core/trackingutils.py``):

* :class:`SORTEllipse` summarises each animal by the 2-standard-deviation
  covariance ellipse of its keypoints and tracks ``(x, y, w, h, theta)`` with a
  constant-velocity Kalman filter; detections are matched to tracks by an
  ellipse similarity.
* :class:`SORTBox` is classic SORT: each animal is the bounding box of its
  keypoints (plus a slack), tracked as ``(cx, cy, area, aspect)`` with a
  7-state Kalman filter and matched by intersection over union.

Both follow the same per-frame cycle (:meth:`track`):

1. every live track is predicted one frame ahead;
2. detections are matched to predictions by Hungarian assignment, maximising
   the similarity; pairs below ``iou_threshold`` stay unmatched;
3. matched tracks are corrected with their detection; every unmatched
   detection starts a new track;
4. a track is *reported* for this frame when it was matched (or just
   created) in this frame and its hit streak is at least ``min_hits``, or
   while the tracker has seen no more than ``min_hits`` frames;
5. a track unmatched for more than ``max_age`` consecutive frames is deleted.

A new track starts with a hit streak of 0, so with ``min_hits >= 1`` it is
reported from its second matched frame on (except in the very first
frames), exactly as DeepLabCut does.

All coordinates are pixels of the analysed video frame (x right, y down).
Everything is deterministic: track ids count up from 0 in order of creation.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from deeplabcut.errors import ConfigError, TrackingDataError
from deeplabcut.geometry import box_iou
from deeplabcut.tracking.kalman import KalmanBank, LinearModel, kinematic_model


# ---------------------------------------------------------------------------
# Geometry: ellipses
# ---------------------------------------------------------------------------


def fit_ellipses(
    xy: np.ndarray, sd: float = 2.0, min_points: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Fit the ``sd``-standard-deviation covariance ellipse of each animal.

    Args:
        xy: keypoints (n_animals, n_bodyparts, 2) in pixels; NaN where missing.
        sd: size of the ellipse in standard deviations (DeepLabCut uses 2).
        min_points: animals with fewer finite keypoints get no ellipse.

    Returns:
        ``params`` (n_animals, 5) as ``(x, y, width, height, theta)``: the
        centre is the keypoints' mean, ``width = 2 * sd * sqrt(largest
        eigenvalue)`` is the major axis, ``height`` the minor one, ``theta``
        the major axis angle to the x axis in radians, in ``[0, pi)``; and
        ``valid`` (n_animals,) bool, false where the ellipse could not be
        fitted (its row of ``params`` is NaN).
    """
    xy = np.asarray(xy, dtype=np.float64)
    finite = np.isfinite(xy).all(axis=-1)  # (n, K)
    count = finite.sum(axis=1)
    valid = count >= max(min_points, 2)
    filled = np.where(finite[..., None], xy, 0.0)
    mean = filled.sum(axis=1) / np.maximum(count, 1)[:, None]  # (n, 2)
    centred = (filled - mean[:, None, :]) * finite[..., None]
    # Unbiased covariance (as np.cov) of the finite points.
    cov = np.einsum("nki,nkj->nij", centred, centred) / np.maximum(count - 1, 1)[:, None, None]
    var_x, var_y, cov_xy = cov[:, 0, 0], cov[:, 1, 1], cov[:, 0, 1]
    # Eigen-decomposition of the symmetric 2x2 covariance, in closed form.
    half_trace = 0.5 * (var_x + var_y)
    radius = np.sqrt((0.5 * (var_x - var_y)) ** 2 + cov_xy**2)
    major = half_trace + radius
    minor = np.maximum(half_trace - radius, 0.0)
    theta = np.mod(0.5 * np.arctan2(2.0 * cov_xy, var_x - var_y), np.pi)
    params = np.stack(
        [mean[:, 0], mean[:, 1], 2 * sd * np.sqrt(major), 2 * sd * np.sqrt(minor), theta],
        axis=1,
    )
    valid &= np.isfinite(params).all(axis=1)
    params[~valid] = np.nan
    return params, valid


def ellipse_similarity(ellipses_a: np.ndarray, ellipses_b: np.ndarray) -> np.ndarray:
    """Pairwise similarity in [0, 1] between two sets of ellipses.

    ``c = 1 - min(distance between centres / longest axis of the pair, 1)``,
    similarity ``= 0.8 * c + 0.2 * |cos(theta_a - theta_b)| * c``.

    Args:
        ellipses_a: (A, 5) ``(x, y, width, height, theta)``.
        ellipses_b: (B, 5).

    Returns:
        (A, B) similarities; 0 where a pair is undefined (NaN parameters).
    """
    a = np.asarray(ellipses_a, dtype=np.float64)[:, None, :]
    b = np.asarray(ellipses_b, dtype=np.float64)[None, :, :]
    distance = np.hypot(a[..., 0] - b[..., 0], a[..., 1] - b[..., 1])
    longest_axis = np.maximum(
        np.maximum(np.abs(a[..., 2]), np.abs(a[..., 3])),
        np.maximum(np.abs(b[..., 2]), np.abs(b[..., 3])),
    )
    # Two point-like ellipses: similar only if at the same place.
    closeness = 1.0 - np.minimum(distance / np.maximum(longest_axis, 1e-12), 1.0)
    similarity = closeness * (0.8 + 0.2 * np.abs(np.cos(a[..., 4] - b[..., 4])))
    similarity[np.isnan(similarity)] = 0.0
    return similarity


# ---------------------------------------------------------------------------
# Geometry: SORT box measurements
# ---------------------------------------------------------------------------


_MIN_SIDE = 1e-6  # pixels; keeps aspect ratios finite for degenerate boxes


def boxes_to_measurements(boxes: np.ndarray) -> np.ndarray:
    """``[x1, y1, x2, y2]`` (n, 4) -> SORT measurements ``[cx, cy, area, aspect]``."""
    boxes = np.asarray(boxes, dtype=np.float64)
    width = np.maximum(boxes[:, 2] - boxes[:, 0], _MIN_SIDE)
    height = np.maximum(boxes[:, 3] - boxes[:, 1], _MIN_SIDE)
    centre_x = 0.5 * (boxes[:, 0] + boxes[:, 2])
    centre_y = 0.5 * (boxes[:, 1] + boxes[:, 3])
    return np.stack([centre_x, centre_y, width * height, width / height], axis=1)


def measurements_to_boxes(measurements: np.ndarray) -> np.ndarray:
    """SORT ``[cx, cy, area, aspect]`` (n, 4+) -> boxes ``[x1, y1, x2, y2]``.

    A non-positive area or aspect gives a NaN box.
    """
    z = np.asarray(measurements, dtype=np.float64)
    product = z[:, 2] * z[:, 3]
    width = np.sqrt(np.where(product > 0, product, np.nan))
    height = z[:, 2] / width
    boxes = np.empty((len(z), 4))
    boxes[:, 0] = z[:, 0] - width / 2
    boxes[:, 1] = z[:, 1] - height / 2
    boxes[:, 2] = z[:, 0] + width / 2
    boxes[:, 3] = z[:, 1] + height / 2
    return boxes


# ---------------------------------------------------------------------------
# Trackers
# ---------------------------------------------------------------------------


def _check_parameters(max_age: int, min_hits: int, iou_threshold: float) -> None:
    if int(max_age) != max_age or max_age < 0:
        raise ConfigError(
            f"max_age must be a non-negative integer (frames a track survives "
            f"without a detection), got {max_age!r}; set 'max_age' in inference_cfg.yaml."
        )
    if int(min_hits) != min_hits or min_hits < 0:
        raise ConfigError(
            f"min_hits must be a non-negative integer, got {min_hits!r}; "
            "set 'min_hits' in inference_cfg.yaml."
        )
    if not np.isfinite(iou_threshold):
        raise ConfigError(f"iou_threshold must be a finite number, got {iou_threshold!r}.")


class _SORTTracker:
    """The SORT cycle shared by the ellipse and box trackers.

    Subclasses define the Kalman model, how detections become measurements,
    and the similarity between measurements and predictions.
    """

    def __init__(self, max_age: int, min_hits: int, iou_threshold: float) -> None:
        _check_parameters(max_age, min_hits, iou_threshold)
        self.max_age = int(max_age)
        self.min_hits = int(min_hits)
        self.iou_threshold = float(iou_threshold)
        self.n_frames = 0
        self._bank = KalmanBank(self._model())
        self._ids = np.zeros(0, dtype=np.int64)
        self._time_since_update = np.zeros(0, dtype=np.int64)
        self._hits = np.zeros(0, dtype=np.int64)
        self._hit_streak = np.zeros(0, dtype=np.int64)
        self._age = np.zeros(0, dtype=np.int64)
        self._next_id = 0

    # -- to be defined by subclasses ------------------------------------------------
    def _model(self) -> LinearModel:
        raise NotImplementedError

    def _measure(self, detections: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Detections -> (measurements (D, m), valid (D,))."""
        raise NotImplementedError

    def _similarity(self, measurements: np.ndarray, predictions: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _before_predict(self) -> None:
        """Hook to adjust states before the prediction step."""

    def _align_measurements(self, measurements: np.ndarray, predictions: np.ndarray) -> np.ndarray:
        """Hook to express measurements consistently with matched predictions."""
        return measurements

    # -- public --------------------------------------------------------------------
    @property
    def track_ids(self) -> np.ndarray:
        """Ids (T,) of the live tracks, in creation order."""
        return self._ids.copy()

    @property
    def states(self) -> np.ndarray:
        """Current measured part of every live track's Kalman state (T, m)."""
        m = self._bank.model.dim_measurement
        return self._bank.x[:, :m].copy()

    def track(self, detections: np.ndarray) -> np.ndarray:
        """Process one frame.

        Args:
            detections: this frame's animals (see the subclass for the shape).

        Returns:
            (R, 2) int64 rows ``[track_id, detection_index]`` for the tracks
            reported in this frame, sorted by track id; ``detection_index``
            indexes ``detections``.
        """
        self.n_frames += 1
        predictions = self._predict()
        measurements, valid = self._measure(detections)
        detection_index = np.flatnonzero(valid)
        measurements = measurements[valid]

        matched_det, matched_trk = self._match(measurements, predictions)
        unmatched = np.ones(len(measurements), dtype=bool)
        unmatched[matched_det] = False

        # Correct the matched tracks.
        if matched_trk.size:
            aligned = self._align_measurements(measurements[matched_det], predictions[matched_trk])
            self._bank.update(matched_trk, aligned)
            self._time_since_update[matched_trk] = 0
            self._hits[matched_trk] += 1
            self._hit_streak[matched_trk] += 1
        assignment = np.full(len(self._ids), -1, dtype=np.int64)
        assignment[matched_trk] = detection_index[matched_det]

        # Start a track for every unmatched detection.
        new = np.flatnonzero(unmatched)
        if new.size:
            self._bank.add(measurements[new])
            new_ids = np.arange(self._next_id, self._next_id + new.size, dtype=np.int64)
            self._next_id += new.size
            zeros = np.zeros(new.size, dtype=np.int64)
            self._ids = np.concatenate([self._ids, new_ids])
            self._time_since_update = np.concatenate([self._time_since_update, zeros])
            self._hits = np.concatenate([self._hits, zeros])
            self._hit_streak = np.concatenate([self._hit_streak, zeros])
            self._age = np.concatenate([self._age, zeros])
            assignment = np.concatenate([assignment, detection_index[new]])

        reported = (self._time_since_update < 1) & (
            (self._hit_streak >= self.min_hits) | (self.n_frames <= self.min_hits)
        )
        output = np.stack([self._ids[reported], assignment[reported]], axis=1)

        self._keep(self._time_since_update <= self.max_age)
        return output[np.argsort(output[:, 0], kind="stable")]

    # -- internals -----------------------------------------------------------------
    def _keep(self, mask: np.ndarray) -> None:
        if mask.all():
            return
        self._bank.keep(mask)
        self._ids = self._ids[mask]
        self._time_since_update = self._time_since_update[mask]
        self._hits = self._hits[mask]
        self._hit_streak = self._hit_streak[mask]
        self._age = self._age[mask]

    def _predict(self) -> np.ndarray:
        if len(self._ids):
            self._before_predict()
            self._bank.predict()
            self._age += 1
            self._hit_streak[self._time_since_update > 0] = 0
            self._time_since_update += 1
            # A filter that diverged to NaN cannot be matched any more.
            self._keep(np.isfinite(self._bank.x).all(axis=1))
        m = self._bank.model.dim_measurement
        return self._bank.x[:, :m]

    def _match(
        self, measurements: np.ndarray, predictions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if len(measurements) == 0 or len(predictions) == 0:
            empty = np.zeros(0, dtype=np.intp)
            return empty, empty
        similarity = self._similarity(measurements, predictions)
        rows, cols = linear_sum_assignment(similarity, maximize=True)
        good = similarity[rows, cols] >= self.iou_threshold
        return rows[good], cols[good]


class SORTEllipse(_SORTTracker):
    """Track animals as covariance ellipses of their keypoints.

    Args:
        max_age: frames a track survives without a matched detection.
        min_hits: matched frames in a row before a track is reported.
        iou_threshold: minimum ellipse similarity (:func:`ellipse_similarity`)
            for a detection to continue a track (DeepLabCut's default 0.6).
        sd: ellipse size in standard deviations (2).

    :meth:`track` takes keypoints (n_animals, n_bodyparts, 2) in pixels with
    NaN for missing ones; animals with fewer than 3 finite keypoints are
    ignored in that frame.

    The Kalman state is ``(x, y, w, h, theta)`` and their velocities, with
    DeepLabCut's noise settings: ``R`` is the identity with the ``w, h,
    theta`` entries times 10; ``P`` is 10 times the identity with the
    velocity entries times 1000 more; ``Q`` is the identity with the
    velocity entries times 0.01. An ellipse's angle is only defined modulo
    pi, so a matched measurement's angle is shifted by a multiple of pi to
    the value nearest the prediction before the update (the same ellipse,
    without spurious angular velocity at the wrap-around).
    """

    def __init__(
        self, max_age: int, min_hits: int, iou_threshold: float, sd: float = 2.0
    ) -> None:
        self.sd = float(sd)
        super().__init__(max_age, min_hits, iou_threshold)

    def _model(self) -> LinearModel:
        model = kinematic_model(5)
        measurement_noise = model.measurement_noise.copy()
        measurement_noise[2:, 2:] *= 10.0
        initial_covariance = model.initial_covariance.copy()
        initial_covariance[5:, 5:] *= 1000.0
        initial_covariance *= 10.0
        process_noise = model.process_noise.copy()
        process_noise[5:, 5:] *= 0.01
        return LinearModel(
            transition=model.transition,
            observation=model.observation,
            process_noise=process_noise,
            measurement_noise=measurement_noise,
            initial_covariance=initial_covariance,
        )

    def _measure(self, detections: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xy = np.asarray(detections, dtype=np.float64)
        if xy.ndim != 3 or xy.shape[-1] != 2:
            raise TrackingDataError(
                f"SORTEllipse.track expects keypoints (n_animals, n_bodyparts, 2), got shape {xy.shape}."
            )
        return fit_ellipses(xy, self.sd)

    def _similarity(self, measurements: np.ndarray, predictions: np.ndarray) -> np.ndarray:
        return ellipse_similarity(measurements, predictions)

    def _align_measurements(self, measurements: np.ndarray, predictions: np.ndarray) -> np.ndarray:
        aligned = measurements.copy()
        aligned[:, 4] += np.pi * np.round((predictions[:, 4] - measurements[:, 4]) / np.pi)
        return aligned


class SORTBox(_SORTTracker):
    """Classic SORT on bounding boxes.

    Args:
        max_age: frames a track survives without a matched detection.
        min_hits: matched frames in a row before a track is reported.
        iou_threshold: minimum intersection over union for a detection to
            continue a track.

    :meth:`track` takes boxes (n_animals, 4) ``[x1, y1, x2, y2]`` in pixels
    (see :func:`deeplabcut.geometry.keypoint_boxes`; extra columns such as a score are
    ignored); NaN boxes are ignored.

    The Kalman state is ``(cx, cy, area, aspect, vcx, vcy, varea)`` (the
    aspect ratio is assumed constant), with SORT's noise settings: ``R`` the
    identity with the area and aspect entries times 10; ``P`` 10 times the
    identity with the velocity entries times 1000 more; ``Q`` the identity
    with the velocity entries times 0.01 and the area velocity times 0.01
    more. If the predicted area would become non-positive, the area velocity
    is zeroed first.
    """

    def _model(self) -> LinearModel:
        transition = np.eye(7)
        transition[0, 4] = transition[1, 5] = transition[2, 6] = 1.0
        observation = np.zeros((4, 7))
        observation[:, :4] = np.eye(4)
        measurement_noise = np.eye(4)
        measurement_noise[2:, 2:] *= 10.0
        initial_covariance = np.eye(7)
        initial_covariance[4:, 4:] *= 1000.0
        initial_covariance *= 10.0
        process_noise = np.eye(7)
        process_noise[-1, -1] *= 0.01
        process_noise[4:, 4:] *= 0.01
        return LinearModel(
            transition=transition,
            observation=observation,
            process_noise=process_noise,
            measurement_noise=measurement_noise,
            initial_covariance=initial_covariance,
        )

    def _before_predict(self) -> None:
        x = self._bank.x
        x[x[:, 6] + x[:, 2] <= 0, 6] = 0.0

    def _measure(self, detections: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        boxes = np.asarray(detections, dtype=np.float64)
        if boxes.ndim != 2 or boxes.shape[1] < 4:
            raise TrackingDataError(
                f"SORTBox.track expects boxes (n_animals, 4) [x1, y1, x2, y2], got shape {boxes.shape}."
            )
        boxes = boxes[:, :4]
        valid = np.isfinite(boxes).all(axis=1)
        measurements = np.full((len(boxes), 4), np.nan)
        if valid.any():
            measurements[valid] = boxes_to_measurements(boxes[valid])
        return measurements, valid

    def _similarity(self, measurements: np.ndarray, predictions: np.ndarray) -> np.ndarray:
        return box_iou(measurements_to_boxes(measurements), measurements_to_boxes(predictions))
