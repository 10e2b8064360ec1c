"""``analyze_videos``: stream videos through a trained model into DeepLabCut's output files.

Per video ``<stem>.<ext>`` and scorer ``DLC_...``, next to the video (or in
``destfolder``):

* single-animal projects: ``<stem><scorer>.h5`` (key ``df_with_missing``,
  ``format="table"``, columns ``scorer/bodyparts/coords`` with x, y,
  likelihood, index ``0..nframes-1``) and optionally ``.csv``;
* multi-animal projects: ``<stem><scorer>_full.pickle`` (per-frame candidates,
  and for top-down models each frame's ``bboxes``/``bbox_scores``),
  ``_assemblies.pickle`` (per-frame animals), ``_meta.pickle``; with
  ``save_as_df`` also ``<stem><scorer>.h5`` (4-level columns); with
  ``auto_track`` the tracklets (``_el.pickle``) and tracks (``_el.h5``).

Bottom-up and top-down models write the same files: the runner
(:meth:`TrainedModel.runner`) hides whether the poses came from whole frames
or from crops around the animals a detector found.

Frames are decoded in a background thread while the model runs, predictions
are kept in NumPy arrays (a few bytes per keypoint), and the pickles are
written as streams, so host memory stays flat with video length. Every file is
written under a temporary name and renamed.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from deeplabcut.errors import ConfigError, InUseError
from deeplabcut.formats.analysis import predictions_dataframe, write_analysis
from deeplabcut.formats.video_pickles import (
    VideoAnalysisMetadata,
    write_assemblies_pickle,
    write_full_pickle,
    write_meta_pickle,
)
from deeplabcut.pose_estimation_pytorch.apis.sharding import resolve_shard, shard_videos, videos_status
from deeplabcut.pose_estimation_pytorch.apis.tracklets import _inference_cfg, _num_frames, stitch_videos, track_videos
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel, snapshot_index_argument
from deeplabcut.pose_estimation_pytorch.apis.utils import get_logger, progress_bar
from deeplabcut.pose_estimation_pytorch.config.schema import BATCH_SIZE, check_inference_arguments, check_value
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.inference.runner import PoseInferenceRunner
from deeplabcut.project.config import parse_crop
from deeplabcut.project.create import find_videos
from deeplabcut.project.paths import TRACK_METHODS, AnalysisFiles
from deeplabcut.utils.atomic import remove_leftover_temporary_files, write_text_atomic
from deeplabcut.utils.locks import FileLock
from deeplabcut.video import TruncatedVideoError, VideoReader


@dataclass
class VideoPredictions:
    """Predictions of one video, in pixels of the analyzed (cropped, if cropping) frame.

    Attributes:
        bodyparts: ``(frames, max_individuals, K, 3)`` x, y, score; -1 where nothing was found.
        unique_bodyparts: ``(frames, U, 3)``.
        num_frames: frames actually analysed (fewer than declared if the video broke).
        fps: the video's frame rate.
        frame_dimensions: ``(width, height)`` of the analyzed (cropped, if cropping) frames, pixels.
        bboxes: top-down models: ``(frames, max_individuals, 4)`` ``[x1, y1, x2, y2]``
            boxes the detector found (-1 rows for none); None for bottom-up models.
        bbox_scores: ``(frames, max_individuals)``, with ``bboxes``.
        incomplete: why fewer frames than the video declares were analyzed ("" when all were).
    """

    bodyparts: np.ndarray
    unique_bodyparts: np.ndarray
    num_frames: int
    fps: float
    frame_dimensions: tuple[int, int]
    bboxes: np.ndarray | None = None
    bbox_scores: np.ndarray | None = None
    incomplete: str = ""


def analyze_videos(
    config: str | Path,
    videos: list[str | Path] | str | Path,
    videotype: str = "",
    shuffle: int = 1,
    trainingsetindex: int = 0,
    snapshotindex: int | str | None = None,
    device: str | None = None,
    destfolder: str | Path | None = None,
    batch_size: int | None = None,
    save_as_csv: bool = False,
    auto_track: bool = True,
    n_tracks: int | None = None,
    overwrite: bool = False,
    modelprefix: str = "",
    cropping: list[int] | None = None,
    save_as_df: bool = False,
    robust_nframes: bool = False,
    video_extensions: str | None = None,
    track_method: str = "",
    detector_snapshot_index: int | str | None = None,
    shard: str | None = None,
    engine: str | None = None,
    **kwargs: Any,
) -> str:
    """Analyze videos with a trained shuffle and write DeepLabCut's result files.

    Top-down models (TokenPose) run their detector on each batch of frames,
    crop every animal it finds (at most ``max_individuals`` per frame) and
    predict all crops of the batch together; the files are the same as for
    bottom-up models, and ``_full.pickle`` also holds each frame's boxes.

    Args:
        config: path to the project's ``config.yaml``.
        videos: video files and/or folders of videos.
        videotype: extension to pick in folders (e.g. ``".mp4"``; ``video_extensions`` is an alias).
        shuffle, trainingsetindex, modelprefix: which model folder.
        snapshotindex: which snapshot (default: config.yaml's ``snapshotindex``; -1 = best/last).
        device: ``"cpu"``, ``"cuda"``, ... (default: the pytorch config's ``device``, ``auto``).
        destfolder: where outputs go (default: beside each video).
        batch_size: frames per forward pass (default: config.yaml's ``batch_size``).
        save_as_csv: also write ``.csv`` twins.
        auto_track: multi-animal projects: run ``convert_detections2tracklets`` and
            ``stitch_tracklets`` afterwards.
        n_tracks: number of animals to stitch (default: the config's individuals).
        overwrite: analyze again even if the result file exists.
        cropping: ``[x1, x2, y1, y2]`` to analyze only that region (default: config.yaml's
            ``cropping``/``x1..y2`` when ``cropping: true``). As in DeepLabCut, output
            coordinates are then relative to the crop's top-left corner, and ``_meta.pickle``
            records the crop (``create_labeled_video`` shifts the points back).
        save_as_df: multi-animal projects: also write the untracked ``<stem><scorer>.h5``.
        robust_nframes: count frames by decoding instead of trusting the container.
        track_method: ``ellipse`` (default from config.yaml) or ``box``.
        detector_snapshot_index: top-down models: which ``snapshot-detector-*.pt``
            (default: config.yaml's ``detector_snapshotindex``; -1 = best/last).
        shard: analyze only this worker's share of the videos: ``"i/N"`` (worker
            ``i`` of ``N``, from 0), ``"torchrun"``, ``"slurm"`` (a job array) or
            ``"auto"``; under torchrun with several processes the default is the
            process's rank. Each worker takes every N-th video of the sorted
            absolute paths, so the workers split the set without talking to each
            other, and logs how far the whole set is at the end (see
            ``apis/sharding.py`` and ``docs/clusters.md``).
        engine: what runs the network: ``auto``, ``torch``, ``openvino`` or ``onnxruntime``
            (default: ``inference.engine`` of ``pytorch_config.yaml``, else ``auto``: PyTorch
            where it runs in bf16 (GPUs, native-bf16 CPUs), else OpenVINO on the CPU). DeepLabCut's ``use_openvino="CPU"``
            means ``engine="openvino"``.

    Returns:
        The scorer name (``DLC_<Net>_<Task><date>shuffle<k>_snapshot_<epoch>``; top-down:
        ``..._detector_<epoch>_snapshot_<epoch>``).
    """
    snapshotindex = snapshot_index_argument(snapshotindex, kwargs.pop("snapshot_index", None))
    detector_snapshot_index = snapshot_index_argument(detector_snapshot_index, kwargs.pop("detector_snapshotindex", None))
    engine = _openvino_argument(engine, kwargs.pop("use_openvino", None))
    _check_compat_arguments(kwargs)
    check_inference_arguments("analyze_videos", batch_size, device, engine)
    log = get_logger()
    model = TrainedModel.resolve(
        config, shuffle, trainingsetindex, modelprefix, snapshotindex, detector_snapshotindex=detector_snapshot_index
    )
    project, snapshot, scorer, pose_cfg = model.shuffle, model.snapshot, model.scorer, model.pytorch_config
    all_videos = find_videos(videos, video_extensions or videotype)
    worker = resolve_shard(shard)
    video_files = shard_videos(all_videos, worker) if worker.count > 1 else all_videos
    torch_device = model.device(device)
    if batch_size is None:  # config.yaml's batch_size, checked like the argument
        batch_size = check_value(project.cfg.get("batch_size", 8), "batch_size", BATCH_SIZE, f"'{project.config_path}'")
    runner = model.runner(device, batch_size=batch_size, engine=engine)
    crop = _cropping(project.cfg, cropping)
    weights = snapshot.path.name
    if model.detector_snapshot is not None:
        weights += f" + {model.detector_snapshot.path.name}"
    log.info("Analyzing %d video(s) with %s (%s) on %s", len(video_files), scorer, weights, torch_device)
    if worker.count > 1:
        log.info("Worker %s (%s): %d of the %d video(s)", worker, worker.source, len(video_files), len(all_videos))
    inference_cfg = None  # test/inference_cfg.yaml, read when the first video is tracked
    for video in video_files:
        files = AnalysisFiles.of(video, scorer, destfolder)
        lock = _video_lock(files, video)
        try:
            lock.acquire()  # one analyze_videos per video and model; the others go on to the next video
        except InUseError as err:
            log.warning("%s Skipped %s.", err, video.name)
            continue
        except OSError as err:  # a folder we may not write to (finished results on a read-only share)
            log.warning("%s: no lock file can be made beside its results (%s); going on without one.", video.name, err)
        try:
            _remove_litter(files, log)
            result = files.full if project.multianimal else files.h5
            num_frames = None
            unfinished = _unfinished_analysis(files)
            if unfinished is None and files.meta.exists() and result.exists() and not overwrite:
                log.info("%s was already analyzed (%s); pass overwrite=True to analyze it again.", video.name, result.name)
            else:
                if unfinished is not None:
                    log.warning("%s: %s; analyzing it again.", video.name, unfinished)
                files.folder.mkdir(parents=True, exist_ok=True)
                started = time.perf_counter()
                predictions = predict_video(runner, video, crop, robust_nframes, log)
                seconds = time.perf_counter() - started
                num_frames = predictions.num_frames
                _mark_unfinished(files, "writing", "writing its result files was interrupted")  # until all are written
                _write_outputs(project, pose_cfg, scorer, video, files, predictions, crop, batch_size, seconds, save_as_csv, save_as_df)
                if predictions.incomplete:
                    _mark_unfinished(files, "partial", predictions.incomplete, predictions.num_frames)
                    log.warning(
                        "%s: the result covers only its first %d frames (%s); marked partial in %s, and a rerun "
                        "analyzes it again.", video.name, predictions.num_frames, predictions.incomplete, files.partial.name,
                    )  # fmt: skip
                else:
                    files.partial.unlink(missing_ok=True)
                log.info(
                    "%s: %d frames in %.1f s (%.1f frames/s) -> %s",
                    video.name,
                    predictions.num_frames,
                    seconds,
                    predictions.num_frames / max(seconds, 1e-9),
                    result,
                )
            if project.multianimal and auto_track:
                if inference_cfg is None:
                    inference_cfg = _inference_cfg(project, None)
                frame_counts = {video: _num_frames(files, num_frames)}
                track_videos(
                    model, [video], overwrite=overwrite or num_frames is not None,  # new detections: track again
                    destfolder=destfolder, inferencecfg=inference_cfg,
                    track_method=track_method, frame_counts=frame_counts,
                )
                stitch_videos(
                    model, [video], n_tracks=n_tracks, destfolder=destfolder, track_method=track_method,
                    save_as_csv=save_as_csv, frame_counts=frame_counts,
                )
        finally:
            lock.release()
    if worker.count > 1:
        log.info("Worker %s finished. The whole set: %s", worker, videos_status(model, all_videos, destfolder, auto_track, track_method).summary())
    return scorer


#: DeepLabCut arguments that are accepted and have nothing to do here (``detector_batch_size``:
#: the detector sees the same ``batch_size`` frames as the pose model sees the crops of).
IGNORED_ARGUMENTS = {"in_random_order", "use_shelve", "show_gpu_memory", "detector_batch_size"}
#: DeepLabCut arguments that have no counterpart here, with what to use instead.
REFUSED_ARGUMENTS = {
    "gputouse": "device='cuda:0'",
    "TFGPUinference": "nothing (there is no TensorFlow engine)",
    "allow_growth": "nothing (PyTorch allocates GPU memory as needed)",
    "dynamic": "cropping=[x1, x2, y1, y2] (dynamic cropping is not available)",
    "identity_only": "nothing (no identity heads are trained)",
}


def _openvino_argument(engine: str | None, use_openvino: Any) -> str | None:
    """DeepLabCut's ``use_openvino`` (``"CPU"``; None or False: not asked) as an ``engine``.

    Raises:
        ConfigError: another OpenVINO device, or ``use_openvino`` beside a different ``engine``.
    """
    if use_openvino in (None, False):
        return engine
    if not (use_openvino is True or (isinstance(use_openvino, str) and use_openvino.upper() == "CPU")):
        raise ConfigError(f"analyze_videos(use_openvino={use_openvino!r}): OpenVINO runs on the CPU only here; use engine='openvino'.")
    if engine not in (None, "openvino"):
        raise ConfigError(f"analyze_videos got use_openvino={use_openvino!r} and engine={engine!r}; give engine='openvino' only.")
    return "openvino"


def _check_compat_arguments(kwargs: dict[str, Any]) -> None:
    for name, value in kwargs.items():
        if name in IGNORED_ARGUMENTS:
            continue
        if name in REFUSED_ARGUMENTS:
            if name == "dynamic" and not (value and value[0]):
                continue
            raise ConfigError(f"analyze_videos argument '{name}' is not available here; use {REFUSED_ARGUMENTS[name]}.")
        raise ConfigError(
            f"analyze_videos got an unknown argument '{name}'. See help(analyze_videos) for its arguments."
        )


def _cropping(cfg: dict[str, Any], cropping: list[int] | None) -> tuple[int, int, int, int] | None:
    if cropping is not None:
        return parse_crop(cropping, "analyze_videos(cropping=...)")
    if cfg.get("cropping"):
        return parse_crop([cfg["x1"], cfg["x2"], cfg["y1"], cfg["y2"]], "config.yaml x1, x2, y1, y2")
    return None


def predict_video(
    runner: PoseInferenceRunner,
    video: Path,
    cropping: tuple[int, int, int, int] | None,
    robust_nframes: bool,
    log: Any,
) -> VideoPredictions:
    """Run the model over every frame; a video that breaks mid-way keeps what was analyzed.

    Each batch's results (poses; top-down: boxes) go into preallocated arrays
    of a few bytes per keypoint, so memory stays flat with video length.
    """
    reader = VideoReader(video, cropping=cropping, robust_nframes=robust_nframes)
    fps, frame_dimensions = reader.fps, (reader.width, reader.height)
    capacity = max(reader.num_frames, 1)
    arrays: dict[str, np.ndarray] = {}
    done = 0
    incomplete = ""
    bar = progress_bar(reader.num_frames or None, f"Analyzing {video.name}", unit="frame")
    try:
        for first, frames in reader.iter_batches(runner.batch_size, prefetch=2):
            batch = runner.predict_batch(frames)
            batch.setdefault("unique_bodyparts", np.zeros((len(frames), 0, 3), np.float32))
            end = first + len(frames)
            for key, values in batch.items():
                if key not in arrays:
                    arrays[key] = np.full((capacity, *values.shape[1:]), -1.0, np.float32)
                if end > len(arrays[key]):  # the container under-reported its frame count
                    arrays[key] = _grow(arrays[key], max(end, 2 * len(arrays[key])))
                arrays[key][first:end] = values
            done = end
            bar.update(len(frames))
    except TruncatedVideoError as err:
        log.warning("%s The %d frames analyzed before frame %d are kept.", err, err.frames_read, err.frames_read)
        incomplete = f"decoding stopped at frame {err.frames_read} of {err.expected_frames}"
    finally:
        bar.close()
        reader.close()
    if not arrays:
        raise ConfigError(f"Video '{video}' yielded no frame to analyze.")
    return VideoPredictions(
        bodyparts=arrays["bodyparts"][:done],
        unique_bodyparts=arrays["unique_bodyparts"][:done],
        num_frames=done,
        fps=fps,
        frame_dimensions=frame_dimensions,
        bboxes=arrays["bboxes"][:done] if "bboxes" in arrays else None,
        bbox_scores=arrays["bbox_scores"][:done] if "bbox_scores" in arrays else None,
        incomplete=incomplete,
    )


def _video_lock(files: AnalysisFiles, video: Path) -> FileLock:
    """The lock of one video's analysis with one model (``.<stem><scorer>.lock`` beside its result files)."""
    return FileLock(
        files.lock,
        purpose=f"analyze_videos of {video.name}",
        what=f"The analysis of '{video}' by {files.scorer}",
        advice="Run analyze_videos on this video again once that run has finished.",
    )


def _remove_litter(files: AnalysisFiles, log: Any) -> None:
    """Remove temporary files of this video's analysis files that a killed analysis left (the caller holds
    its lock). Only the files analyze_videos writes: a labeled video being made meanwhile keeps its own."""
    outputs = [files.h5, files.full, files.assemblies, files.meta, files.partial]
    outputs += [path(method) for method in TRACK_METHODS for path in (files.tracklets, files.tracks)]
    targets = {path.name for path in outputs} | {path.name[: -len(".h5")] + ".csv" for path in outputs if path.suffix == ".h5"}
    removed = remove_leftover_temporary_files(files.folder, targets)
    if removed:
        log.info(
            "Removed %d temporary file(s) left in %s by an interrupted analysis: %s.",
            len(removed), files.folder, ", ".join(path.name for path in removed),
        )  # fmt: skip


def _mark_unfinished(files: AnalysisFiles, state: str, reason: str, frames_analyzed: int | None = None) -> None:
    """Write ``<prefix>_partial.json``: ``writing`` before the first result file is written (a process killed
    while writing them leaves it), ``partial`` when the result covers only part of the video. A complete
    analysis removes it. (A process killed while predicting has written nothing: earlier files stay as they were.)"""
    note = {
        "state": state,
        "reason": reason,
        "frames_analyzed": frames_analyzed,
        "since": dt.datetime.now().isoformat(sep=" ", timespec="seconds"),
    }
    write_text_atomic(files.partial, json.dumps(note, indent=1) + "\n")


def _unfinished_analysis(files: AnalysisFiles) -> str | None:
    """Why the existing result files of this video are not a complete analysis, or None when nothing says so."""
    if not files.partial.exists():
        return None
    try:
        note = json.loads(files.partial.read_text(encoding="utf-8"))
        state, reason = note["state"], note["reason"]
    except (OSError, ValueError, TypeError, KeyError):
        return f"{files.partial.name} says its earlier analysis is not complete"
    if state == "partial":
        return f"its earlier analysis is partial ({reason}, {note.get('frames_analyzed')} frames analyzed)"
    return f"writing the result files of its earlier analysis (at {note.get('since')}) was interrupted"


def _grow(array: np.ndarray, length: int) -> np.ndarray:
    grown = np.full((length, *array.shape[1:]), -1.0, array.dtype)
    grown[: len(array)] = array
    return grown


def _write_outputs(
    project: ShuffleData,
    pose_cfg: dict[str, Any],
    scorer: str,
    video: Path,
    files: AnalysisFiles,
    predictions: VideoPredictions,
    cropping: tuple[int, int, int, int] | None,
    batch_size: int,
    seconds: float,
    save_as_csv: bool,
    save_as_df: bool,
) -> None:
    """Write the result files; ``_meta.pickle`` last, as the mark of a complete analysis."""
    if not project.multianimal:
        write_analysis(predictions_dataframe(scorer, project.bodyparts, predictions.bodyparts), files.h5, save_as_csv)
    else:
        joints = project.bodyparts + project.unique_bodyparts
        write_full_pickle(
            files.full, predictions.bodyparts, predictions.unique_bodyparts, joints,
            predictions.bboxes, predictions.bbox_scores,
        )
        write_assemblies_pickle(files.assemblies, predictions.bodyparts, predictions.unique_bodyparts)
        if save_as_df:
            df = predictions_dataframe(
                scorer,
                project.bodyparts,
                predictions.bodyparts,
                project.individuals,
                project.unique_bodyparts,
                predictions.unique_bodyparts,
            )
            write_analysis(df, files.h5, save_as_csv)
    meta = VideoAnalysisMetadata(
        scorer=scorer,
        pytorch_config=pose_cfg,
        fps=predictions.fps,
        batch_size=batch_size,
        frame_dimensions=predictions.frame_dimensions,
        nframes=predictions.num_frames,
        iteration=project.cfg["iteration"],
        train_fraction=project.train_fraction,
        cropping_parameters=list(cropping) if cropping else None,
        individuals=project.individuals,
        bodyparts=project.bodyparts,
        unique_bodyparts=project.unique_bodyparts,
        start=time.time() - seconds,
        stop=time.time(),
        run_duration=seconds,
    )
    write_meta_pickle(files.meta, meta)
