"""``extract_outlier_frames``: find the frames a model got wrong and put them up for correction.

The steps, as in DeepLabCut:

1. read the analysis of each video (``<video><scorer>.h5``; multi-animal:
   the stitched tracks ``<video><scorer>_el.h5`` or ``_bx.h5``);
2. find candidate frames between ``start`` and ``stop`` of config.yaml with one
   of the outlier algorithms (:func:`find_outliers`);
3. pick at most ``numframes2pick`` of them (``kmeans`` on downsampled frames,
   or ``uniform``);
4. write the picked frames to ``labeled-data/<video>/img<NNN>.png`` and the
   model's predictions for them to ``machinelabels-iter<N>.h5`` (and
   ``machinelabels.csv``), so that ``refine_labels`` (napari-deeplabcut) opens
   them for correction.

Frames already in ``labeled-data/<video>/`` (extracted or labeled before) are
left out of the choice, so neither their images nor their labels are touched.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd

from deeplabcut.errors import ConfigError, MissingFileError
from deeplabcut.formats.analysis import read_analysis
from deeplabcut.formats.collected_data import read_collected_data, three_level_index
from deeplabcut.formats.machine_labels import machine_labels_dataframe, read_machine_labels, write_machine_labels
from deeplabcut.formats.pose_table import PREDICTION_COORDS
from deeplabcut.formats.tracks import read_tracks_h5
from deeplabcut.formats.video_pickles import read_meta_pickle
from deeplabcut.post_processing import filtering
from deeplabcut.project.config import (
    get_bodyparts,
    get_track_method,
    get_unique_bodyparts,
    is_multianimal,
    read_config,
    video_stems,
)
from deeplabcut.project.create import add_new_videos, find_videos
from deeplabcut.project.frames import frame_image_name, select_frames_kmeans, write_new_frames
from deeplabcut.project.paths import (
    MACHINE_LABELS_CSV_FILENAME,
    TRACK_METHODS,
    AnalysisFiles,
    collected_data_filename,
    labeled_data_folder,
    machine_labels_filename,
)
from deeplabcut.video.reader import VideoReader

OUTLIER_ALGORITHMS = ("jump", "fitting", "uncertain", "list")
EXTRACTION_ALGORITHMS = ("kmeans", "uniform")
#: Answers to the question before extraction that mean yes (DeepLabCut's list).
YES_ANSWERS = ("y", "yes", "ja", "ha")
_IMAGE_NAME = re.compile(r"^img(\d+)\.png$")


# -- finding outliers in a predictions table (pure functions) ------------------------


def analysed_range(num_frames: int, start: float, stop: float) -> np.ndarray:
    """Frame indices ``floor(n*start) .. ceil(n*stop)-1``, the part of a video config.yaml's start/stop name."""
    first = max(int(math.floor(num_frames * start)), 0)
    last = min(int(math.ceil(num_frames * stop)), num_frames)
    return np.arange(first, last)


