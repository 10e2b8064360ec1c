"""What the stitcher did, and why it could not build complete tracks, in words for people."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np


class StitchingWarning(UserWarning):
    """The tracklets could not give ``n_tracks`` complete tracks; see the report."""


def format_frame_ranges(frames: Iterable[int], max_ranges: int = 8) -> str:
    """``[3, 4, 5, 9]`` -> ``"3-5, 9"`` (at most ``max_ranges`` ranges shown)."""
    frames = np.unique(np.asarray(list(frames), dtype=np.int64))
    if frames.size == 0:
        return "none"
    cuts = np.flatnonzero(np.diff(frames) != 1) + 1
    runs = np.split(frames, cuts)
    parts = [f"{r[0]}" if r.size == 1 else f"{r[0]}-{r[-1]}" for r in runs[:max_ranges]]
    if len(runs) > max_ranges:
        parts.append(f"... ({len(runs) - max_ranges} more ranges)")
    return ", ".join(parts)


@dataclass
class StitchingReport:
    """What the stitcher did and, when it could not build ``n_tracks``
    complete tracks, why.

    Attributes:
        n_tracks: tracks asked for (and returned; empty ones are all NaN).
        n_tracklets: continuous tracklets of at least ``min_length`` frames
            that entered the optimisation.
        n_residuals: shorter pieces (after pre-stitching), added back last.
        max_gap: the gap (frames) ordinary links may bridge.
        strict_max_gap: whether ``max_gap`` was given (a hard limit) rather
            than computed.
        feasible: whether ``n_tracks`` chains covering every tracklet existed
            without escape routes (empty tracks, left-out tracklets, and,
            with a given ``max_gap``, longer links).
        max_simultaneous: the most pieces (tracklets and residuals) present
            in one frame, i.e. the most animals seen at once.
        max_overlap: the most tracklets of the optimisation present in one frame.
        crowded_frames: frames where more than ``n_tracks`` tracklets of the
            optimisation are present at once.
        empty_tracks: positions (0-based, in the output order) of tracks
            that received no data.
        long_links: ``(last frame, first frame)`` of links across more than
            ``max_gap`` frames.
        left_out: ``(start, end)`` of tracklets and residuals that fit in no
            track and are not in the result.
        incomplete_frames: frames, from the first tracked one, covered by
            fewer than ``n_tracks`` tracks.
        num_frames: the frames the report refers to (0..num_frames-1).
    """

    n_tracks: int
    n_tracklets: int = 0
    n_residuals: int = 0
    max_gap: int = 0
    strict_max_gap: bool = False
    feasible: bool = True
    max_simultaneous: int = 0
    max_overlap: int = 0
    crowded_frames: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    empty_tracks: list[int] = field(default_factory=list)
    long_links: list[tuple[int, int]] = field(default_factory=list)
    left_out: list[tuple[int, int]] = field(default_factory=list)
    incomplete_frames: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    num_frames: int = 0

    @property
    def too_few_animals(self) -> bool:
        """No frame shows ``n_tracks`` animals at once."""
        return self.max_simultaneous < self.n_tracks

    @property
    def ok(self) -> bool:
        """True when the tracklets could give ``n_tracks`` complete tracks.

        False when more tracklets overlap than there are tracks, when fewer
        animals than tracks are ever seen at once, when a track is empty, or
        when a given ``max_gap`` had to be exceeded.
        """
        return not (
            self.crowded_frames.size
            or self.too_few_animals
            or self.empty_tracks
            or (self.strict_max_gap and self.long_links)
        )

    @property
    def n_left_out_frames(self) -> int:
        return int(sum(end - start + 1 for start, end in self.left_out))

    @property
    def message(self) -> str:
        """A few sentences for people; empty when :attr:`ok`."""
        if self.ok:
            return ""
        parts = [f"Could not build {self.n_tracks} complete tracks from the tracklets."]
        if self.crowded_frames.size:
            parts.append(
                f"Up to {self.max_overlap} tracklets overlap in time, more than n_tracks={self.n_tracks}, "
                f"at frames {format_frame_ranges(self.crowded_frames)}."
            )
        if self.too_few_animals:
            parts.append(
                f"At most {self.max_simultaneous} animal(s) are detected in any one frame, fewer "
                f"than n_tracks={self.n_tracks}, so some tracks are made of pieces that may "
                "belong to the same animal."
            )
        if self.left_out:
            spans = ", ".join(f"{s}-{e}" for s, e in self.left_out[:8])
            more = f" and {len(self.left_out) - 8} more" if len(self.left_out) > 8 else ""
            parts.append(
                f"{len(self.left_out)} tracklet(s) fitting in no track were left out "
                f"({self.n_left_out_frames} frames: {spans}{more})."
            )
        if self.empty_tracks:
            parts.append(
                f"Only {self.n_tracks - len(self.empty_tracks)} of {self.n_tracks} tracks received "
                f"data ({self.n_tracklets} tracklets, {self.n_residuals} residuals); "
                f"track(s) {[i + 1 for i in self.empty_tracks]} are all NaN."
            )
        if self.strict_max_gap and self.long_links:
            spans = ", ".join(f"{e}->{s}" for e, s in self.long_links[:8])
            parts.append(
                f"{len(self.long_links)} link(s) bridge gaps longer than max_gap={self.max_gap} "
                f"frames (last frame->first frame: {spans})."
            )
        if self.incomplete_frames.size:
            parts.append(
                f"Frames covered by fewer than {self.n_tracks} tracks: "
                f"{format_frame_ranges(self.incomplete_frames)}."
            )
        parts.append(
            "Check n_tracks against the number of animals in the video; lowering min_length "
            "or raising max_gap may help."
        )
        return " ".join(parts)

    def __str__(self) -> str:
        if self.ok:
            return (
                f"Stitched {self.n_tracklets} tracklets and {self.n_residuals} residuals into "
                f"{self.n_tracks} tracks (max_gap={self.max_gap}, {len(self.long_links)} longer "
                f"link(s), {len(self.left_out)} piece(s) left out)."
            )
        return self.message
