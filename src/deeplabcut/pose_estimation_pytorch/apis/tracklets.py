"""``convert_detections2tracklets`` and ``stitch_tracklets``: from per-frame animals to identities.

``convert_detections2tracklets`` reads ``<video><scorer>_assemblies.pickle``
and writes the tracklets ``<video><scorer>_el.pickle`` (ellipse tracker) or
``_bx.pickle`` (box tracker). ``stitch_tracklets`` joins the tracklets into
exactly ``n_tracks`` identities and writes ``<video><scorer>_el.h5`` (HDF key
``tracks``), the multi-animal layout DeepLabCut users' scripts read.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from deeplabcut.errors import ConfigError, MissingFileError
from deeplabcut.formats.inference_cfg import read_inference_cfg
from deeplabcut.formats.tracklets import read_tracklets, write_tracklets
from deeplabcut.formats.tracks import write_tracks_h5
from deeplabcut.formats.video_pickles import read_assemblies_pickle, read_meta_pickle
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel, snapshot_index_argument
from deeplabcut.pose_estimation_pytorch.apis.utils import get_logger, progress_bar
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.project.config import get_track_method
from deeplabcut.project.create import find_videos
from deeplabcut.project.paths import AnalysisFiles, inference_cfg_path
from deeplabcut.tracking import StitchingWarning, Tracklet, build_tracklets, stitch_tracklet_dict


def _track_method(project: ShuffleData, track_method: str) -> str:
    return get_track_method(project.cfg, track_method)


def _inference_cfg(project: ShuffleData, inferencecfg: dict[str, Any] | None) -> dict[str, Any]:
    if inferencecfg is not None:
        return dict(inferencecfg)
    path = inference_cfg_path(project.model_folder)
    if not path.is_file():
        raise MissingFileError(
            f"'{path}' does not exist. Recreate the shuffle with deeplabcut.create_training_dataset, "
            "or pass inferencecfg={...} (keys pcutoff, iou_threshold, max_age, min_hits, boundingboxslack, topktoretain)."
        )
    return read_inference_cfg(path)


def _require_multianimal(project: ShuffleData, what: str) -> None:
    if not project.multianimal:
        raise ConfigError(f"{what} applies to multi-animal projects; '{project.config_path}' is single-animal.")


def _num_frames(files: AnalysisFiles, known: int | None = None) -> int:
    """The analyzed frames of a video: ``known`` when the caller has it, else from ``_meta.pickle``."""
    if known is not None:
        return known
    meta = files.meta
    if not meta.is_file():
        raise MissingFileError(f"'{meta}' does not exist. Analyze the video first (api.analyze_videos).")
    return read_meta_pickle(meta).nframes


def convert_detections2tracklets(
    config: str | Path,
    videos: list[str | Path] | str | Path,
    videotype: str = "",
    shuffle: int = 1,
    trainingsetindex: int = 0,
    overwrite: bool = False,
    destfolder: str | Path | None = None,
    ignore_bodyparts: list[str] | None = None,
    inferencecfg: dict[str, Any] | None = None,
    modelprefix: str = "",
    greedy: bool = False,
    calibrate: bool = False,
    window_size: int = 0,
    identity_only: bool = False,
    track_method: str = "",
    snapshotindex: int | str | None = None,
    video_extensions: str | None = None,
    snapshot_index: int | str | None = None,
    detector_snapshot_index: int | str | None = None,
) -> list[Path]:
    """Track the animals of analyzed videos from frame to frame into tracklets.

    Uses the shuffle's ``test/inference_cfg.yaml`` (``pcutoff``,
    ``iou_threshold``, ``max_age``, ``min_hits``, ``boundingboxslack``,
    ``topktoretain``) unless ``inferencecfg`` is given. Returns the tracklet files.
    ``detector_snapshot_index`` names a top-down model's detector snapshot, as for
    ``analyze_videos`` (it is part of the scorer name).
    """
    if greedy or calibrate or window_size:
        raise ConfigError("greedy, calibrate and window_size are not available in this package.")
    if identity_only:
        raise ConfigError(
            "identity_only=True needs a model with an identity head, which this package does not train; "
            "track by motion (the default)."
        )
    model = TrainedModel.resolve(
        config, shuffle, trainingsetindex, modelprefix, snapshot_index_argument(snapshotindex, snapshot_index),
        detector_snapshotindex=detector_snapshot_index,
    )
    return track_videos(
        model,
        find_videos(videos, video_extensions or videotype),
        overwrite=overwrite,
        destfolder=destfolder,
        ignore_bodyparts=ignore_bodyparts,
        inferencecfg=inferencecfg,
        track_method=track_method,
    )


def track_videos(
    model: TrainedModel,
    videos: Iterable[Path],
    overwrite: bool = False,
    destfolder: str | Path | None = None,
    ignore_bodyparts: list[str] | None = None,
    inferencecfg: dict[str, Any] | None = None,
    track_method: str = "",
    frame_counts: Mapping[Path, int] | None = None,
) -> list[Path]:
    """:func:`convert_detections2tracklets` for a resolved model and video files.

    ``frame_counts`` gives the analyzed frames of videos whose analysis the
    caller has just run (others are read from their ``_meta.pickle``).
    """
    log = get_logger()
    project, scorer = model.shuffle, model.scorer
    frame_counts = frame_counts or {}
    _require_multianimal(project, "convert_detections2tracklets")
    method = _track_method(project, track_method)
    inference_cfg = _inference_cfg(project, inferencecfg)
    written = []
    for video in videos:
        files = AnalysisFiles.of(video, scorer, destfolder)
        output = files.tracklets(method)
        if output.exists() and not overwrite:
            log.info("Tracklets of %s exist (%s); pass overwrite=True to track again.", video.name, output.name)
            written.append(output)
            continue
        num_frames = _num_frames(files, frame_counts.get(video))
        if not files.assemblies.is_file():
            raise MissingFileError(f"'{files.assemblies}' does not exist. Analyze the video first (api.analyze_videos).")
        assemblies = read_assemblies_pickle(files.assemblies)
        bar = progress_bar(num_frames, f"Tracking {video.name} ({method})", unit="frame")

        def progress(frames, bar=bar):
            for frame in frames:
                yield frame
                bar.update(1)

        try:
            tracklets = build_tracklets(
                assemblies,
                inference_cfg,
                method,
                project.bodyparts,
                project.unique_bodyparts,
                scorer,
                num_frames,
                progress=progress,
                ignore_bodyparts=ignore_bodyparts,
            )
        finally:
            bar.close()
        write_tracklets(output, tracklets)
        log.info("%s: %d tracklets -> %s", video.name, sum(isinstance(k, int) for k in tracklets), output)
        written.append(output)
    return written


def stitch_tracklets(
    config: str | Path,
    videos: list[str | Path] | str | Path,
    videotype: str = "",
    shuffle: int = 1,
    trainingsetindex: int = 0,
    n_tracks: int | None = None,
    animal_names: list[str] | None = None,
    min_length: int = 10,
    split_tracklets: bool = True,
    prestitch_residuals: bool = True,
    max_gap: int | None = None,
    weight_func: Callable[[Tracklet, Tracklet], float] | None = None,
    destfolder: str | Path | None = None,
    modelprefix: str = "",
    track_method: str = "",
    output_name: str = "",
    save_as_csv: bool = False,
    snapshotindex: int | str | None = None,
    video_extensions: str | None = None,
    snapshot_index: int | str | None = None,
    detector_snapshot_index: int | str | None = None,
) -> list[Path]:
    """Join each video's tracklets into exactly ``n_tracks`` identities (min-cost flow).

    Writes ``<video><scorer>_el.h5`` (HDF key ``tracks``; ``_bx`` for the box
    tracker) with columns ``scorer/individuals/bodyparts/coords``. When the
    tracklets cannot give ``n_tracks`` complete tracks (more animals at once than
    ``n_tracks``, or fewer ever seen), the message says which frames and
    tracklets, and the best result is still written.

    Args:
        n_tracks: number of identities (default: the config's individuals).
        animal_names: names of the tracks (default: the config's individuals when
            there are ``n_tracks`` of them, else ``ind1..n``).
        min_length: tracklets shorter than this are set aside first, then added back.
        split_tracklets: split tracklets where frames are missing.
        max_gap: longest gap (frames) a link may bridge (default: from the data).
        weight_func: ``f(tracklet_a, tracklet_b) -> cost`` of linking a to b.
        output_name: file name (without extension) instead of the default.
        detector_snapshot_index: a top-down model's detector snapshot (part of the scorer name).

    Returns:
        The written ``.h5`` files.
    """
    model = TrainedModel.resolve(
        config, shuffle, trainingsetindex, modelprefix, snapshot_index_argument(snapshotindex, snapshot_index),
        detector_snapshotindex=detector_snapshot_index,
    )
    return stitch_videos(
        model,
        find_videos(videos, video_extensions or videotype),
        n_tracks=n_tracks,
        animal_names=animal_names,
        min_length=min_length,
        split_tracklets=split_tracklets,
        prestitch_residuals=prestitch_residuals,
        max_gap=max_gap,
        weight_func=weight_func,
        destfolder=destfolder,
        track_method=track_method,
        output_name=output_name,
        save_as_csv=save_as_csv,
    )


def stitch_videos(
    model: TrainedModel,
    videos: Iterable[Path],
    n_tracks: int | None = None,
    animal_names: list[str] | None = None,
    min_length: int = 10,
    split_tracklets: bool = True,
    prestitch_residuals: bool = True,
    max_gap: int | None = None,
    weight_func: Callable[[Tracklet, Tracklet], float] | None = None,
    destfolder: str | Path | None = None,
    track_method: str = "",
    output_name: str = "",
    save_as_csv: bool = False,
    frame_counts: Mapping[Path, int] | None = None,
) -> list[Path]:
    """:func:`stitch_tracklets` for a resolved model and video files (``frame_counts`` as in :func:`track_videos`)."""
    log = get_logger()
    project, scorer = model.shuffle, model.scorer
    frame_counts = frame_counts or {}
    _require_multianimal(project, "stitch_tracklets")
    method = _track_method(project, track_method)
    n_tracks = int(n_tracks or len(project.individuals))
    names = _animal_names(animal_names, project.individuals, n_tracks)
    written = []
    for video in videos:
        files = AnalysisFiles.of(video, scorer, destfolder)
        tracklets_path = files.tracklets(method)
        if not tracklets_path.is_file():
            raise MissingFileError(
                f"'{tracklets_path}' does not exist. Run api.convert_detections2tracklets first "
                f"(track_method='{method}')."
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StitchingWarning)
            stitcher, report = stitch_tracklet_dict(
                read_tracklets(tracklets_path),
                n_tracks,
                min_length=min_length,
                split_tracklets=split_tracklets,
                prestitch_residuals=prestitch_residuals,
                max_gap=max_gap,
                weight_func=weight_func,
            )
        if not report.ok:
            log.warning("%s: %s", video.name, report.message)
        num_frames = _num_frames(files, frame_counts.get(video))
        df = stitcher.to_dataframe(scorer, project.bodyparts, project.unique_bodyparts, names, num_frames)
        output = files.folder / f"{output_name}.h5" if output_name else files.tracks(method)
        write_tracks_h5(df, output, save_as_csv=save_as_csv)
        log.info("%s: %d tracks -> %s", video.name, n_tracks, output)
        written.append(output)
    return written


def _animal_names(animal_names: list[str] | None, individuals: list[str], n_tracks: int) -> list[str]:
    if animal_names is not None:
        if len(animal_names) != n_tracks:
            raise ConfigError(f"Got {len(animal_names)} animal_names for n_tracks={n_tracks}; give one name per track.")
        return list(animal_names)
    if len(individuals) == n_tracks:
        return list(individuals)
    return [f"ind{i + 1}" for i in range(n_tracks)]