def _coordinates(predictions: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``x, y, likelihood`` as ``(rows, keypoints)`` arrays, one column per (individual,) bodypart."""
    parts = [predictions.xs(coord, level="coords", axis=1) for coord in PREDICTION_COORDS]
    if not (parts[0].columns.equals(parts[1].columns) and parts[0].columns.equals(parts[2].columns)):
        raise ConfigError("The predictions table does not have x, y and likelihood for every bodypart.")
    return tuple(part.to_numpy(dtype=float) for part in parts)  # type: ignore[return-value]


def jump_outliers(predictions: pd.DataFrame, epsilon: float) -> np.ndarray:
    """Rows where some keypoint moved more than ``epsilon`` pixels since the row before.

    The distance is Euclidean, per keypoint (per individual and bodypart in
    multi-animal tables). The first row, and keypoints missing in either row,
    are never flagged. Returns the flagged row labels (frame indices).
    """
    x, y, _ = _coordinates(predictions)
    squared = np.diff(x, axis=0) ** 2 + np.diff(y, axis=0) ** 2
    with np.errstate(invalid="ignore"):
        flagged = np.any(squared > epsilon**2, axis=1)
    return predictions.index.to_numpy()[1:][flagged]


def uncertain_outliers(predictions: pd.DataFrame, p_bound: float) -> np.ndarray:
    """Rows where some keypoint's likelihood is below ``p_bound`` (missing keypoints are not flagged)."""
    _, _, likelihood = _coordinates(predictions)
    with np.errstate(invalid="ignore"):
        flagged = np.any(likelihood < p_bound, axis=1)
    return predictions.index.to_numpy()[flagged]


def fit_sarimax(
    values: np.ndarray, likelihood: np.ndarray, p_bound: float, alpha: float, ARdegree: int, MAdegree: int
) -> tuple[np.ndarray, np.ndarray]:
    """One coordinate's SARIMAX fit: :func:`deeplabcut.post_processing.filtering.fit_sarimax`, NaN when unfittable.

    Returns:
        ``(mean, interval)``: the in-sample one-step predictions ``(T,)`` and
        their ``1 - alpha`` confidence interval ``(T, 2)``; all NaN when 10 or
        fewer values have ``likelihood >= p_bound`` (DeepLabCut's rule).
    """
    fitted = filtering.fit_sarimax(values, likelihood, p_bound, alpha, ARdegree, MAdegree)
    if fitted is None:
        return np.full(len(values), np.nan), np.full((len(values), 2), np.nan)
    return fitted


def compute_deviations(
    predictions: pd.DataFrame, p_bound: float, alpha: float, ARdegree: int, MAdegree: int
) -> tuple[np.ndarray, np.ndarray]:
    """Distance of every keypoint from its SARIMAX fit, averaged over keypoints per row.

    Returns:
        ``(distance, outside)``: per row, the mean distance in pixels between
        the prediction and the fit (NaN-skipping), and the mean number of
        coordinates outside the fit's confidence interval.
    """
    x, y, likelihood = _coordinates(predictions)
    distances, outside = [], []
    for keypoint in range(x.shape[1]):
        mean_x, interval_x = fit_sarimax(x[:, keypoint], likelihood[:, keypoint], p_bound, alpha, ARdegree, MAdegree)
        mean_y, interval_y = fit_sarimax(y[:, keypoint], likelihood[:, keypoint], p_bound, alpha, ARdegree, MAdegree)
        distances.append(np.sqrt((x[:, keypoint] - mean_x) ** 2 + (y[:, keypoint] - mean_y) ** 2))
        with np.errstate(invalid="ignore"):
            outside.append(
                (x[:, keypoint] < interval_x[:, 0]).astype(int) + (x[:, keypoint] > interval_x[:, 1])
                + (y[:, keypoint] < interval_y[:, 0]) + (y[:, keypoint] > interval_y[:, 1])
            )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows where every keypoint is missing
        return np.nanmean(np.stack(distances, axis=1), axis=1), np.mean(np.stack(outside, axis=1), axis=1)


def fitting_outliers(
    predictions: pd.DataFrame, epsilon: float, p_bound: float, alpha: float, ARdegree: int, MAdegree: int
) -> np.ndarray:
    """Rows whose keypoints lie on average more than ``epsilon`` pixels from their SARIMAX fit."""
    distance, _ = compute_deviations(predictions, p_bound, alpha, ARdegree, MAdegree)
    with np.errstate(invalid="ignore"):
        return predictions.index.to_numpy()[distance > epsilon]


def find_outliers(
    predictions: pd.DataFrame,
    outlieralgorithm: str,
    epsilon: float = 20,
    p_bound: float = 0.01,
    ARdegree: int = 3,
    MAdegree: int = 1,
    alpha: float = 0.01,
    frames2use: Sequence[int] | None = None,
) -> np.ndarray:
    """Candidate frames of a predictions table (rows already limited to the keypoints and frames to compare).

    Returns:
        Sorted unique frame indices.
    """
    if outlieralgorithm == "jump":
        found = jump_outliers(predictions, epsilon)
    elif outlieralgorithm == "uncertain":
        found = uncertain_outliers(predictions, p_bound)
    elif outlieralgorithm == "fitting":
        found = fitting_outliers(predictions, epsilon, p_bound, alpha, ARdegree, MAdegree)
    elif outlieralgorithm == "list":
        found = _frames_to_use(frames2use)
    else:
        raise ConfigError(_algorithm_message(outlieralgorithm))
    return np.unique(np.asarray(found, dtype=int))


def _frames_to_use(frames2use: Sequence[int] | None) -> np.ndarray:
    if frames2use is None:
        raise ConfigError("outlieralgorithm='list' needs frames2use: the frame indices to extract, e.g. [10, 250, 3000].")
    try:
        frames = np.asarray(list(frames2use), dtype=float)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"frames2use must be a list of frame indices (whole numbers), not {frames2use!r}.") from err
    if frames.size and (np.any(frames != np.round(frames)) or np.any(frames < 0)):
        raise ConfigError(f"frames2use must hold frame indices (whole numbers >= 0), not {list(frames2use)}.")
    return frames.astype(int)


