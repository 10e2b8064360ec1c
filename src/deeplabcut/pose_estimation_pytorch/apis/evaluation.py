"""``evaluate_network``: predict the train and test images, score them, write DeepLabCut's result files.

Top-down models are scored twice: with the boxes their detector finds (the
headline, in DeepLabCut's files) and with boxes around the labeled animals
(the pose model alone); their detector gets box mAP and recall.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from deeplabcut.errors import ConfigError, MissingFileError
from deeplabcut.formats import evaluation_results
from deeplabcut.formats.analysis import predictions_dataframe, write_evaluation_predictions
from deeplabcut.geometry import keypoint_boxes
from deeplabcut.metrics import box_metrics, compute_metrics
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel, snapshot_index_argument
from deeplabcut.pose_estimation_pytorch.apis.utils import get_logger, progress_bar
from deeplabcut.pose_estimation_pytorch.config.schema import check_inference_arguments
from deeplabcut.pose_estimation_pytorch.data import ShuffleData, SplitData, load_image, top_down_bbox_margin
from deeplabcut.pose_estimation_pytorch.inference.runner import PoseInferenceRunner
from deeplabcut.project.config import read_config
from deeplabcut.project.paths import (
    combined_evaluation_file,
    detector_results_filename,
    evaluation_image_filename,
    evaluation_predictions_filename,
    evaluation_results_filename,
    ground_truth_boxes_results_filename,
    keypoint_results_filename,
    labeled_images_folder_name,
)


def evaluate_network(
    config: str | Path,
    shuffles: list[int] | tuple[int, ...] = (1,),
    trainingsetindex: int | str = 0,
    snapshotindex: int | str | None = None,
    plotting: bool | str = False,
    show_errors: bool = True,
    transform: Any = None,
    modelprefix: str = "",
    batch_size: int = 1,
    device: str | None = None,
    comparison_bodyparts: str | list[str] = "all",
    per_keypoint_evaluation: bool = True,
    pcutoff: float | None = None,
    Shuffles: list[int] | None = None,
    shuffle: int | None = None,
    detector_snapshot_index: int | str | None = None,
    snapshot_index: int | str | None = None,
    engine: str | None = None,
) -> pd.DataFrame:
    """Evaluate trained snapshots on their train and test images.

    For every shuffle, training fraction and chosen snapshot: predicts every
    labeled image at its own size, computes the errors, and writes into
    ``evaluation-results-pytorch/iteration-<N>/<Task><date>-trainset<P>shuffle<k>/``
    ``<scorer>.h5`` (predictions), ``<scorer>-results.csv`` (one row: train/test
    ``rmse``, ``rmse_pcutoff``, ``mAP``, ``mAR``) and ``<scorer>-keypoint-results.csv``
    (per-bodypart errors); all rows also go to ``CombinedEvaluation-results.csv``.

    "rmse" keeps DeepLabCut's meaning: the mean Euclidean distance in pixels
    between predicted and labeled keypoints (all keypoints, and with
    ``rmse_pcutoff`` only those predicted with a score >= ``pcutoff``).
    mAP/mAR (object keypoint similarity, COCO-style, x100) are reported for
    multi-animal projects.

    Top-down models (TokenPose) are evaluated as they analyze videos: the
    detector finds the animals, each box is cropped and posed. These
    **detected-box** scores are the headline: they fill ``<scorer>-results.csv``,
    ``<scorer>.h5``, the per-bodypart errors, the plots and the returned rows.
    The pose model alone is also scored on crops around the labeled animals
    (their keypoints plus ``data.bbox_margin`` pixels): the same columns in
    ``<scorer>-gt-boxes-results.csv``. The detector's boxes are scored against
    those boxes: box mAP/mAR over IoU 0.50:0.05:0.95, AP and recall at IoU 0.5,
    keeping ``max_individuals`` boxes per image, in ``<scorer>-detector-results.csv``.
    All three are logged. Without a detector snapshot the labeled animals'
    boxes are the only ones, and they fill ``<scorer>-results.csv``.

    Args:
        config: path to the project's ``config.yaml``.
        shuffles: shuffle indices (``Shuffles=`` and ``shuffle=`` are accepted too).
        trainingsetindex: index into ``TrainingFraction``, or ``"all"``.
        snapshotindex: which snapshot (-1: the last, i.e. the best one if it
            exists; ``"all"``; an index); ``None`` takes ``snapshotindex`` from config.yaml.
        plotting: draw ground truth and predictions on every image
            (``True``/``"bodypart"``: colours by bodypart; ``"individual"``: by animal).
        show_errors: print the results.
        transform: preprocessing of the images, called as ``transform(image=rgb,
            keypoints=...)`` (e.g. an albumentations ``Compose``); it must normalize
            the images as training did. By default ``data.inference`` of
            ``pytorch_config.yaml`` is used, which does. Top-down models apply it to
            each animal's crop (the detector keeps ``detector.data.inference``).
        batch_size: images per forward pass.
        device: ``"cpu"``, ``"cuda"``, ... (default: the config's ``device``).
        comparison_bodyparts: bodyparts that enter the scores (default all).
        per_keypoint_evaluation: write the per-bodypart errors file.
        pcutoff: score threshold for ``rmse_pcutoff`` (default: config.yaml's ``pcutoff``).
        detector_snapshot_index: top-down models: which ``snapshot-detector-*.pt``
            (default: config.yaml's ``detector_snapshotindex``; -1 = best/last).
        engine: what runs the network: ``auto``, ``torch``, ``openvino`` or ``onnxruntime``
            (default: ``inference.engine`` of ``pytorch_config.yaml``, else ``auto``: PyTorch
            where it runs in bf16, else OpenVINO on the CPU).

    Returns:
        One row per evaluated snapshot, DeepLabCut's columns (top-down: detected boxes).
    """
    snapshotindex = snapshot_index_argument(snapshotindex, snapshot_index)
    if Shuffles is not None:
        shuffles = Shuffles
    if shuffle is not None:
        shuffles = [shuffle]
    if isinstance(shuffles, int):
        shuffles = [shuffles]
    if plotting not in (False, True, "bodypart", "individual"):
        raise ConfigError(f"plotting must be True, False, 'bodypart' or 'individual', not {plotting!r}.")
    check_inference_arguments("evaluate_network", batch_size, device, engine)
    log = get_logger()
    cfg = read_config(config)
    fractions = range(len(cfg["TrainingFraction"])) if trainingsetindex == "all" else [int(trainingsetindex)]
    rows = []
    many = len(list(shuffles)) * len(fractions) > 1
    for shuffle_index in shuffles:
        for fraction_index in fractions:
            try:
                model = TrainedModel.resolve(
                    config, shuffle_index, fraction_index, modelprefix, snapshotindex, select="all", cfg=cfg,
                    detector_snapshotindex=detector_snapshot_index, require_detector=False,
                )
            except MissingFileError as err:
                if not many:
                    raise
                fraction = float(cfg["TrainingFraction"][fraction_index])
                log.info("Skipping shuffle %s, training fraction %s: %s", shuffle_index, fraction, err)
                continue
            for snapshot in model.snapshots:
                row = _evaluate_snapshot(
                    model.with_snapshot(snapshot), plotting, batch_size, device, comparison_bodyparts,
                    per_keypoint_evaluation, pcutoff, transform, show_errors, engine,
                )
                rows.append(row)
    if not rows:
        raise MissingFileError(f"Nothing to evaluate: none of shuffles {list(shuffles)} has a trained snapshot.")
    results = pd.concat(rows)
    _update_combined(cfg, modelprefix, results)
    return results


def _evaluate_snapshot(
    model: TrainedModel,
    plotting: bool | str,
    batch_size: int,
    device: str | None,
    comparison_bodyparts: str | list[str],
    per_keypoint_evaluation: bool,
    pcutoff: float | None,
    transform: Any,
    show_errors: bool = True,
    engine: str | None = None,
) -> pd.DataFrame:
    project, snapshot, scorer = model.shuffle, model.snapshot, model.scorer
    log = get_logger()
    runner = model.runner(device, batch_size=batch_size, transform=transform, engine=engine)
    pcutoff = float(project.cfg.get("pcutoff", 0.6) if pcutoff is None else pcutoff)
    keep = _comparison_indices(project, comparison_bodyparts)
    margin = top_down_bbox_margin(model.pytorch_config)
    detector = model.detector_snapshot
    weights = snapshot.path.name if detector is None else f"{snapshot.path.name} + {detector.path.name}"

    # Bottom-up, and top-down with a detector: what analyze_videos would find (the headline).
    detected = None if model.top_down and detector is None else _predict(runner, project, weights)
    # Top-down: the pose model alone, in crops around the labeled animals.
    on_labeled_boxes = _predict(runner, project, "on labeled boxes", margin) if model.top_down else None
    headline = detected if detected is not None else on_labeled_boxes
    scores = _pose_scores(project, headline, keep, pcutoff)

    folder = project.evaluation_folder
    folder.mkdir(parents=True, exist_ok=True)
    table = functools.partial(evaluation_results.results_table, project.train_fraction, project.shuffle, snapshot.epoch, pcutoff)
    _write_predictions(project, scorer, headline.poses, headline.unique, folder / evaluation_predictions_filename(scorer))
    results = table(scores, detector_epochs=model.detector_epochs)
    evaluation_results.write_table(results, folder / evaluation_results_filename(scorer))
    if show_errors:
        log.info(_format_row(results, "with detected boxes" if model.top_down and detected is not None else ""))
    if model.top_down and detected is not None:
        on_labeled = table(_pose_scores(project, on_labeled_boxes, keep, pcutoff), detector_epochs=model.detector_epochs)
        evaluation_results.write_table(on_labeled, folder / ground_truth_boxes_results_filename(scorer))
        boxes = evaluation_results.detector_table(
            project.train_fraction, project.shuffle, snapshot.epoch, pcutoff,
            _detector_scores(project, detected, margin), model.detector_epochs,
        )
        evaluation_results.write_table(boxes, folder / detector_results_filename(scorer))
        if show_errors:
            log.info("  " + _format_row(on_labeled, f"with labeled boxes (+{margin:g} px)"))
            log.info("  " + _format_detector_row(boxes, len(project.individuals)))
    elif model.top_down:
        log.info(
            "  (no detector snapshot: the poses were predicted in crops around the labeled animals; "
            "train the detector to score the whole top-down model)"
        )
    if per_keypoint_evaluation:
        names = [project.bodyparts[i] for i in keep] + project.unique_bodyparts
        per_keypoint = evaluation_results.keypoint_table(names, _per_bodypart(scores["train"]), _per_bodypart(scores["test"]))
        evaluation_results.write_table(per_keypoint, folder / keypoint_results_filename(scorer))
    if plotting:
        mode = "individual" if plotting == "individual" else "bodypart"
        _plot(project, scorer, headline, folder, pcutoff, mode)
    return results


@dataclass
class _Predictions:
    """One prediction per labeled image (rows as in the merged labels), in image pixels.

    Attributes:
        poses: ``(images, individuals, bodyparts, 3)``; unique: ``(images, unique bodyparts, 3)``.
        bboxes: ``(images, individuals, 4)`` ``[x1, y1, x2, y2]`` the boxes cropped (top-down), -1 rows for none.
        bbox_scores: ``(images, individuals)``.
        has_boxes: the model returned boxes (top-down).
    """

    poses: np.ndarray
    unique: np.ndarray
    bboxes: np.ndarray
    bbox_scores: np.ndarray
    has_boxes: bool = False

    @classmethod
    def empty(cls, project: ShuffleData) -> _Predictions:
        images, animals = len(project.labels), len(project.individuals)
        return cls(
            np.full((images, animals, len(project.bodyparts), 3), np.nan),
            np.full((images, len(project.unique_bodyparts), 3), np.nan),
            np.full((images, animals, 4), -1.0),
            np.full((images, animals), -1.0),
        )


def _predict(runner: PoseInferenceRunner, project: ShuffleData, what: str, box_margin: float | None = None) -> _Predictions:
    """Predict every labeled image, split by split; with ``box_margin``, in crops of the labeled animals' boxes."""
    predictions = _Predictions.empty(project)
    for split in ("train", "test"):
        data = project.split(split)
        images = (load_image(path) for path in data.image_paths)
        if box_margin is None:
            found = runner.predict(images)
        else:
            found = runner.predict(images, boxes=_ground_truth_boxes(data, box_margin))
        bar = progress_bar(len(data), f"Evaluating {split} images ({what})", unit="img", leave=False)
        for row, prediction in zip(data.indices, found):
            predictions.poses[row] = prediction["bodyparts"]
            if project.unique_bodyparts:
                predictions.unique[row] = prediction["unique_bodyparts"]
            if "bboxes" in prediction:
                predictions.bboxes[row] = prediction["bboxes"]
                predictions.bbox_scores[row] = prediction["bbox_scores"]
                predictions.has_boxes = True
            bar.update(1)
        bar.close()
    return predictions


def _pose_scores(project: ShuffleData, predictions: _Predictions, keep: list[int], pcutoff: float) -> dict[str, dict[str, Any]]:
    """DeepLabCut's pose scores (rmse, rmse_pcutoff, mAP, mAR...) of each split."""
    scores = {}
    for split in ("train", "test"):
        data = project.split(split)
        scores[split] = compute_metrics(
            list(data.keypoints[:, :, keep]),
            list(predictions.poses[data.indices][:, :, keep]),
            single_animal=not project.multianimal,
            pcutoff=pcutoff,
            unique_ground_truth=list(data.unique_keypoints) if project.unique_bodyparts else None,
            unique_predictions=list(predictions.unique[data.indices]) if project.unique_bodyparts else None,
        )
    return scores


def _detector_scores(project: ShuffleData, detected: _Predictions, margin: float) -> dict[str, dict[str, float]]:
    """Box mAP/recall of each split: the detected boxes against the labeled animals' boxes."""
    scores = {}
    for split in ("train", "test"):
        data = project.split(split)
        scores[split] = box_metrics(
            _ground_truth_boxes(data, margin),
            list(detected.bboxes[data.indices]),
            list(detected.bbox_scores[data.indices]),
            max_detections=len(project.individuals),
        )
    return scores


def _ground_truth_boxes(data: SplitData, margin: float) -> list[np.ndarray]:
    """Per image, ``(individuals, 4)`` boxes around each labeled animal's keypoints (+ ``margin``), clipped to the image.

    Animals without a labeled keypoint get NaN rows (no crop, no ground-truth box).
    """
    boxes = []
    for path, keypoints in zip(data.image_paths, data.keypoints):
        height, width = _image_size(path)
        boxes.append(keypoint_boxes(keypoints, margin, image_size=(width, height)))
    return boxes


def _image_size(path: Path) -> tuple[int, int]:
    """``(height, width)`` of an image file, from its header."""
    with Image.open(path) as image:
        return image.height, image.width


def _per_bodypart(scores: dict[str, Any]) -> np.ndarray:
    """Per-bodypart errors, then per unique bodypart."""
    return np.concatenate([scores["rmse_per_bodypart"], scores.get("rmse_per_unique_bodypart", np.zeros(0))])


def _comparison_indices(project: ShuffleData, comparison_bodyparts: str | list[str]) -> list[int]:
    if comparison_bodyparts in (None, "all"):
        return list(range(len(project.bodyparts)))
    names = [comparison_bodyparts] if isinstance(comparison_bodyparts, str) else list(comparison_bodyparts)
    unknown = [name for name in names if name not in project.bodyparts]
    if unknown:
        raise ConfigError(f"comparison_bodyparts {unknown} are not bodyparts of this project ({project.bodyparts}).")
    return [project.bodyparts.index(name) for name in names]


def _write_predictions(project: ShuffleData, scorer: str, predictions, unique_predictions, path: Path) -> None:
    """``<scorer>.h5``: every labeled image's prediction, rows as in the merged labels, 4-level columns."""
    df = predictions_dataframe(
        scorer,
        project.bodyparts,
        predictions,
        project.individuals,
        project.unique_bodyparts,
        unique_predictions,
        index=project.dataframe().index,
    )
    write_evaluation_predictions(df, path)


def _plot(project: ShuffleData, scorer: str, predictions: _Predictions, folder: Path, pcutoff: float, mode: str) -> None:
    """``LabeledImages_<scorer>/Training-<video>-<img>.png`` and ``Test-...``: labels "+", predictions dots/"x",
    top-down models' detected boxes."""
    from deeplabcut.visualization import LabeledFramePlotter, with_unique_row

    out = folder / labeled_images_folder_name(scorer)
    out.mkdir(parents=True, exist_ok=True)
    labels = project.labels
    names = project.bodyparts + project.unique_bodyparts
    individuals = project.individuals + (["single"] if project.unique_bodyparts else [])
    plotter = LabeledFramePlotter()
    for split in ("train", "test"):
        data = project.split(split)
        bar = progress_bar(len(data), f"Plotting {split} images", unit="img", leave=False)
        for row, path in zip(data.indices, data.image_paths):
            truth = labels.keypoints[row]
            predicted = predictions.poses[row]
            if project.unique_bodyparts:
                truth = with_unique_row(truth, labels.unique_keypoints[row])
                predicted = with_unique_row(predicted, predictions.unique[row])
            plotter.plot(
                load_image(path),
                ground_truth=truth,
                predictions=predicted,
                bodyparts=names,
                pcutoff=pcutoff,
                mode=mode,
                output_path=out / evaluation_image_filename(split, path),
                individuals=individuals,
                cmap=project.cfg.get("colormap", "rainbow"),
                dot_size=project.cfg.get("dotsize", 12),
                alpha=project.cfg.get("alphavalue", 0.7),
                bboxes=predictions.bboxes[row] if predictions.has_boxes else None,
                bbox_scores=predictions.bbox_scores[row] if predictions.has_boxes else None,
            )
            bar.update(1)
        bar.close()


def _update_combined(cfg: dict[str, Any], modelprefix: str, results: pd.DataFrame) -> None:
    evaluation_results.update_combined(Path(cfg["project_path"]) / combined_evaluation_file(cfg, modelprefix), results)


def _format_row(row: pd.DataFrame, boxes: str = "") -> str:
    (fraction, shuffle, epochs, detector_epochs, pcutoff), values = next(iter(row.iterrows()))
    text = f"Shuffle {shuffle}, trainset {int(100 * fraction)}%, snapshot epoch {epochs}"
    if detector_epochs >= 0:
        text += f", detector epoch {detector_epochs}"
    text += f" {boxes}: " if boxes else ": "
    text += f"train rmse {values['train rmse']:.2f} px, test rmse {values['test rmse']:.2f} px "
    text += f"(with p > {pcutoff}: {values['train rmse_pcutoff']:.2f} / {values['test rmse_pcutoff']:.2f} px)"
    if not np.isnan(values["test mAP"]):
        text += f", test mAP {values['test mAP']:.1f}, mAR {values['test mAR']:.1f}"
    return text


def _format_detector_row(row: pd.DataFrame, max_individuals: int) -> str:
    values = row.iloc[0]
    return (
        f"detector (up to {max_individuals} boxes per image): "
        f"train mAP@50:95 {values['train mAP@50:95']:.1f}, recall@50 {values['train recall@50']:.1f}; "
        f"test mAP@50:95 {values['test mAP@50:95']:.1f}, recall@50 {values['test recall@50']:.1f}"
    )
