"""``filterpredictions`` and ``analyzeskeleton``: post-processing of a model's analysis files.

Both name the files through the model (its scorer), as ``create_labeled_video``
does, and leave the maths to :mod:`deeplabcut.post_processing`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from deeplabcut.errors import ConfigError, MissingFileError
from deeplabcut.formats import analysis
from deeplabcut.formats.skeleton import read_skeleton
from deeplabcut.post_processing import FilterSettings, filter_analysis_file, skeleton_of_analysis_file
from deeplabcut.post_processing.skeleton import skeleton_table
from deeplabcut.pose_estimation_pytorch.apis.labeled_video import analysis_file, analysis_path
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel, snapshot_index_argument
from deeplabcut.pose_estimation_pytorch.apis.utils import get_logger
from deeplabcut.project.create import find_videos
from deeplabcut.project.paths import AnalysisFiles, skeleton_analysis_path

def _model_and_videos(
    config: str | Path,
    videos: Any,
    videotype: str,
    shuffle: int,
    trainingsetindex: int,
    modelprefix: str,
    kwargs: dict[str, Any],
    function: str,
) -> tuple[TrainedModel, list[Path]]:
    snapshotindex = snapshot_index_argument(kwargs.pop("snapshotindex", None), kwargs.pop("snapshot_index", None))
    detector_snapshot_index = kwargs.pop("detector_snapshot_index", None)
    video_extensions = kwargs.pop("video_extensions", None)
    unknown = sorted(kwargs)
    if unknown:
        raise ConfigError(f"{function} got unknown argument(s) {unknown}.")
    model = TrainedModel.resolve(
        config, shuffle, trainingsetindex, modelprefix, snapshotindex, detector_snapshotindex=detector_snapshot_index
    )
    return model, find_videos(videos, video_extensions or videotype or "")


def filterpredictions(
    config: str | Path,
    video: list[str | Path] | str | Path,
    videotype: str = "",
    shuffle: int = 1,
    trainingsetindex: int = 0,
    filtertype: str = "median",
    windowlength: int = 5,
    p_bound: float = 0.001,
    ARdegree: int = 3,
    MAdegree: int = 1,
    alpha: float = 0.01,
    save_as_csv: bool = True,
    destfolder: str | Path | None = None,
    modelprefix: str = "",
    track_method: str = "",
    return_data: bool = False,
    overwrite: bool = False,
    **kwargs: Any,
) -> dict[Path, pd.DataFrame] | None:
    """Smooth the analysed poses of each video over time: ``<video><scorer>[_el]_filtered.h5`` (and ``.csv``).

    Single-animal projects filter ``<video><scorer>.h5``; multi-animal ones the
    stitched tracks ``<video><scorer>_el.h5`` (``_bx`` with ``track_method="box"``).
    Use the result with ``create_labeled_video(..., filtered=True)``,
    ``plot_trajectories(..., filtered=True)`` or ``analyzeskeleton(..., filtered=True)``.

    Args:
        filtertype: ``"median"`` (default), ``"spline"`` or ``"arima"``
            (see :mod:`deeplabcut.post_processing.filtering`).
        windowlength: median: window in frames (odd); spline: longest gap filled (0: all).
        p_bound: arima: likelihoods below it are treated as missing.
        ARdegree, MAdegree: arima: the SARIMAX order.
        alpha: arima: significance level of the model's confidence interval.
        save_as_csv: also write the ``.csv`` twin (default True, as DeepLabCut).
        destfolder: where the analysis files are (default: beside each video).
        return_data: return ``{video: filtered DataFrame}``.
        overwrite: filter again a video that already has a filtered file (otherwise it is kept and reused).
        snapshot_index, detector_snapshot_index: (keywords) which model's files, as in ``analyze_videos``.

    Raises:
        ConfigError: a bad filter argument (checked before anything is read or written).
        MissingFileError: a video has not been analysed (checked for every video before anything is written).
    """
    settings = FilterSettings(filtertype, windowlength, p_bound, ARdegree, MAdegree, alpha)
    model, videos = _model_and_videos(
        config, video, videotype, shuffle, trainingsetindex, modelprefix, kwargs, "filterpredictions"
    )
    log = get_logger()
    sources = [analysis_file(model.shuffle, AnalysisFiles.of(v, model.scorer, destfolder), False, track_method)[0] for v in videos]
    results: dict[Path, pd.DataFrame] = {}
    for one_video, source in zip(videos, sources):
        target = AnalysisFiles.of(one_video, model.scorer, destfolder)
        destination = analysis_path(model.shuffle, target, True, track_method)[0]
        if destination.is_file() and not overwrite:
            log.info("%s is already filtered (%s); pass overwrite=True to filter it again.", one_video.name, destination.name)
            if return_data:
                results[one_video] = analysis.read_analysis(destination)
            continue
        log.info("Filtering %s with the %s filter.", source.name, filtertype)
        results[one_video] = filter_analysis_file(source, destination, settings, save_as_csv=save_as_csv)
        log.info("Filtered poses: %s", destination)
    return results if return_data else None


def analyzeskeleton(
    config: str | Path,
    videos: list[str | Path] | str | Path,
    videotype: str = "",
    shuffle: int = 1,
    trainingsetindex: int = 0,
    filtered: bool = False,
    save_as_csv: bool = False,
    destfolder: str | Path | None = None,
    modelprefix: str = "",
    track_method: str = "",
    return_data: bool = False,
    overwrite: bool = False,
    **kwargs: Any,
) -> dict[Path, pd.DataFrame] | None:
    """Length and orientation of every bone of config.yaml's ``skeleton``, per frame: ``..._skeleton.h5``.

    The bones are measured on ``<video><scorer>[_el][_filtered].h5`` (the
    tracks for multi-animal projects; ``filtered=True`` takes
    ``filterpredictions``' output) and written beside it as
    ``<that file's stem>_skeleton.h5``: columns ``(bone, length|orientation|likelihood)``,
    length in pixels, orientation in degrees ``[0, 360)`` (``atan2(dy, dx)``
    from the first bodypart to the second, image y down), likelihood the
    smaller of the two (see :mod:`deeplabcut.formats.skeleton`).

    Args:
        filtered: measure the filtered poses.
        save_as_csv: also write the ``.csv`` twin.
        destfolder: where the analysis files are (default: beside each video).
        return_data: return ``{video: skeleton DataFrame}``.
        overwrite: measure again when the skeleton file exists (otherwise it is kept and reused).

    Raises:
        ConfigError: config.yaml has no ``skeleton`` or it names unknown bodyparts.
        MissingFileError: a video has not been analysed (or filtered, with ``filtered=True``).
        Both are checked for every video before anything is written.
    """
    model, found = _model_and_videos(
        config, videos, videotype, shuffle, trainingsetindex, modelprefix, kwargs, "analyzeskeleton"
    )
    skeleton = model.cfg.get("skeleton") or []
    if not skeleton:
        raise ConfigError(f"'{config}' defines no 'skeleton'. Add pairs of bodyparts under 'skeleton:', e.g. [[snout, tailbase]].")
    try:
        sources = [analysis_file(model.shuffle, AnalysisFiles.of(v, model.scorer, destfolder), filtered, track_method)[0] for v in found]
    except MissingFileError as err:
        raise MissingFileError(f"{err}{' (or filterpredictions, for filtered=True)' if filtered else ''}") from err
    if sources:
        skeleton_table(analysis.read_analysis(sources[0]), skeleton)  # a bad skeleton fails before any file is written
    log = get_logger()
    results: dict[Path, pd.DataFrame] = {}
    for one_video, source in zip(found, sources):
        destination = skeleton_analysis_path(source)
        if destination.is_file() and not overwrite:
            log.info("Skeleton of %s already analysed (%s); pass overwrite=True to measure it again.", one_video.name, destination.name)
            if return_data:
                results[one_video] = read_skeleton(destination)
            continue
        results[one_video] = skeleton_of_analysis_file(source, destination, skeleton, save_as_csv=save_as_csv)
        log.info("Skeleton: %s", destination)
    return results if return_data else None