def _algorithm_message(outlieralgorithm: str) -> str:
    if outlieralgorithm == "manual":
        return (
            "outlieralgorithm='manual' (choosing frames in DeepLabCut's GUI) is not available; use 'jump', "
            "'fitting', 'uncertain', or 'list' with frames2use=[...]."
        )
    return f"outlieralgorithm must be one of {list(OUTLIER_ALGORITHMS)}, not {outlieralgorithm!r}."


# -- one video -----------------------------------------------------------------------


@dataclass
class OutlierCandidates:
    """What :func:`extract_outlier_frames` found in one video before it writes anything.

    Attributes:
        video: the video file.
        analysis_file: the predictions it read.
        predictions: the whole table (every keypoint, rows = frames, full-frame pixels).
        found: the frames the outlier algorithm flagged.
        candidates: ``found`` less the frames already in ``labeled-data/<video>/``.
    """

    video: Path
    analysis_file: Path
    predictions: pd.DataFrame
    found: np.ndarray
    candidates: np.ndarray


def comparison_bodyparts(cfg: dict[str, Any], comparisonbodyparts: str | Sequence[str]) -> list[str]:
    """The config's bodyparts (multi-animal: and unique bodyparts) named by ``comparisonbodyparts`` ("all" or a list)."""
    every = get_bodyparts(cfg) + (get_unique_bodyparts(cfg) if is_multianimal(cfg) else [])
    if isinstance(comparisonbodyparts, str) and comparisonbodyparts == "all":
        return every
    wanted = [comparisonbodyparts] if isinstance(comparisonbodyparts, str) else list(comparisonbodyparts)
    chosen = [bodypart for bodypart in every if bodypart in wanted]
    if not chosen:
        raise ConfigError(
            f"comparisonbodyparts {wanted} names none of the project's bodyparts {every}. "
            "Pass 'all' or some of those names."
        )
    return chosen


def track_method_of(cfg: dict[str, Any], track_method: str) -> str:
    """The tracker whose tracks a multi-animal project's outliers come from ("" for single-animal projects)."""
    if not is_multianimal(cfg):
        return ""
    return get_track_method(cfg, track_method, allowed=tuple(TRACK_METHODS))


def read_predictions(files: AnalysisFiles, track_method: str) -> tuple[Path, pd.DataFrame]:
    """The analysis table of one video, in pixels of the full frame (a cropped analysis is shifted back).

    Raises:
        MissingFileError: the video was not analysed with this model (or not tracked).
    """
    path = files.tracks(track_method) if track_method else files.h5
    if not path.is_file():
        hint = (
            f"Run deeplabcut.analyze_videos (which tracks and stitches multi-animal videos) with the same "
            f"shuffle and snapshot first{', or pass the track_method it used' if track_method else ''}."
        )
        raise MissingFileError(f"No analysis of '{files.video_stem}' at '{path}'. {hint}")
    df = read_tracks_h5(path) if track_method else read_analysis(path)
    df = df.astype("float64")
    if files.meta.is_file():
        meta = read_meta_pickle(files.meta)
        if meta.cropping_parameters is not None:
            x1, _, y1, _ = meta.cropping_parameters
            coords = df.columns.get_level_values("coords")
            df.loc[:, coords == "x"] += x1
            df.loc[:, coords == "y"] += y1
    return path, df


def frames_already_in_folder(folder: Path, scorer: str) -> set[int]:
    """Frame indices whose images (``img<N>.png``, any zero padding) or labels exist in a labeled-data folder."""
    taken: set[int] = set()
    if not folder.is_dir():
        return taken
    names = [path.name for path in folder.iterdir()]
    labels = folder / collected_data_filename(scorer)
    if labels.is_file() or labels.with_suffix(".csv").is_file():
        names += [row[2] for row in three_level_index(read_collected_data(labels).index)]
    for name in names:
        match = _IMAGE_NAME.match(name)
        if match:
            taken.add(int(match.group(1)))
    return taken


