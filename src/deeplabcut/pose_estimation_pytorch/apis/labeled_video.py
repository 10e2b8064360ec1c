"""``create_labeled_video`` and ``plot_trajectories`` for analyzed videos."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deeplabcut.errors import ConfigError, MissingFileError
from deeplabcut.formats import analysis, tracks
from deeplabcut.formats.video_pickles import read_meta_pickle
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel, snapshot_index_argument
from deeplabcut.pose_estimation_pytorch.apis.utils import get_logger, progress_bar
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.project.config import get_track_method
from deeplabcut.project.create import find_videos
from deeplabcut.project.paths import AnalysisFiles, labeled_video_path
from deeplabcut.video.reader import VideoReader

# deeplabcut.visualization (matplotlib) is imported where a picture is drawn: the APIs
# import this module, and analysis processes need neither.


def analysis_path(project: ShuffleData, files: AnalysisFiles, filtered: bool, track_method: str) -> tuple[Path, str, str]:
    """``(path, HDF key, the step that writes it)`` of a video's analysis ``.h5``, whether or not it exists.

    Tracks for multi-animal projects (``track_method`` or config.yaml's
    ``default_track_method``), raw poses for single-animal ones; ``filtered``:
    ``filterpredictions``' ``..._filtered.h5``.

    Raises:
        ConfigError: an unknown ``track_method``.
    """
    if project.multianimal:
        return files.tracks(get_track_method(project.cfg, track_method), filtered), tracks.HDF_KEY, "stitch_tracklets"
    return files.poses(filtered), analysis.HDF_KEY, "analyze_videos"


def analysis_file(project: ShuffleData, files: AnalysisFiles, filtered: bool, track_method: str) -> tuple[Path, str]:
    """The analysis ``.h5`` of a video and its HDF key (see :func:`analysis_path`).

    Raises:
        MissingFileError: naming the file and the step that writes it.
    """
    path, key, step = analysis_path(project, files, filtered, track_method)
    if not path.is_file():
        raise MissingFileError(f"'{path}' does not exist. Run {step} on this video first.")
    return path, key


def _frames_and_cropping(files: AnalysisFiles, video: Path) -> tuple[int, list[int] | None]:
    """The analysed frame count and cropping from ``_meta.pickle``; without it, the video's frame count."""
    if files.meta.is_file():
        meta = read_meta_pickle(files.meta)
        return meta.nframes, meta.cropping_parameters
    with VideoReader(video) as reader:
        return reader.num_frames, None


def _names(selection: str | list[str]) -> list[str] | None:
    """``"all"`` -> None (everything); one name -> [name]; a list stays a list."""
    if selection == "all":
        return None
    return [selection] if isinstance(selection, str) else list(selection)


