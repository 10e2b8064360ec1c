"""Many videos over many workers: which videos this worker analyzes, and how far the whole set is.

Workers never talk to each other. Each one lists the same videos, puts them in
one stable order (sorted absolute paths, duplicates dropped) and takes every
N-th one starting at its index: worker ``i`` of ``N`` gets videos ``i, i + N,
i + 2N, ...``. Which ``i/N`` a worker is comes from, in this order:

* the ``shard`` argument: ``"i/N"`` (``--shard i/N`` on the command line; ``i`` from 0);
* ``shard="torchrun"``, or no ``shard`` at all inside a ``torchrun`` launch with
  several processes: ``RANK``/``WORLD_SIZE`` (one process per GPU);
* ``shard="slurm"``: a SLURM job array's ``SLURM_ARRAY_TASK_ID`` (counted from
  ``SLURM_ARRAY_TASK_MIN``) of ``SLURM_ARRAY_TASK_COUNT``. Opt-in, because many
  array scripts already give each task its own video;
* ``shard="auto"``: torchrun's variables, else SLURM's, else every video.

A video is done when its analysis files are complete (``_meta.pickle`` beside
the poses, and no ``_partial.json`` saying the analysis was interrupted or
partial: the same test ``analyze_videos`` uses to skip it) and, for
multi-animal projects tracked automatically, its stitched tracks exist. Analysis skips done videos, so a worker that was
killed is simply started again: what it finished is kept, the video it was in
the middle of is analyzed again from the start, and no other worker touches its
videos. :func:`analysis_status` (``deeplabcut analyze-status``) says which
videos of the whole set are done and which are not.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.apis.tracklets import _track_method
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel
from deeplabcut.project.create import find_videos
from deeplabcut.project.paths import AnalysisFiles

#: The words ``shard`` accepts besides ``"i/N"``.
SHARD_WORDS = ("auto", "torchrun", "slurm")


@dataclass(frozen=True)
class Shard:
    """Worker ``index`` of ``count`` (``index`` from 0); ``source`` says where that came from."""

    index: int = 0
    count: int = 1
    source: str = "single worker"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


EVERY_VIDEO = Shard()


def parse_shard(text: str, what: str = "shard") -> Shard:
    """``"1/4"`` -> worker 1 of 4.

    Raises:
        ConfigError: not ``i/N`` with ``0 <= i < N``.
    """
    index_text, separator, count_text = str(text).partition("/")
    try:
        index, count = int(index_text), int(count_text)
    except ValueError:
        index, count = -1, 0
    if not separator or count < 1 or not 0 <= index < count:
        raise ConfigError(
            f"{what} must be 'i/N' with 0 <= i < N (worker i of N, counted from 0), e.g. '0/4' .. '3/4'; "
            f"got {text!r}. Or use one of {list(SHARD_WORDS)}."
        )
    return Shard(index, count, "argument")


def resolve_shard(shard: str | Shard | None = None, environ: Mapping[str, str] | None = None) -> Shard:
    """Which worker this process is (see the module docstring).

    Raises:
        ConfigError: a malformed ``shard``, or ``"torchrun"``/``"slurm"`` without their variables.
    """
    environ = os.environ if environ is None else environ
    if isinstance(shard, Shard):
        return shard
    if shard is None:
        return _from_torchrun(environ) or EVERY_VIDEO
    word = str(shard).strip().lower()
    if word == "torchrun":
        found = _from_torchrun(environ)
        if found is None:
            raise ConfigError("shard='torchrun' but RANK/WORLD_SIZE are not set: launch with torchrun, or give shard='i/N'.")
        return found
    if word == "slurm":
        found = _from_slurm(environ)
        if found is None:
            raise ConfigError(
                "shard='slurm' but SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT are not set: submit a job array "
                "(sbatch --array=0-3 ...), or give shard='i/N'."
            )
        return found
    if word == "auto":
        return _from_torchrun(environ) or _from_slurm(environ) or EVERY_VIDEO
    return parse_shard(word)


def _from_torchrun(environ: Mapping[str, str]) -> Shard | None:
    if "WORLD_SIZE" not in environ or "RANK" not in environ:
        return None
    shard = parse_shard(f"{environ['RANK']}/{environ['WORLD_SIZE']}", "RANK/WORLD_SIZE")
    return Shard(shard.index, shard.count, "torchrun") if shard.count > 1 else None


def _from_slurm(environ: Mapping[str, str]) -> Shard | None:
    if "SLURM_ARRAY_TASK_ID" not in environ or "SLURM_ARRAY_TASK_COUNT" not in environ:
        return None
    try:
        index = int(environ["SLURM_ARRAY_TASK_ID"]) - int(environ.get("SLURM_ARRAY_TASK_MIN", "0"))
    except ValueError:
        index = -1
    shard = parse_shard(f"{index}/{environ['SLURM_ARRAY_TASK_COUNT']}", "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT")
    return Shard(shard.index, shard.count, "slurm")


def stable_order(videos: Sequence[str | Path]) -> list[Path]:
    """``videos`` sorted by absolute path, each once: the order every worker agrees on.

    The paths themselves are kept as given (a symbolic link stays a link, so
    results are written beside it, as a single worker would).
    """
    by_path: dict[str, Path] = {}
    for video in videos:
        by_path.setdefault(os.path.abspath(video), Path(video))
    return [by_path[key] for key in sorted(by_path)]


def shard_videos(videos: Sequence[str | Path], shard: Shard) -> list[Path]:
    """This worker's videos: every ``shard.count``-th of :func:`stable_order`, from ``shard.index``."""
    return stable_order(videos)[shard.index :: shard.count]