def select_from_candidates(
    candidates: np.ndarray,
    count: int,
    extractionalgorithm: str,
    video: Path,
    rng: np.random.Generator,
    cluster_resizewidth: int = 30,
    cluster_color: bool = False,
) -> np.ndarray:
    """At most ``count`` of ``candidates``: a random ``uniform`` draw, or one per ``kmeans`` cluster of their images."""
    candidates = np.unique(candidates)
    if len(candidates) <= count:
        return candidates
    if extractionalgorithm == "uniform":
        return np.sort(rng.permutation(candidates)[:count])
    with VideoReader(video) as reader:
        return select_frames_kmeans(
            reader, int(candidates[0]), int(candidates[-1]) + 1, count, rng,
            resize_width=cluster_resizewidth, color=cluster_color, candidates=candidates,
        )  # fmt: skip


def _draw_predictions(frame: np.ndarray, row: pd.Series, cfg: dict[str, Any]) -> np.ndarray:
    from deeplabcut.visualization.drawing import draw_poses

    values = row.to_numpy(dtype=float).reshape(-1, 3)
    return draw_poses(
        frame, values[None], pcutoff=float(cfg["pcutoff"]), dot_size=float(cfg["dotsize"]) / 2,
        alpha=float(cfg["alphavalue"]), cmap=str(cfg["colormap"]),
    )  # fmt: skip


def write_outlier_frames(
    cfg: dict[str, Any], found: OutlierCandidates, frames: np.ndarray, savelabeled: bool = False
) -> list[Path]:
    """Write the images of ``frames`` and append their predictions to ``machinelabels-iter<N>.h5``.

    Images that exist are never rewritten, and rows already in the machine
    labels file keep their values. Returns the images written.
    """
    stem = found.video.stem
    folder = labeled_data_folder(cfg["project_path"], stem)
    num_frames = len(found.predictions)
    written: list[Path] = []
    kept: list[int] = []
    with VideoReader(found.video) as reader:
        for index, frame, path in write_new_frames(reader, frames, folder, num_frames):
            if savelabeled:
                drawn = _draw_predictions(frame, found.predictions.loc[index], cfg)
                cv2.imwrite(str(path.with_name(path.stem + "labeled.png")), cv2.cvtColor(drawn, cv2.COLOR_RGB2BGR))
            written.append(path)
            kept.append(index)
    if not kept:
        return written
    rows = machine_labels_dataframe(found.predictions, kept, stem, [frame_image_name(i, num_frames) for i in kept])
    machine_file = folder / machine_labels_filename(cfg["iteration"])
    if machine_file.is_file():
        earlier = read_machine_labels(machine_file)
        rows = pd.concat([earlier, rows])
        rows = rows[~rows.index.duplicated(keep="first")]
    write_machine_labels(rows, machine_file, folder / MACHINE_LABELS_CSV_FILENAME)
    return written


# -- the API ----------------------------------------------------------------------------