def create_labeled_video(
    config: str | Path,
    videos: list[str | Path] | str | Path,
    videotype: str = "",
    shuffle: int = 1,
    trainingsetindex: int = 0,
    filtered: bool = False,
    draw_skeleton: bool = False,
    pcutoff: float | None = None,
    color_by: str = "bodypart",
    trailpoints: int = 0,
    codec: str = "mp4v",
    destfolder: str | Path | None = None,
    snapshotindex: int | str | None = None,
    modelprefix: str = "",
    track_method: str = "",
    displayedbodyparts: str | list[str] = "all",
    displayedindividuals: str | list[str] = "all",
    outputframerate: float | None = None,
    overwrite: bool = False,
    displaycropped: bool = False,
    dotsize: float | None = None,
    colormap: str | None = None,
    alphavalue: float | None = None,
    skeleton_color: Any = None,
    video_extensions: str | None = None,
    **kwargs: Any,
) -> list[Path]:
    """Draw the analysis results onto each video: ``<video><scorer>[_el][_bp|_id]_p<cutoff>_labeled.mp4``.

    Points whose likelihood is not above ``pcutoff`` are hidden. Multi-animal
    projects draw the stitched tracks (``_el.h5``); single-animal projects the
    poses (``.h5``). Style values default to config.yaml (``pcutoff``,
    ``dotsize``, ``colormap``, ``alphavalue``, ``skeleton``, ``skeleton_color``).

    Args:
        color_by: ``"bodypart"`` or ``"individual"``.
        trailpoints: also draw each point's positions in this many previous frames.
        draw_skeleton: connect the config's ``skeleton`` pairs.
        codec: OpenCV fourcc of the output (``mp4v`` plays everywhere).
        displayedbodyparts, displayedindividuals: subsets to draw (default all).
        outputframerate: frames per second of the output (default: the video's).
        overwrite: redraw an existing labeled video.
        displaycropped: for cropped analyses, write only the cropped area.
        detector_snapshot_index: (keyword) a top-down model's detector snapshot, part of the scorer name.

    Returns:
        The labeled videos.
    """
    from deeplabcut.visualization import create_labeled_video_from_dataframe

    snapshotindex = snapshot_index_argument(snapshotindex, kwargs.pop("snapshot_index", None))
    detector_snapshot_index = kwargs.pop("detector_snapshot_index", None)
    unknown = sorted(set(kwargs) - {"fastmode", "save_frames", "keypoints_only", "Frames2plot", "init_weights", "max_workers"})
    if unknown:
        raise ConfigError(f"create_labeled_video got unknown argument(s) {unknown}.")
    if color_by not in ("bodypart", "individual"):
        raise ConfigError(f"color_by must be 'bodypart' or 'individual', not {color_by!r}.")
    log = get_logger()
    model = TrainedModel.resolve(
        config, shuffle, trainingsetindex, modelprefix, snapshotindex, detector_snapshotindex=detector_snapshot_index
    )
    project, cfg, scorer = model.shuffle, model.cfg, model.scorer
    pcutoff = float(cfg.get("pcutoff", 0.6) if pcutoff is None else pcutoff)
    written = []
    for video in find_videos(videos, video_extensions or videotype):
        files = AnalysisFiles.of(video, scorer, destfolder)
        path, key = analysis_file(project, files, filtered, track_method)
        output = labeled_video_path(path, pcutoff, color_by if project.multianimal else None)
        if output.exists() and not overwrite:
            log.info("%s exists; pass overwrite=True to draw it again.", output.name)
            written.append(output)
            continue
        df = analysis.read_analysis(path, key)
        total, cropping = _frames_and_cropping(files, video)
        bar = progress_bar(total, f"Labeling {video.name}", unit="frame")
        try:
            create_labeled_video_from_dataframe(
                video,
                df,
                output,
                pcutoff=pcutoff,
                dot_size=dotsize if dotsize is not None else cfg.get("dotsize", 8),
                cmap=colormap or cfg.get("colormap", "rainbow"),
                color_by=color_by,
                skeleton=(cfg.get("skeleton") or None) if draw_skeleton else None,
                skeleton_color=skeleton_color or cfg.get("skeleton_color", "white"),
                trailpoints=trailpoints,
                codec=codec,
                cropping=cropping,
                display_cropped=displaycropped,
                progress=bar.update,
                alpha=alphavalue if alphavalue is not None else cfg.get("alphavalue", 0.7),
                bodyparts=_names(displayedbodyparts),
                individuals=_names(displayedindividuals),
                fps=outputframerate,
            )
        finally:
            bar.close()
        log.info("Labeled video: %s", output)
        written.append(output)
    return written


def plot_trajectories(
    config: str | Path,
    videos: list[str | Path] | str | Path,
    videotype: str = "",
    shuffle: int = 1,
    trainingsetindex: int = 0,
    filtered: bool = False,
    displayedbodyparts: str | list[str] = "all",
    destfolder: str | Path | None = None,
    modelprefix: str = "",
    track_method: str = "",
    pcutoff: float | None = None,
    snapshotindex: int | str | None = None,
    video_extensions: str | None = None,
    snapshot_index: int | str | None = None,
    detector_snapshot_index: int | str | None = None,
) -> list[Path]:
    """Plot trajectories, coordinates over time, likelihoods and motion histograms per bodypart.

    Figures go to ``<video folder>/plot-poses/<video stem>/`` (or ``destfolder``).
    Returns the written files.
    """
    from deeplabcut.visualization import plot_trajectories as plot_trajectories_of_dataframe

    model = TrainedModel.resolve(
        config, shuffle, trainingsetindex, modelprefix, snapshot_index_argument(snapshotindex, snapshot_index),
        detector_snapshotindex=detector_snapshot_index,
    )
    project, scorer = model.shuffle, model.scorer
    pcutoff = float(project.cfg.get("pcutoff", 0.6) if pcutoff is None else pcutoff)
    written: list[Path] = []
    for video in find_videos(videos, video_extensions or videotype):
        files = AnalysisFiles.of(video, scorer, destfolder)
        path, key = analysis_file(project, files, filtered, track_method)
        folder = files.plot_poses_folder
        written += plot_trajectories_of_dataframe(
            analysis.read_analysis(path, key),
            folder,
            bodyparts=_names(displayedbodyparts),
            pcutoff=pcutoff,
            cmap=project.cfg.get("colormap", "rainbow"),
        )
        get_logger().info("Trajectory plots of %s: %s", video.name, folder)
    return written
