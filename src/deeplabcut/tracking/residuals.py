"""Residuals: tracklets too short for the min-cost flow, chained beforehand and added back after.

:func:`prestitch` chains residuals separated by a few frames whose keypoint
boxes overlap; :func:`add_back` puts pieces (residuals, or tracklets the flow
left out) into the stitched tracks where they fit in time, closest first.
Coordinates are pixels; frame indices are video frames.
"""

from __future__ import annotations

import numpy as np

from deeplabcut.geometry import box_iou, keypoint_boxes
from deeplabcut.tracking.tracklet import Tracklet, join_tracklets

#: residuals separated by fewer frames than this are chained when pre-stitching
PRESTITCH_MAX_GAP = 5


def prestitch(residuals: list[Tracklet], max_gap: int = PRESTITCH_MAX_GAP) -> list[Tracklet]:
    """Chain residuals separated by 1 to ``max_gap - 1`` frames whose boxes overlap.

    Links go from a residual's last frame to a later residual's first frame
    when their keypoint bounding boxes intersect (IoU > 0). Chains are taken
    greedily, longest (in frames) first, preferring the better-overlapping
    link at each step.
    """
    residuals = sorted(residuals, key=lambda t: (t.start, t.end))
    n = len(residuals)
    if n < 2:
        return residuals
    starts = np.array([t.start for t in residuals])
    ends = np.array([t.end for t in residuals])
    tails = keypoint_boxes(np.stack([t.xy[-1] for t in residuals]))
    heads = keypoint_boxes(np.stack([t.xy[0] for t in residuals]))
    successors: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for i in range(n):
        candidates = np.flatnonzero((starts - ends[i] >= 1) & (starts - ends[i] < max_gap))
        if candidates.size == 0:
            continue
        overlap = box_iou(tails[i : i + 1], heads[candidates])[0]
        successors[i] = [(int(j), float(o)) for j, o in zip(candidates, overlap) if o > 0]
    used = np.zeros(n, dtype=bool)
    chained: list[Tracklet] = []
    while True:
        # Longest remaining chain starting at each residual (DAG: links go forward in time).
        best = np.zeros(n, dtype=np.int64)
        choice = np.full(n, -1, dtype=np.int64)
        for i in range(n - 1, -1, -1):
            if used[i]:
                continue
            best[i] = len(residuals[i])
            options = [(best[j], o, -j) for j, o in successors[i] if not used[j]]
            if options:
                length, _, negative_j = max(options)
                best[i] += length
                choice[i] = -negative_j
        linked = np.flatnonzero((choice >= 0) & ~used)
        if linked.size == 0:
            break
        node = int(linked[np.argmax(best[linked])])
        chain = [node]
        while choice[chain[-1]] >= 0:
            chain.append(int(choice[chain[-1]]))
        used[chain] = True
        chained.append(join_tracklets([residuals[k] for k in chain]))
    return chained + [t for k, t in enumerate(residuals) if not used[k]]


def add_back(tracks: list[list[Tracklet]], pending: list[Tracklet]) -> list[Tracklet]:
    """Put the ``pending`` pieces into ``tracks`` (lists of pieces, modified in place).

    A piece fitting in time (no common frame) into exactly one track goes
    there; when several fit, the piece-track pair whose neighbouring frames
    are closest (centroid distance, pixels) is taken first, and the rest is
    reconsidered. Returns the pieces that fit nowhere.
    """
    if not pending:
        return []
    last = max([t.end for t in pending] + [p.end for pieces in tracks for p in pieces])
    occupied = np.zeros((len(tracks), last + 1), dtype=bool)
    centroids = np.full((len(tracks), last + 1, 2), np.nan)
    for k, pieces in enumerate(tracks):
        for piece in pieces:
            occupied[k, piece.inds] = True
            centroids[k, piece.inds] = piece.centroid

    def place(piece: Tracklet, k: int) -> None:
        tracks[k].append(piece)
        occupied[k, piece.inds] = True
        centroids[k, piece.inds] = piece.centroid

    pending = sorted(pending, key=lambda t: (-len(t), t.start))
    left_out: list[Tracklet] = []
    while pending:
        fits = [np.flatnonzero(~occupied[:, piece.inds].any(axis=1)) for piece in pending]
        remaining = []
        placed = False
        for piece, where_fits in zip(pending, fits):
            if where_fits.size == 0:
                left_out.append(piece)
            elif where_fits.size == 1:
                place(piece, int(where_fits[0]))
                placed = True
            else:
                remaining.append(piece)
        pending = remaining
        if placed or not pending:
            continue
        # Every piece fits several tracks: place the closest pair, then look again.
        best = None
        for index, piece in enumerate(pending):
            for k in np.flatnonzero(~occupied[:, piece.inds].any(axis=1)):
                cost = _gap_distance(occupied[k], centroids[k], piece)
                if best is None or cost < best[0]:
                    best = (cost, index, int(k))
        _, index, k = best
        place(pending.pop(index), k)
    return left_out


def _gap_distance(occupied: np.ndarray, centroids: np.ndarray, piece: Tracklet) -> float:
    """Mean distance from a piece's ends to a track's nearest frames (inf for an empty track)."""
    distances = []
    before = np.flatnonzero(occupied[: piece.start])
    if before.size:
        distances.append(np.linalg.norm(centroids[before[-1]] - piece.centroid[0]))
    after = np.flatnonzero(occupied[piece.end + 1 :])
    if after.size:
        distances.append(np.linalg.norm(centroids[piece.end + 1 + after[0]] - piece.centroid[-1]))
    distances = [d for d in distances if np.isfinite(d)]
    return float(np.mean(distances)) if distances else float("inf")
