"""From per-frame assemblies to tracklets (DeepLabCut's ``_el``/``_bx`` pickle).

This is the library half of ``convert_detections2tracklets``: it takes the
contents of ``<video><scorer>_assemblies.pickle`` and returns the dict that
DeepLabCut stores as ``<video><scorer>_el.pickle`` (ellipse tracker) or
``_bx.pickle`` (box tracker); :mod:`deeplabcut.formats.tracklets` describes
that dict and reads and writes it. Coordinates are pixels of the analysed
video frame.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.special import softmax

from deeplabcut.errors import ConfigError, TrackingDataError
from deeplabcut.formats.tracklets import HEADER_KEY, SINGLE_KEY, frame_key, frame_key_width, tracklet_header
from deeplabcut.formats.video_pickles import ASSEMBLIES_SINGLE_KEY
from deeplabcut.geometry import keypoint_boxes
from deeplabcut.tracking.trackers import SORTBox, SORTEllipse

#: inference_cfg.yaml defaults used when a key is missing.
DEFAULT_PCUTOFF = 0.1
DEFAULT_MAX_AGE = 1
DEFAULT_MIN_HITS = 1
DEFAULT_ELLIPSE_THRESHOLD = 0.6
DEFAULT_BOX_THRESHOLD = 0.3
MIN_SINGLE_POINT_SLACK = 40.0

Progress = Callable[[Iterable[int]], Iterable[int]]


def make_tracker(
    track_method: str, inference_cfg: Mapping[str, Any]
) -> SORTEllipse | SORTBox:
    """Build the tracker ``track_method`` with the settings of ``inference_cfg``.

    ``ellipse`` uses ``max_age`` (default 1), ``min_hits`` (1) and
    ``iou_threshold`` (0.6). ``box`` uses ``max_age``, ``min_hits`` and, as
    DeepLabCut 3 does, ``oks_threshold`` as its IoU threshold (default 0.3;
    DeepLabCut's ``inference_cfg.yaml`` has no such key, so 0.3 in practice).
    """
    max_age = inference_cfg.get("max_age", DEFAULT_MAX_AGE)
    min_hits = inference_cfg.get("min_hits", DEFAULT_MIN_HITS)
    if track_method == "ellipse":
        return SORTEllipse(max_age, min_hits, inference_cfg.get("iou_threshold", DEFAULT_ELLIPSE_THRESHOLD))
    if track_method == "box":
        return SORTBox(max_age, min_hits, inference_cfg.get("oks_threshold", DEFAULT_BOX_THRESHOLD))
    raise ConfigError(
        f"Unknown track_method {track_method!r}: expected 'ellipse' or 'box' "
        "(DeepLabCut's 'skeleton' and 'transformer' trackers are not implemented); "
        "set 'default_track_method' in config.yaml or pass track_method."
    )


def _as_animals(frame: int, value: Any, n_bodyparts: int) -> np.ndarray:
    """One frame of the assemblies file as float64 (n, K, 4), id -1 if absent."""
    try:
        animals = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TrackingDataError(
            f"Assemblies of frame {frame} cannot be read as an array (n_animals, "
            f"{n_bodyparts}, 4) of [x, y, score, id]: {error}. DeepLabCut 2's lists of "
            "Assembly objects must be converted first."
        ) from error
    if animals.size == 0:
        return np.zeros((0, n_bodyparts, 4))
    if animals.ndim == 2:
        animals = animals[None]
    if animals.ndim != 3 or animals.shape[1] != n_bodyparts or animals.shape[2] not in (3, 4):
        raise TrackingDataError(
            f"Assemblies of frame {frame} have shape {animals.shape}; expected "
            f"(n_animals, {n_bodyparts}, 4) as [x, y, score, id] (one row per bodypart "
            "in config 'multianimalbodyparts' order)."
        )
    if animals.shape[2] == 3:
        animals = np.concatenate([animals, np.full(animals.shape[:2] + (1,), -1.0)], axis=2)
    return animals.copy()


def build_tracklets(
    assemblies: Mapping[Any, Any],
    inference_cfg: Mapping[str, Any],
    track_method: str,
    bodyparts: list[str],
    unique_bodyparts: list[str],
    scorer: str,
    num_frames: int,
    unique_assemblies: Mapping[int, np.ndarray] | None = None,
    progress: Progress | None = None,
    ignore_bodyparts: list[str] | None = None,
    identity_only: bool = False,
) -> dict:
    """Track assemblies from frame to frame; return DeepLabCut's tracklet dict.

    Args:
        assemblies: ``{frame_index: (n_animals, n_bodyparts, 4)}`` arrays of
            ``[x, y, score, id]`` in pixels (``id`` is -1 without an identity
            head), padded with -1 rows, as in ``_assemblies.pickle``. A
            ``"single"`` key, as in that file, is used for the unique
            bodyparts when ``unique_assemblies`` is not given.
        inference_cfg: the keys of ``inference_cfg.yaml`` used here:
            ``topktoretain``, ``pcutoff`` (0.1), ``max_age`` (1),
            ``min_hits`` (1), ``iou_threshold`` (0.6, ellipse),
            ``oks_threshold`` (0.3, box), ``boundingboxslack`` (0, box).
        track_method: ``"ellipse"`` or ``"box"``. With a single multi-animal
            bodypart the box tracker is used whatever is asked, with
            ``boundingboxslack`` raised to at least 40 pixels (a warning says
            so when another method was asked). With two tracked bodyparts
            the ellipse, which needs three points, also gives way to the box
            tracker (with a warning; DeepLabCut would find no tracklets).
        bodyparts: the multi-animal bodyparts, in the order of the arrays.
        unique_bodyparts: the unique bodyparts (may be empty).
        scorer: the DeepLabCut scorer name, for the header.
        num_frames: frames in the video (sets the frame-key width).
        unique_assemblies: ``{frame_index: (n_unique, 3)}``, stored as is
            under ``"single"``.
        progress: optional iterable wrapper (e.g. ``tqdm``) over frame indices.
        ignore_bodyparts: bodyparts the tracker should not look at (they are
            still stored in the tracklets).
        identity_only: assign animals to tracklets by their predicted
            identities (Hungarian matching on the softmax of summed identity
            scores) instead of tracking; needs an identity head.

    Returns:
        The tracklet dict described in the module docstring. With
        ``topktoretain == 1`` the first assembly of every frame is stored as
        tracklet 0, keyed by the frame index (an int, as DeepLabCut does),
        with its bodyparts below ``pcutoff`` set to NaN.

    Points whose x, y or score is negative (padding) or whose score is below
    ``pcutoff`` get NaN x, y (their score and id are kept); animals left
    without any point are dropped before tracking.
    """
    bodyparts = list(bodyparts)
    unique_bodyparts = list(unique_bodyparts or [])
    if not bodyparts:
        raise ConfigError("build_tracklets needs at least one multi-animal bodypart.")
    width = frame_key_width(num_frames)
    pcutoff = float(inference_cfg.get("pcutoff", DEFAULT_PCUTOFF))
    topk = int(inference_cfg.get("topktoretain", 2) or 2)

    if unique_assemblies is None and ASSEMBLIES_SINGLE_KEY in assemblies:
        unique_assemblies = assemblies[ASSEMBLIES_SINGLE_KEY]

    inference_cfg = dict(inference_cfg)
    if len(bodyparts) == 1:
        if track_method != "box":
            warnings.warn(
                f"Only one multi-animal bodypart ({bodyparts[0]!r}): switching from the "
                f"{track_method!r} tracker to the 'box' tracker.",
                UserWarning,
                stacklevel=2,
            )
        track_method = "box"
        inference_cfg["boundingboxslack"] = max(
            float(inference_cfg.get("boundingboxslack", 0) or 0), MIN_SINGLE_POINT_SLACK
        )

    tracklets: dict = {}
    if unique_bodyparts:
        single = {}
        for frame, value in (unique_assemblies or {}).items():
            if value is None:
                continue
            single[int(frame)] = np.asarray(value)
        tracklets[SINGLE_KEY] = dict(sorted(single.items()))

    frames = sorted(int(f) for f in assemblies if not isinstance(f, str))
    if frames and (frames[0] < 0 or frames[-1] >= num_frames):
        raise TrackingDataError(
            f"The assemblies hold frames {frames[0]} to {frames[-1]} but num_frames={num_frames}; "
            "pass the video's frame count (the '_full.pickle' metadata 'nframes')."
        )
    iterator: Iterable[int] = progress(frames) if progress is not None else frames
    n_bodyparts = len(bodyparts)

    if topk == 1:
        first: dict = {}
        for frame in iterator:
            animals = _as_animals(frame, assemblies[frame], n_bodyparts)
            real = ~(animals[..., :3] < 0).all(axis=(1, 2))
            if not real.any():
                continue
            animal = animals[np.flatnonzero(real)[0]]
            animal[~(animal[:, 2] >= pcutoff)] = np.nan
            first[frame] = animal
        tracklets[0] = first
    else:
        ignored = set(ignore_bodyparts or [])
        unknown = ignored.difference(bodyparts)
        if unknown:
            raise ConfigError(
                f"ignore_bodyparts names {sorted(unknown)}, which are not multi-animal "
                f"bodyparts {bodyparts}."
            )
        keep = np.array([i for i, name in enumerate(bodyparts) if name not in ignored], dtype=np.intp)
        if keep.size == 0:
            raise ConfigError("ignore_bodyparts removes every bodypart; nothing is left to track.")
        if track_method == "ellipse" and keep.size < 3 and not identity_only:
            warnings.warn(
                f"An ellipse needs at least 3 bodyparts but only {keep.size} are tracked: "
                "switching to the 'box' tracker.",
                UserWarning,
                stacklevel=2,
            )
            track_method = "box"
        tracker = None if identity_only else make_tracker(track_method, inference_cfg)
        slack = float(inference_cfg.get("boundingboxslack", 0) or 0)
        for frame in iterator:
            animals = _as_animals(frame, assemblies[frame], n_bodyparts)
            if len(animals) == 0:
                continue
            with np.errstate(invalid="ignore"):
                missing = (animals[..., :3] < 0).any(axis=-1) | ~(animals[..., 2] >= pcutoff)
            animals[missing, :2] = np.nan
            present = ~np.isnan(animals[..., :2]).all(axis=(1, 2))
            if not present.any():
                continue
            animals = animals[present]
            if identity_only:
                pairs = _assign_by_identity(animals, topk)
            elif track_method == "box":
                pairs = tracker.track(keypoint_boxes(animals[:, keep, :2], slack))
            else:
                pairs = tracker.track(animals[:, keep, :2])
            key = frame_key(frame, width)
            for tracklet_id, animal_index in pairs:
                tracklets.setdefault(int(tracklet_id), {})[key] = animals[animal_index]
    tracklets[HEADER_KEY] = tracklet_header(scorer, bodyparts, unique_bodyparts)
    return tracklets


def _assign_by_identity(animals: np.ndarray, n_identities: int) -> np.ndarray:
    """Rows ``[identity, animal_index]`` maximising the summed identity votes."""
    votes = np.zeros((len(animals), n_identities))
    for row, animal in enumerate(animals):
        seen = np.isfinite(animal[:, :2]).all(axis=1) & (animal[:, 3] >= 0) & (animal[:, 3] < n_identities)
        if not seen.any():
            continue
        ids, inverse = np.unique(animal[seen, 3].astype(int), return_inverse=True)
        votes[row, ids] = softmax(np.bincount(inverse, weights=animal[seen, 2]))
    rows, cols = linear_sum_assignment(votes, maximize=True)
    return np.stack([cols, rows], axis=1)