@dataclass(frozen=True)
class VideoStatus:
    """How far one video is.

    Attributes:
        analyzed: the analysis files are complete (``_meta.pickle`` and the poses).
        tracked: the stitched tracks exist; None when no tracking is expected
            (single-animal projects, or ``auto_track`` off).
        leftovers: analysis files of an incomplete analysis (``_partial.json``, or
            poses without ``_meta.pickle``): it was interrupted, failed or covered only
            part of the video (the next run analyzes the video again).
    """

    video: Path
    analyzed: bool
    tracked: bool | None
    leftovers: bool = False

    @property
    def done(self) -> bool:
        return self.analyzed and self.tracked is not False

    @property
    def state(self) -> str:
        if self.done:
            return "done"
        if self.analyzed:
            return "analyzed, not tracked"
        return "interrupted or failed" if self.leftovers else "not analyzed"


@dataclass
class AnalysisStatus:
    """The state of every video of a set (in :func:`stable_order`)."""

    scorer: str
    videos: list[VideoStatus] = field(default_factory=list)

    @property
    def done(self) -> list[Path]:
        return [v.video for v in self.videos if v.done]

    @property
    def not_done(self) -> list[VideoStatus]:
        return [v for v in self.videos if not v.done]

    def summary(self) -> str:
        """``3 of 4 video(s) done`` and one line per video that is not done."""
        lines = [f"{len(self.done)} of {len(self.videos)} video(s) done ({self.scorer})."]
        lines += [f"  {status.state}: {status.video}" for status in self.not_done]
        return "\n".join(lines)


def video_status(
    video: Path, scorer: str, multianimal: bool, destfolder: str | Path | None = None, track_method: str | None = None
) -> VideoStatus:
    """The state of ``video``'s result files (``track_method``: the tracks expected, None for none)."""
    files = AnalysisFiles.of(video, scorer, destfolder)
    result = files.full if multianimal else files.h5
    # As analyze_videos decides: complete when _meta.pickle and the poses exist and no _partial.json says otherwise.
    analyzed = not files.partial.exists() and files.meta.exists() and result.exists()
    tracked = None if track_method is None else analyzed and files.tracks(track_method).exists()
    leftovers = not analyzed and any(path.exists() for path in (files.partial, files.h5, files.full, files.assemblies))
    return VideoStatus(video, analyzed, tracked, leftovers)


def videos_status(
    model: TrainedModel,
    videos: Sequence[str | Path],
    destfolder: str | Path | None = None,
    auto_track: bool = True,
    track_method: str = "",
) -> AnalysisStatus:
    """The state of each video for ``model`` (already resolved), as ``analyze_videos`` would leave it."""
    multianimal = model.shuffle.multianimal
    method = _track_method(model.shuffle, track_method) if multianimal and auto_track else None
    return AnalysisStatus(
        scorer=str(model.scorer),
        videos=[video_status(video, str(model.scorer), multianimal, destfolder, method) for video in stable_order(videos)],
    )


def analysis_status(
    config: str | Path,
    videos: list[str | Path] | str | Path,
    videotype: str = "",
    shuffle: int = 1,
    trainingsetindex: int = 0,
    snapshotindex: int | str | None = None,
    destfolder: str | Path | None = None,
    auto_track: bool = True,
    track_method: str = "",
    modelprefix: str = "",
    detector_snapshot_index: int | str | None = None,
) -> AnalysisStatus:
    """Which videos ``analyze_videos`` with the same arguments has finished, over all workers.

    Reads only file names: run it at any time, e.g. as the last step of a
    cluster job. A video is ``done`` when its analysis is complete and (for
    multi-animal projects with ``auto_track``) its stitched tracks exist;
    otherwise ``analyzed, not tracked``, ``interrupted or failed`` (an incomplete
    analysis: ``_partial.json``, or poses without ``_meta.pickle``) or ``not analyzed``.

    Args:
        config, videos, videotype, shuffle, trainingsetindex, snapshotindex, destfolder,
        auto_track, track_method, modelprefix, detector_snapshot_index: as for ``analyze_videos``.
    """
    model = TrainedModel.resolve(
        config, shuffle, trainingsetindex, modelprefix, snapshotindex, detector_snapshotindex=detector_snapshot_index
    )
    return videos_status(model, find_videos(videos, videotype), destfolder, auto_track, track_method)
