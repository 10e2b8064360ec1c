"""Global stitching of tracklets into a fixed number of tracks.

The library half of DeepLabCut's ``stitch_tracklets``: it reads the tracklet
dict of :func:`deeplabcut.tracking.tracklets.build_tracklets` (or a
DeepLabCut ``_el.pickle``), and returns ``n_tracks`` tracks, as arrays or as
the DataFrame DeepLabCut writes to ``<video><scorer>_el.h5`` (laid out and
written by :mod:`deeplabcut.formats.tracks`). The tracklet type is in
:mod:`~deeplabcut.tracking.tracklet`, the residual heuristics in
:mod:`~deeplabcut.tracking.residuals`, the report in :mod:`~deeplabcut.tracking.report`.

The algorithm (:class:`TrackletStitcher`):

1. Frames without any finite keypoint are dropped from each tracklet; with
   ``split_tracklets`` a tracklet is cut wherever frames are missing, so every
   piece is continuous in time.
2. Pieces shorter than ``min_length`` frames are *residuals*; they do not take
   part in the optimisation. With ``prestitch_residuals`` residuals separated
   by 1 to 4 frames whose bounding boxes overlap are first chained together.
3. The other pieces are stitched by a minimum-cost flow (networkx): a source
   sends ``n_tracks`` units to a sink; each tracklet has an *in* node that
   must receive one unit and an *out* node that must send one, so every
   tracklet is entered once (from the source or the tracklet before it) and
   left once (to the sink or the tracklet after it), and the flow decomposes
   into exactly ``n_tracks`` chains of tracklets. A link *out_i -> in_j*
   exists when tracklet ``j`` starts 1 to ``max_gap`` frames after ``i`` ends
   (``max_gap`` defaults to DeepLabCut's ``int(1.5 *`` the largest smallest
   gap ``)``; with that default, each tracklet is also linked to the first
   few tracklets starting beyond it, so that an animal lost for longer is
   still picked up again). A link costs ``int(100 * weight)``, the weight
   being by default the distance in pixels between the likelihood-weighted
   centroids of ``i``'s last frame and ``j``'s first frame (times 0.01 when
   both carry the same predicted identity), or ``weight_func(i, j)``.
4. When no such flow exists (more tracklets overlap in time than
   ``n_tracks``, fewer tracklets than tracks, or a given ``max_gap`` too
   short), the problem is solved again with escape routes: links beyond
   ``max_gap`` at their plain weight, then, dearer than any set of links, an
   empty track, and dearest, leaving a tracklet out (priced per frame, so the
   fewest frames are left out).
5. Residuals (and tracklets left out) are added back: first those that fit
   in time into a single track, then greedily the one closest in space to a
   track's neighbouring frames.
6. Whenever the tracklets cannot give ``n_tracks`` complete tracks (too many
   overlapping tracklets, fewer animals ever seen at once than tracks, an
   empty track, a given ``max_gap`` exceeded), a :class:`StitchingWarning`
   says why and at which frames, and :class:`StitchingReport` keeps the
   details; the result still has ``n_tracks`` tracks.

Coordinates are pixels of the analysed video frame; frame indices are
0-based video frames.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from deeplabcut.errors import ConfigError, TrackingDataError
from deeplabcut.formats.tracklets import HEADER_KEY, SINGLE_KEY
from deeplabcut.formats.tracks import tracks_dataframe
from deeplabcut.tracking.report import StitchingReport, StitchingWarning
from deeplabcut.tracking.residuals import PRESTITCH_MAX_GAP, add_back, prestitch
from deeplabcut.tracking.tracklet import Tracklet, WeightFunction, join_tracklets, tracklet_from_frames


class TrackletStitcher:
    """Stitch tracklets into exactly ``n_tracks`` tracks.

    Args:
        tracklets: the tracklets (multi-animal bodyparts only).
        n_tracks: number of tracks (animals) to reconstruct, at least 1.
        min_length: pieces shorter than this many frames are residuals
            (at least 3).
        split_tracklets: cut tracklets wherever frames are missing.
        prestitch_residuals: chain nearby residuals before adding them back.
        single: the unique bodyparts as a tracklet, carried to the output.
        header: the tracklet pickle's header (scorer/bodyparts/coords).

    Use :meth:`build_graph`, then :meth:`stitch`, then :meth:`to_dataframe`
    (or :func:`stitch_tracklet_dict`, which does the first two).
    """

    def __init__(
        self,
        tracklets: Iterable[Tracklet],
        n_tracks: int,
        min_length: int = 10,
        split_tracklets: bool = True,
        prestitch_residuals: bool = True,
        single: Tracklet | None = None,
        header: pd.MultiIndex | None = None,
    ) -> None:
        if int(n_tracks) != n_tracks or n_tracks < 1:
            raise ConfigError(f"n_tracks must be a positive integer, got {n_tracks!r}.")
        if min_length < 3:
            raise ConfigError(f"min_length must be at least 3 frames, got {min_length!r}.")
        self.n_tracks = int(n_tracks)
        self.min_length = int(min_length)
        self.single = single
        self.header = header
        self.tracklets: list[Tracklet] = []
        self.residuals: list[Tracklet] = []
        self._n_bodyparts: int | None = None
        for tracklet in tracklets:
            self._check_shape(tracklet)
            tracklet = tracklet.without_empty_frames()
            if tracklet is None:
                continue
            pieces = tracklet.split_at_gaps() if split_tracklets else [tracklet]
            for piece in pieces:
                (self.tracklets if len(piece) >= self.min_length else self.residuals).append(piece)
        if prestitch_residuals and self.residuals:
            self.residuals = prestitch(self.residuals, PRESTITCH_MAX_GAP)
        self.tracklets.sort(key=lambda t: (t.start, t.end))
        self.graph: nx.DiGraph | None = None
        self.max_gap: int = 0
        self._links: dict[tuple[int, int], int] = {}
        self._long_links: dict[tuple[int, int], int] = {}
        self._strict_gap = False
        self._weight_func: WeightFunction | None = None
        self.tracks: list[Tracklet | None] | None = None
        self.report: StitchingReport | None = None

    def __len__(self) -> int:
        return len(self.tracklets)

    def __getitem__(self, item: int) -> Tracklet:
        return self.tracklets[item]

    def _check_shape(self, tracklet: Tracklet) -> None:
        n_bodyparts = tracklet.data.shape[1]
        if self._n_bodyparts is None:
            self._n_bodyparts = n_bodyparts
        elif n_bodyparts != self._n_bodyparts:
            raise TrackingDataError(
                f"Tracklets have different numbers of bodyparts ({self._n_bodyparts} and "
                f"{n_bodyparts}); all must hold the same multi-animal bodyparts."
            )

    # -- construction from DeepLabCut's dict --------------------------------------
    @classmethod
    def from_dict(
        cls,
        tracklet_dict: Mapping[Any, Any],
        n_tracks: int,
        min_length: int = 10,
        split_tracklets: bool = True,
        prestitch_residuals: bool = True,
    ) -> TrackletStitcher:
        """Build a stitcher from a tracklet pickle's dict (not modified).

        ``header`` and ``single`` are kept; every other entry is a tracklet
        ``{frame key: (n_bodyparts, 3 or 4) array}``, frame keys being
        ``"frame0042"`` strings or ints.
        """
        header = tracklet_dict.get(HEADER_KEY)
        single = None
        tracklets = []
        for key, frames in tracklet_dict.items():
            if key == HEADER_KEY or not frames:
                continue
            tracklet = tracklet_from_frames(key, frames)
            if key == SINGLE_KEY:
                single = tracklet
            else:
                tracklets.append(tracklet)
        return cls(tracklets, n_tracks, min_length, split_tracklets, prestitch_residuals, single, header)

    # -- graph ---------------------------------------------------------------------
    def compute_max_gap(self) -> int:
        """``int(1.5 * g)``, ``g`` being the largest over tracklets of the
        smallest positive gap to a tracklet starting after it ends (at least 1)."""
        if len(self.tracklets) < 2:
            return 1
        starts = np.array([t.start for t in self.tracklets])
        ends = np.array([t.end for t in self.tracklets])
        order = np.sort(starts)
        nxt = np.searchsorted(order, ends, side="right")
        has_next = nxt < order.size
        if not has_next.any():
            return 1
        smallest = order[nxt[has_next]] - ends[has_next]
        return max(1, int(1.5 * smallest.max()))

    def build_graph(self, max_gap: int | None = None, weight_func: WeightFunction | None = None) -> None:
        """Build the min-cost-flow graph over the tracklets.

        Args:
            max_gap: largest gap in frames a link may bridge, a hard limit
                unless no solution respects it. By default
                :meth:`compute_max_gap`, and then each tracklet is also
                linked to the first ``2 * n_tracks + 2`` tracklets starting
                beyond that gap, so that an animal lost for longer than the
                typical gap is still picked up again by the nearest tracklet.
            weight_func: ``weight_func(earlier, later) -> float``, lower for
                tracklets more likely to be the same animal; the link costs
                ``int(100 * weight)``. Non-finite weights forbid the link.
                Default: the centroid distance in pixels, times 0.01 when both
                tracklets have the same predicted identity.
        """
        self._strict_gap = bool(max_gap)
        self.max_gap = int(max_gap) if max_gap else self.compute_max_gap()
        self._weight_func = weight_func
        self._links = self._link_costs(self._candidate_pairs(self.max_gap))
        self._long_links = self._link_costs(self._candidate_pairs(self.max_gap, beyond=2 * self.n_tracks + 2))
        self.graph = self._flow_graph(self._links, None if self._strict_gap else self._long_links)

    def _candidate_pairs(self, max_gap: float, beyond: int = 0) -> np.ndarray:
        """(P, 2) index pairs ``(i, j)`` with ``0 < start_j - end_i <= max_gap``;
        with ``beyond`` > 0, instead the first ``beyond`` tracklets starting
        later than ``end_i + max_gap``."""
        n = len(self.tracklets)
        if n < 2:
            return np.zeros((0, 2), dtype=np.int64)
        starts = np.array([t.start for t in self.tracklets])  # sorted
        ends = np.array([t.end for t in self.tracklets])
        low = np.searchsorted(starts, ends, side="right")
        high = np.searchsorted(starts, ends + max_gap, side="right") if np.isfinite(max_gap) else np.full(n, n)
        if beyond:
            low, high = high, np.minimum(high + beyond, n)
        counts = high - low
        first = np.repeat(np.arange(n), counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        second = np.repeat(low, counts) + offsets
        return np.stack([first, second], axis=1)

    def _link_costs(self, pairs: np.ndarray) -> dict[tuple[int, int], int]:
        """Integer costs ``int(100 * weight)`` of the links ``pairs``."""
        if len(pairs) == 0:
            return {}
        if self._weight_func is None:
            tails = np.array([t.centroid[-1] for t in self.tracklets])
            heads = np.array([t.centroid[0] for t in self.tracklets])
            weights = np.linalg.norm(tails[pairs[:, 0]] - heads[pairs[:, 1]], axis=1)
            identities = np.array([t.identity for t in self.tracklets])
            same = (identities[pairs[:, 0]] == identities[pairs[:, 1]]) & (identities[pairs[:, 0]] >= 0)
            weights = np.where(same, 0.01 * weights, weights)
        else:
            weights = np.array(
                [float(self._weight_func(self.tracklets[i], self.tracklets[j])) for i, j in pairs]
            )
        costs = {}
        for (i, j), weight in zip(pairs.tolist(), weights.tolist()):
            if np.isfinite(weight):
                costs[(i, j)] = int(100 * weight)
        return costs

    def _flow_graph(
        self,
        links: Mapping[tuple[int, int], int],
        long_links: Mapping[tuple[int, int], int] | None = None,
        empty_track_cost: int | None = None,
        leave_out_cost_per_frame: int | None = None,
    ) -> nx.DiGraph:
        graph = nx.DiGraph()
        graph.add_node("source", demand=-self.n_tracks)
        graph.add_node("sink", demand=self.n_tracks)
        for i, tracklet in enumerate(self.tracklets):
            graph.add_node((i, "in"), demand=1)
            graph.add_node((i, "out"), demand=-1)
            graph.add_edge("source", (i, "in"), capacity=1, weight=0)
            graph.add_edge((i, "out"), "sink", capacity=1, weight=0)
            if leave_out_cost_per_frame is not None:
                graph.add_edge((i, "out"), (i, "in"), capacity=1, weight=leave_out_cost_per_frame * len(tracklet))
        for (i, j), cost in links.items():
            graph.add_edge((i, "out"), (j, "in"), capacity=1, weight=cost)
        for (i, j), cost in (long_links or {}).items():
            graph.add_edge((i, "out"), (j, "in"), capacity=1, weight=cost)
        if empty_track_cost is not None:
            graph.add_edge("source", "sink", capacity=self.n_tracks, weight=empty_track_cost)
        return graph

    def _relaxed_graph(self) -> nx.DiGraph:
        """The graph with escape routes, always feasible (see module docstring).

        Links across more than ``max_gap`` frames (to the first few tracklets
        starting beyond it) cost their plain weight, as when DeepLabCut
        re-solves without a gap limit; an empty track costs more than any
        set of links, and leaving a tracklet out costs more per frame than
        every empty track together.
        """
        n = len(self.tracklets)
        costs = list(self._links.values()) + list(self._long_links.values())
        largest = max((abs(c) for c in costs), default=0) + 1
        empty_track_cost = 2 * (n + 1) * largest + 1  # dearer than all links together
        leave_out_per_frame = (self.n_tracks + 2) * empty_track_cost  # dearer than every empty track
        return self._flow_graph(self._links, self._long_links, empty_track_cost, leave_out_per_frame)

    # -- solving ---------------------------------------------------------------------
    def stitch(self, add_back_residuals: bool = True, warn: bool = True) -> StitchingReport:
        """Solve the flow, assemble the tracks and add back the residuals.

        Sets :attr:`tracks` (``n_tracks`` entries, None for an empty track)
        and :attr:`report`, and returns the report. When the tracklets could
        not give ``n_tracks`` complete tracks, a :class:`StitchingWarning`
        carrying the report's message is emitted (unless ``warn`` is False).
        """
        if self.graph is None:
            self.build_graph()
        report = StitchingReport(
            n_tracks=self.n_tracks,
            n_tracklets=len(self.tracklets),
            n_residuals=len(self.residuals),
            max_gap=self.max_gap,
        )
        chains: list[list[int]] = []
        left_out_tracklets: list[Tracklet] = []
        if self.tracklets:
            try:
                _, flow = nx.network_simplex(self.graph)
            except nx.NetworkXUnfeasible:
                report.feasible = False
                _, flow = nx.network_simplex(self._relaxed_graph())
            chains, skipped, used_long = self._decode(flow, set(self._long_links))
            left_out_tracklets = [self.tracklets[i] for i in skipped]
            report.long_links = [(self.tracklets[i].end, self.tracklets[j].start) for i, j in used_long]
            crowd = _presence_count(self.tracklets)
            report.crowded_frames = np.flatnonzero(crowd > self.n_tracks)
            report.max_overlap = int(crowd.max(initial=0))
        else:
            report.feasible = False
        report.max_simultaneous = int(_presence_count(self.tracklets + self.residuals).max(initial=0))
        report.strict_max_gap = self._strict_gap

        tracks: list[list[Tracklet]] = [[self.tracklets[i] for i in chain] for chain in chains]
        tracks += [[] for _ in range(self.n_tracks - len(tracks))]
        pending = left_out_tracklets + (list(self.residuals) if add_back_residuals else [])
        left_out = add_back(tracks, pending)
        if not add_back_residuals:
            left_out = left_out + list(self.residuals)
        report.left_out = sorted((t.start, t.end) for t in left_out)

        joined = [join_tracklets(pieces) for pieces in tracks]
        self.tracks = _order_tracks(joined)
        report.empty_tracks = [k for k, track in enumerate(self.tracks) if track is None]
        report.num_frames = self._last_frame() + 1
        report.incomplete_frames = self._incomplete_frames()
        self.report = report
        if warn and not report.ok:
            warnings.warn(report.message, StitchingWarning, stacklevel=2)
        return report

    def _decode(
        self, flow: Mapping[Any, Mapping[Any, int]], long_pairs: set[tuple[int, int]]
    ) -> tuple[list[list[int]], list[int], list[tuple[int, int]]]:
        """Chains of tracklet indices, left-out tracklets and long links used."""
        successor: dict[int, int] = {}
        skipped = []
        used_long = []
        for i in range(len(self.tracklets)):
            for node, amount in flow[(i, "out")].items():
                if amount <= 0 or node == "sink":
                    continue
                j = node[0]
                if j == i:
                    skipped.append(i)
                else:
                    successor[i] = j
                    if (i, j) in long_pairs:
                        used_long.append((i, j))
        chains = []
        for node, amount in flow["source"].items():
            if node == "sink" or amount <= 0:
                continue
            chain = [node[0]]
            while chain[-1] in successor:
                chain.append(successor[chain[-1]])
            chains.append(chain)
        chains.sort(key=lambda c: self.tracklets[c[0]].start)
        return chains, skipped, used_long

    def _last_frame(self) -> int:
        ends = [t.end for t in self.tracklets + self.residuals]
        if self.single is not None and len(self.single):
            ends.append(self.single.end)
        return max(ends, default=-1)

    def _incomplete_frames(self) -> np.ndarray:
        """Frames between the first and last tracked frame with fewer than n_tracks tracks."""
        present = [t for t in self.tracks or [] if t is not None]
        if not present:
            last = self._last_frame()
            return np.arange(last + 1, dtype=np.int64)
        first = min(t.start for t in present)
        last = max(t.end for t in present)
        count = np.zeros(last + 1, dtype=np.int64)
        for track in present:
            count[track.inds] += 1
        frames = np.flatnonzero(count < self.n_tracks)
        return frames[frames >= first]

    # -- output ------------------------------------------------------------------------
    def _names(
        self, scorer: str | None, bodyparts: list[str] | None, unique_bodyparts: list[str] | None
    ) -> tuple[str, list[str], list[str]]:
        n_unique = self.single.data.shape[1] if self.single is not None else len(unique_bodyparts or [])
        header_scorer, header_parts = None, []
        if self.header is not None:
            header_scorer = str(self.header.get_level_values("scorer")[0])
            header_parts = list(dict.fromkeys(self.header.get_level_values("bodyparts")))
        n_multi = self._n_bodyparts or (len(bodyparts) if bodyparts else max(len(header_parts) - n_unique, 0))
        scorer = scorer or header_scorer or "scorer"
        if bodyparts is None:
            if len(header_parts) >= n_multi:
                bodyparts = header_parts[:n_multi]
            else:
                bodyparts = [f"bpt{i}" for i in range(1, n_multi + 1)]
        if unique_bodyparts is None:
            rest = header_parts[len(bodyparts):]
            unique_bodyparts = rest if len(rest) == n_unique else [f"bpt_unique{i}" for i in range(1, n_unique + 1)]
        return scorer, list(bodyparts), list(unique_bodyparts)

    def tracks_array(self, num_frames: int | None = None, n_bodyparts: int | None = None) -> np.ndarray:
        """The tracks as (num_frames, n_tracks, n_bodyparts, 3) ``x, y, likelihood``, NaN where absent.

        ``n_bodyparts`` is only needed when there are no tracklets at all.
        """
        if self.tracks is None:
            raise ConfigError("No tracks yet: call stitch() before tracks_array()/to_dataframe().")
        n_frames = self._last_frame() + 1 if num_frames is None else int(num_frames)
        n_bodyparts = self._n_bodyparts or n_bodyparts or 0
        array = np.full((n_frames, self.n_tracks, n_bodyparts, 3), np.nan)
        for k, track in enumerate(self.tracks):
            if track is None:
                continue
            inside = track.inds < n_frames
            array[track.inds[inside], k] = track.data[inside, :, :3]
        return array

    def to_dataframe(
        self,
        scorer: str | None = None,
        bodyparts: list[str] | None = None,
        unique_bodyparts: list[str] | None = None,
        individuals: list[str] | None = None,
        num_frames: int | None = None,
    ) -> pd.DataFrame:
        """The tracks as DeepLabCut's ``tracks`` DataFrame.

        Columns are ``scorer/individuals/bodyparts/coords`` (``x``, ``y``,
        ``likelihood``); individuals are ``individuals`` when it names
        ``n_tracks`` animals, else ``ind1..indN`` (as DeepLabCut), plus
        ``single`` for the unique bodyparts; the index is
        ``0..num_frames-1`` (default: up to the last frame with data).
        Names default to those in the tracklets' header. Unique bodyparts
        with a negative score (padding) get NaN x, y. The layout is
        :func:`deeplabcut.formats.tracks.tracks_dataframe`'s.
        """
        scorer, bodyparts, unique_bodyparts = self._names(scorer, bodyparts, unique_bodyparts)
        if self._n_bodyparts is not None and len(bodyparts) != self._n_bodyparts:
            raise ConfigError(
                f"{len(bodyparts)} bodyparts were given ({bodyparts}) but the tracklets hold "
                f"{self._n_bodyparts}; pass the config's 'multianimalbodyparts'."
            )
        if not individuals or len(individuals) != self.n_tracks:
            individuals = [f"ind{i}" for i in range(1, self.n_tracks + 1)]
        n_frames = self._last_frame() + 1 if num_frames is None else int(num_frames)
        if num_frames is not None and self._last_frame() >= n_frames:
            raise TrackingDataError(
                f"The tracklets reach frame {self._last_frame()} but num_frames={n_frames}; "
                "pass the video's frame count."
            )
        single = None
        if unique_bodyparts:
            single = np.full((n_frames, len(unique_bodyparts), 3), np.nan)
            if self.single is not None and len(self.single):
                if self.single.data.shape[1] != len(unique_bodyparts):
                    raise ConfigError(
                        f"{len(unique_bodyparts)} unique bodyparts were given ({unique_bodyparts}) "
                        f"but the 'single' tracklet holds {self.single.data.shape[1]}."
                    )
                single[self.single.inds] = self.single.data[..., :3]
        tracks = self.tracks_array(n_frames, len(bodyparts))
        return tracks_dataframe(scorer, bodyparts, tracks, individuals, unique_bodyparts, single)


def _presence_count(pieces: list[Tracklet]) -> np.ndarray:
    """(last frame + 1,) number of pieces present in each frame."""
    if not pieces:
        return np.zeros(0, dtype=np.int64)
    count = np.zeros(max(p.end for p in pieces) + 1, dtype=np.int64)
    for piece in pieces:
        count[piece.inds] += 1
    return count


def _order_tracks(tracks: list[Tracklet | None]) -> list[Tracklet | None]:
    """By predicted identity when the tracks carry one, else by first frame; empty tracks last."""
    def key(item: tuple[int, Tracklet | None]) -> tuple:
        position, track = item
        if track is None:
            return (2, 0, 0, position)
        identity = track.identity
        if identity >= 0:
            return (0, identity, track.start, position)
        return (1, track.start, float(np.nan_to_num(track.centroid[0, 0])), position)

    return [track for _, track in sorted(enumerate(tracks), key=key)]


def stitch_tracklet_dict(
    tracklets: Mapping[Any, Any],
    n_tracks: int,
    min_length: int = 10,
    split_tracklets: bool = True,
    prestitch_residuals: bool = True,
    max_gap: int | None = None,
    weight_func: WeightFunction | None = None,
    add_back_residuals: bool = True,
    warn: bool = True,
) -> tuple[TrackletStitcher, StitchingReport]:
    """Stitch a tracklet dict (``_el.pickle`` contents) into ``n_tracks`` tracks.

    Returns the stitched :class:`TrackletStitcher` (call
    :meth:`TrackletStitcher.to_dataframe`, then
    :func:`deeplabcut.formats.tracks.write_tracks_h5`) and
    its :class:`StitchingReport`. When ``n_tracks`` complete tracks cannot be
    built, the result still has ``n_tracks`` tracks (some incomplete or all
    NaN) and a :class:`StitchingWarning` says why (unless ``warn`` is False;
    the report always does).
    """
    stitcher = TrackletStitcher.from_dict(tracklets, n_tracks, min_length, split_tracklets, prestitch_residuals)
    stitcher.build_graph(max_gap=max_gap, weight_func=weight_func)
    report = stitcher.stitch(add_back_residuals=add_back_residuals, warn=False)
    if warn and not report.ok:
        warnings.warn(report.message, StitchingWarning, stacklevel=2)
    return stitcher, report