def extract_outlier_frames(
    config: str | Path,
    videos: list[str | Path] | str | Path,
    videotype: str = "",
    shuffle: int = 1,
    trainingsetindex: int = 0,
    outlieralgorithm: str = "jump",
    frames2use: Sequence[int] | None = None,
    comparisonbodyparts: str | Sequence[str] = "all",
    epsilon: float = 20,
    p_bound: float = 0.01,
    ARdegree: int = 3,
    MAdegree: int = 1,
    alpha: float = 0.01,
    extractionalgorithm: str = "kmeans",
    automatic: bool = False,
    cluster_resizewidth: int = 30,
    cluster_color: bool = False,
    opencv: bool = True,
    savelabeled: bool = False,
    copy_videos: bool = False,
    destfolder: str | Path | None = None,
    modelprefix: str = "",
    track_method: str = "",
    seed: int | None = None,
    **kwargs: Any,
) -> list[Path]:
    """Extract frames where a model's predictions look wrong, with the predictions, for correction.

    Reads each video's analysis by the model that ``shuffle``,
    ``trainingsetindex``, ``modelprefix`` and the snapshot name (as
    ``analyze_videos`` wrote it), finds candidate frames between config.yaml's
    ``start`` and ``stop``, and extracts at most ``numframes2pick`` of them per
    video into ``labeled-data/<video stem>/img<NNN>.png``, with the model's
    predictions in ``machinelabels-iter<N>.h5`` (``N`` = config.yaml's
    ``iteration``). Frames already in that folder are left out of the choice:
    existing images and labels are never overwritten. A video that is not yet
    in config.yaml's ``video_sets`` is added (``copy_videos`` as in
    ``add_new_videos``). Then correct the labels with ``refine_labels`` and
    run ``merge_datasets``.

    Args:
        config: path to the project's ``config.yaml``.
        videos: video files and/or folders of videos (analysed before).
        videotype: extension to pick in folders, e.g. ``".mp4"``.
        shuffle, trainingsetindex, modelprefix: which model's analysis.
        outlieralgorithm: ``"jump"``: some keypoint moved more than ``epsilon``
            pixels since the frame before; ``"uncertain"``: some keypoint's
            likelihood is below ``p_bound``; ``"fitting"``: the keypoints lie on
            average more than ``epsilon`` pixels from an ARMA(``ARdegree``,
            ``MAdegree``) fit of their trajectories (statsmodels' SARIMAX; points
            below ``p_bound`` count as missing); ``"list"``: the frames in
            ``frames2use`` (picked with ``"uniform"``).
        frames2use: frame indices for ``outlieralgorithm="list"``.
        comparisonbodyparts: ``"all"`` or the bodyparts to compare.
        alpha: significance level of the fit's confidence interval (``"fitting"``).
        extractionalgorithm: ``"kmeans"`` (one frame per cluster of similar-looking
            candidates; frames shrunk to ``cluster_resizewidth`` pixels wide, grey
            unless ``cluster_color``) or ``"uniform"`` (a random draw).
        automatic: False asks on the terminal before extracting from each video
            (as DeepLabCut does); True extracts without asking.
        opencv: accepted for compatibility (frames are always read with OpenCV).
        savelabeled: also write ``img<NNN>labeled.png`` with the predictions drawn.
        destfolder: the folder ``analyze_videos`` wrote the analysis to (default:
            beside each video).
        track_method: multi-animal projects: ``"ellipse"`` or ``"box"`` tracks
            (default: config.yaml's ``default_track_method``).
        seed: makes the choice among candidates reproducible.
        **kwargs: ``snapshot_index`` (``snapshotindex``) and ``detector_snapshot_index``
            (``detector_snapshotindex``) name the snapshot, as for ``analyze_videos``;
            ``video_extensions`` is DeepLabCut 3's name of ``videotype``.

    Returns:
        The image files written.

    Raises:
        ConfigError: an argument is not one DeepLabCut accepts.
        MissingFileError: a video, or its analysis, does not exist.
        All before anything is written.
    """
    del opencv
    kwargs = dict(kwargs)
    video_extensions = kwargs.pop("video_extensions", None)  # DeepLabCut 3's name of videotype
    if video_extensions is not None:
        videotype = video_extensions
    if outlieralgorithm not in OUTLIER_ALGORITHMS:
        raise ConfigError(_algorithm_message(outlieralgorithm))
    if extractionalgorithm not in EXTRACTION_ALGORITHMS:
        raise ConfigError(f"extractionalgorithm must be 'kmeans' or 'uniform', not {extractionalgorithm!r}.")
    if outlieralgorithm == "list":
        _frames_to_use(frames2use)
        extractionalgorithm = "uniform"
    snapshots = _snapshot_arguments(kwargs)
    cfg = read_config(config)
    config_path = Path(cfg["project_path"]) / "config.yaml"
    bodyparts = comparison_bodyparts(cfg, comparisonbodyparts)
    method = track_method_of(cfg, track_method)
    scorer = _scorer(config_path, shuffle, trainingsetindex, modelprefix, *snapshots)
    start, stop = float(cfg.get("start", 0)), float(cfg.get("stop", 1))
    if not 0 <= start < stop <= 1:
        raise ConfigError(f"'{config_path}' needs 0 <= start < stop <= 1 (fractions of each video), not start={start}, stop={stop}.")

    found = []
    for video in find_videos(videos, videotype):
        files = AnalysisFiles.of(video, scorer, destfolder)
        analysis_file, predictions = read_predictions(files, method)
        frames = predictions.index[analysed_range(len(predictions), start, stop)]
        compared = predictions.loc[frames, predictions.columns.get_level_values("bodyparts").isin(bodyparts)]
        flagged = find_outliers(compared, outlieralgorithm, epsilon, p_bound, ARdegree, MAdegree, alpha, frames2use)
        if outlieralgorithm == "list":
            flagged = flagged[np.isin(flagged, frames)]
        taken = frames_already_in_folder(labeled_data_folder(cfg["project_path"], video.stem), cfg["scorer"])
        candidates = np.array([index for index in flagged if index not in taken], dtype=int)
        found.append(OutlierCandidates(video, analysis_file, predictions, flagged, candidates))

    rng = np.random.default_rng(seed)
    count = int(cfg.get("numframes2pick", 20))
    written: list[Path] = []
    for video_found in found:
        print(
            f"{video_found.video.name}: method '{outlieralgorithm}' found {len(video_found.found)} putative outlier "
            f"frame(s), {len(video_found.candidates)} of them not in labeled-data yet."
        )
        if not len(video_found.candidates):
            continue
        if not automatic and not _user_agrees(count, len(video_found.candidates), outlieralgorithm):
            print("Nothing extracted from this video; change the parameters and run again.")
            continue
        picked = select_from_candidates(
            video_found.candidates, count, extractionalgorithm, video_found.video, rng, cluster_resizewidth, cluster_color
        )
        new_images = write_outlier_frames(cfg, video_found, picked, savelabeled)
        written.extend(new_images)
        if new_images and video_found.video.stem not in video_stems(cfg):
            add_new_videos(config_path, [video_found.video], copy_videos=copy_videos)
            cfg = read_config(config_path)
        print(
            f"Extracted {len(new_images)} frame(s) into labeled-data/{video_found.video.stem}/ with the model's "
            f"predictions in {machine_labels_filename(cfg['iteration'])}. Correct them with "
            "deeplabcut.refine_labels(config), then run deeplabcut.merge_datasets(config)."
        )
    return written


