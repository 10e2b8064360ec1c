"""The tracklet: one animal followed over a set of frames, as the stitcher sees it.

A :class:`Tracklet` holds ``(n_frames, n_bodyparts, 3 or 4)`` ``[x, y,
likelihood(, id)]`` in pixels of the analysed video frame, and the video
frame indices of its rows. :func:`tracklet_from_frames` builds one from an
entry of a tracklet pickle (see :mod:`deeplabcut.formats.tracklets`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from deeplabcut.errors import TrackingDataError
from deeplabcut.formats.tracklets import frame_index

WeightFunction = Callable[["Tracklet", "Tracklet"], float]


@dataclass(eq=False)
class Tracklet:
    """One animal followed over a set of frames.

    Attributes:
        data: (n_frames, n_bodyparts, 3 or 4) ``[x, y, likelihood(, id)]``,
            pixels; NaN x, y where a bodypart is missing.
        inds: (n_frames,) video frame indices, strictly increasing (sorted on
            construction).

    Tracklets compare by identity (``eq=False``), so they can key dicts.
    """

    data: np.ndarray
    inds: np.ndarray
    _centroid: np.ndarray | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        data = np.asarray(self.data, dtype=np.float64)
        inds = np.asarray(self.inds, dtype=np.int64).reshape(-1)
        if data.ndim != 3 or data.shape[-1] not in (3, 4):
            raise TrackingDataError(
                f"Tracklet data must be (n_frames, n_bodyparts, 3 or 4) [x, y, likelihood(, id)], "
                f"got shape {data.shape}."
            )
        if data.shape[0] != inds.size:
            raise TrackingDataError(
                f"Tracklet has {data.shape[0]} frames of data but {inds.size} frame indices."
            )
        if inds.size > 1 and not (np.diff(inds) > 0).all():
            order = np.argsort(inds, kind="stable")
            inds, data = inds[order], data[order]
        self.data = data
        self.inds = inds

    def __len__(self) -> int:
        return int(self.inds.size)

    def __repr__(self) -> str:
        if not len(self):
            return "Tracklet(empty)"
        return f"Tracklet({len(self)} frames, {self.start}-{self.end})"

    def __add__(self, other: Tracklet) -> Tracklet:
        """Join two tracklets (their frames should not overlap)."""
        return Tracklet(np.concatenate([self.data, other.data]), np.concatenate([self.inds, other.inds]))

    @property
    def start(self) -> int:
        return int(self.inds[0])

    @property
    def end(self) -> int:
        return int(self.inds[-1])

    @property
    def xy(self) -> np.ndarray:
        """(n_frames, n_bodyparts, 2) pixels."""
        return self.data[..., :2]

    @property
    def likelihood(self) -> float:
        """Mean likelihood of the detected bodyparts."""
        seen = np.isfinite(self.xy).all(axis=-1)
        return float(self.data[..., 2][seen].mean()) if seen.any() else float("nan")

    @property
    def identity(self) -> int:
        """Most frequent predicted identity of the detected bodyparts, -1 if none."""
        if self.data.shape[-1] < 4:
            return -1
        ids = self.data[..., 3][np.isfinite(self.xy).all(axis=-1)]
        ids = ids[np.isfinite(ids) & (ids >= 0)]
        if ids.size == 0:
            return -1
        values, counts = np.unique(ids.astype(np.int64), return_counts=True)
        return int(values[np.argmax(counts)])

    @property
    def centroid(self) -> np.ndarray:
        """(n_frames, 2) likelihood-weighted mean of the detected bodyparts, pixels.

        Falls back to the plain mean in frames whose likelihoods sum to 0.
        """
        if self._centroid is None:
            self._centroid = weighted_centroids(self.data)
        return self._centroid

    @property
    def is_continuous(self) -> bool:
        return len(self) == 0 or self.end - self.start + 1 == len(self)

    @property
    def flat_data(self) -> np.ndarray:
        """(n_frames, n_bodyparts * 3) ``x, y, likelihood`` per bodypart."""
        return self.data[..., :3].reshape(len(self), -1)

    def overlaps(self, other: Tracklet) -> bool:
        """Whether both tracklets hold a common frame."""
        if self.end < other.start or other.end < self.start:
            return False
        return bool(np.isin(self.inds, other.inds, assume_unique=True).any())

    def time_gap_to(self, other: Tracklet) -> int:
        """Frames from the end of one to the start of the other; 0 if they overlap."""
        if self.overlaps(other):
            return 0
        if self.end < other.start:
            return other.start - self.end
        return self.start - other.end

    def distance_to(self, other: Tracklet) -> float:
        """Distance in pixels between this tracklet and ``other``.

        If one precedes the other, the distance between the centroid of the
        earlier one's last frame and the later one's first frame; if they
        overlap, the mean centroid distance over their common frames.
        """
        if self.end < other.start:
            return float(np.linalg.norm(self.centroid[-1] - other.centroid[0]))
        if other.end < self.start:
            return float(np.linalg.norm(other.centroid[-1] - self.centroid[0]))
        common, in_self, in_other = np.intersect1d(self.inds, other.inds, assume_unique=True, return_indices=True)
        if common.size == 0:  # interleaved without a common frame
            return float(np.linalg.norm(self.centroid.mean(axis=0) - other.centroid.mean(axis=0)))
        return float(np.linalg.norm(self.centroid[in_self] - other.centroid[in_other], axis=1).mean())

    def without_empty_frames(self) -> Tracklet | None:
        """This tracklet without its all-NaN frames; None if nothing is left."""
        valid = ~np.isnan(self.xy).all(axis=(1, 2))
        if not valid.any():
            return None
        if valid.all():
            return self
        return Tracklet(self.data[valid], self.inds[valid])

    def split_at_gaps(self) -> list[Tracklet]:
        """Continuous pieces of this tracklet (cut wherever frames are missing)."""
        cuts = np.flatnonzero(np.diff(self.inds) != 1) + 1
        if cuts.size == 0:
            return [self]
        return [
            Tracklet(data, inds)
            for data, inds in zip(np.split(self.data, cuts), np.split(self.inds, cuts))
        ]


def weighted_centroids(data: np.ndarray) -> np.ndarray:
    """Likelihood-weighted centroids (n_frames, 2) of (n_frames, K, 3+) data.

    Only bodyparts with finite x, y count; frames whose likelihoods sum to 0
    fall back to the plain mean; frames without any point are NaN.
    """
    xy = data[..., :2]
    seen = np.isfinite(xy).all(axis=-1)
    weights = np.where(seen, np.nan_to_num(data[..., 2], nan=0.0).clip(min=0.0), 0.0)
    total = weights.sum(axis=1)
    filled = np.where(seen[..., None], xy, 0.0)
    count = seen.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        weighted = (filled * weights[..., None]).sum(axis=1) / total[:, None]
        plain = filled.sum(axis=1) / count[:, None]
    return np.where((total > 0)[:, None], weighted, plain)


def default_weight(tracklet_a: Tracklet, tracklet_b: Tracklet) -> float:
    """Default link weight: :meth:`Tracklet.distance_to` (pixels)."""
    return tracklet_a.distance_to(tracklet_b)


def join_tracklets(pieces: list[Tracklet]) -> Tracklet | None:
    """The pieces as one tracklet (their frames should not overlap); None for no pieces."""
    if not pieces:
        return None
    return Tracklet(np.concatenate([p.data for p in pieces]), np.concatenate([p.inds for p in pieces]))


def tracklet_from_frames(key: Any, frames: Mapping[Any, Any]) -> Tracklet:
    """A tracklet of a tracklet pickle: ``{frame key: (n_bodyparts, 3 or 4) array}``; ``key`` names it in errors."""
    inds = np.array([frame_index(k) for k in frames], dtype=np.int64)
    rows = [np.asarray(v, dtype=np.float64) for v in frames.values()]
    shapes = {row.shape for row in rows}
    if len(shapes) != 1:
        raise TrackingDataError(f"Tracklet {key!r} mixes frames of shapes {sorted(shapes)}.")
    data = np.stack(rows)
    if data.ndim == 2 and data.shape[1] % 3 == 0:  # flat (n_frames, n_bodyparts * 3)
        data = data.reshape(len(data), -1, 3)
    if data.ndim != 3:
        raise TrackingDataError(
            f"Tracklet {key!r} has frames of shape {rows[0].shape}; expected (n_bodyparts, 3 or 4)."
        )
    return Tracklet(data, inds)