def _user_agrees(count: int, candidates: int, outlieralgorithm: str) -> bool:
    parameters = {
        "jump": "start, stop, epsilon, comparisonbodyparts",
        "uncertain": "start, stop, p_bound, comparisonbodyparts",
        "fitting": "start, stop, epsilon, ARdegree, MAdegree, alpha, comparisonbodyparts",
        "list": "frames2use",
    }[outlieralgorithm]
    print(f"If that is too many, change the parameters ({parameters}) or use another outlieralgorithm.")
    try:
        answer = input(f"Extract up to {min(count, candidates)} of them (numframes2pick: {count})? yes/no: ")
    except (EOFError, OSError) as err:  # no terminal (a pipe, a batch job, captured output)
        raise ConfigError(
            "extract_outlier_frames asks before extracting, but there is no terminal to answer on; "
            "pass automatic=True to extract without asking."
        ) from err
    return answer.strip().lower() in YES_ANSWERS


def _snapshot_arguments(kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """``(snapshotindex, detector_snapshotindex)`` from DeepLabCut's keyword spellings."""
    kwargs = dict(kwargs)
    snapshot = kwargs.pop("snapshot_index", None)
    snapshot = kwargs.pop("snapshotindex", snapshot)
    detector = kwargs.pop("detector_snapshot_index", None)
    detector = kwargs.pop("detector_snapshotindex", detector)
    if kwargs:
        raise ConfigError(
            f"extract_outlier_frames got unexpected argument(s) {sorted(kwargs)}; besides its own it takes "
            "snapshot_index and detector_snapshot_index."
        )
    return snapshot, detector


def _scorer(config: Path, shuffle: int, trainingsetindex: int, modelprefix: str, snapshotindex: Any, detector_snapshotindex: Any) -> str:
    """The scorer name ``analyze_videos`` gave this model's results (reads the model folder; imports torch)."""
    from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel

    model = TrainedModel.resolve(
        config, shuffle=shuffle, trainingsetindex=trainingsetindex, modelprefix=modelprefix,
        snapshotindex=snapshotindex, detector_snapshotindex=detector_snapshotindex,
    )  # fmt: skip
    return str(model.scorer)
