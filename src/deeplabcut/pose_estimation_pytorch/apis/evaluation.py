"""``evaluate_network``: predict the train and test images, score them, write DeepLabCut's result files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from deeplabcut.errors import ConfigError, MissingFileError
from deeplabcut.formats import evaluation_results
from deeplabcut.formats.analysis import predictions_dataframe, write_evaluation_predictions
from deeplabcut.metrics import compute_metrics
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel
from deeplabcut.pose_estimation_pytorch.apis.utils import get_logger, progress_bar
from deeplabcut.pose_estimation_pytorch.data import ShuffleData, load_image
from deeplabcut.pose_estimation_pytorch.inference.runner import PoseInferenceRunner
from deeplabcut.project.config import read_config
from deeplabcut.project.paths import (
    combined_evaluation_file,
    evaluation_image_filename,
    evaluation_predictions_filename,
    evaluation_results_filename,
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
            ``pytorch_config.yaml`` is used, which does.
        batch_size: images per forward pass.
        device: ``"cpu"``, ``"cuda"``, ... (default: the config's ``device``).
        comparison_bodyparts: bodyparts that enter the scores (default all).
        per_keypoint_evaluation: write the per-bodypart errors file.
        pcutoff: score threshold for ``rmse_pcutoff`` (default: config.yaml's ``pcutoff``).

    Returns:
        One row per evaluated snapshot, DeepLabCut's columns.
    """
    if Shuffles is not None:
        shuffles = Shuffles
    if shuffle is not None:
        shuffles = [shuffle]
    if isinstance(shuffles, int):
        shuffles = [shuffles]
    if plotting not in (False, True, "bodypart", "individual"):
        raise ConfigError(f"plotting must be True, False, 'bodypart' or 'individual', not {plotting!r}.")
    log = get_logger()
    cfg = read_config(config)
    fractions = range(len(cfg["TrainingFraction"])) if trainingsetindex == "all" else [int(trainingsetindex)]
    rows = []
    many = len(list(shuffles)) * len(fractions) > 1
    for shuffle_index in shuffles:
        for fraction_index in fractions:
            try:
                model = TrainedModel.resolve(
                    config, shuffle_index, fraction_index, modelprefix, snapshotindex, select="all", cfg=cfg
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
                    per_keypoint_evaluation, pcutoff, transform,
                )
                rows.append(row)
                if show_errors:
                    log.info(_format_row(row))
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
) -> pd.DataFrame:
    project, snapshot, scorer = model.shuffle, model.snapshot, model.scorer
    runner = PoseInferenceRunner.from_snapshot(
        model.pytorch_config, snapshot.path, model.device(device), batch_size=batch_size, transform=transform
    )
    cfg = project.cfg
    pcutoff = float(cfg.get("pcutoff", 0.6) if pcutoff is None else pcutoff)
    labels = project.labels
    keep = _comparison_indices(project, comparison_bodyparts)

    predictions = np.full((len(labels), len(project.individuals), len(project.bodyparts), 3), np.nan)
    unique_predictions = np.full((len(labels), len(project.unique_bodyparts), 3), np.nan)
    scores: dict[str, dict[str, Any]] = {}
    for split in ("train", "test"):
        data = project.split(split)
        bar = progress_bar(len(data), f"Evaluating {split} images ({snapshot.path.name})", unit="img", leave=False)
        for row, prediction in zip(data.indices, runner.predict(load_image(p) for p in data.image_paths)):
            predictions[row] = prediction["bodyparts"]
            if project.unique_bodyparts:
                unique_predictions[row] = prediction["unique_bodyparts"]
            bar.update(1)
        bar.close()
        scores[split] = compute_metrics(
            list(data.keypoints[:, :, keep]),
            list(predictions[data.indices][:, :, keep]),
            single_animal=not project.multianimal,
            pcutoff=pcutoff,
            unique_ground_truth=list(data.unique_keypoints) if project.unique_bodyparts else None,
            unique_predictions=list(unique_predictions[data.indices]) if project.unique_bodyparts else None,
        )

    folder = project.evaluation_folder
    folder.mkdir(parents=True, exist_ok=True)
    _write_predictions(project, scorer, predictions, unique_predictions, folder / evaluation_predictions_filename(scorer))
    results = evaluation_results.results_table(project.train_fraction, project.shuffle, snapshot.epoch, pcutoff, scores)
    evaluation_results.write_table(results, folder / evaluation_results_filename(scorer))
    if per_keypoint_evaluation:
        names = [project.bodyparts[i] for i in keep] + project.unique_bodyparts
        per_keypoint = evaluation_results.keypoint_table(names, _per_bodypart(scores["train"]), _per_bodypart(scores["test"]))
        evaluation_results.write_table(per_keypoint, folder / keypoint_results_filename(scorer))
    if plotting:
        _plot(project, scorer, predictions, unique_predictions, folder, pcutoff, "individual" if plotting == "individual" else "bodypart")
    return results


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


def _plot(project: ShuffleData, scorer: str, predictions, unique_predictions, folder: Path, pcutoff: float, mode: str) -> None:
    """``LabeledImages_<scorer>/Training-<video>-<img>.png`` and ``Test-...``: labels "+", predictions dots/"x"."""
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
            predicted = predictions[row]
            if project.unique_bodyparts:
                truth = with_unique_row(truth, labels.unique_keypoints[row])
                predicted = with_unique_row(predicted, unique_predictions[row])
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
            )
            bar.update(1)
        bar.close()


def _update_combined(cfg: dict[str, Any], modelprefix: str, results: pd.DataFrame) -> None:
    evaluation_results.update_combined(Path(cfg["project_path"]) / combined_evaluation_file(cfg, modelprefix), results)


def _format_row(row: pd.DataFrame) -> str:
    (fraction, shuffle, epochs, _, pcutoff), values = next(iter(row.iterrows()))
    text = f"Shuffle {shuffle}, trainset {int(100 * fraction)}%, snapshot epoch {epochs}: "
    text += f"train rmse {values['train rmse']:.2f} px, test rmse {values['test rmse']:.2f} px "
    text += f"(with p > {pcutoff}: {values['train rmse_pcutoff']:.2f} / {values['test rmse_pcutoff']:.2f} px)"
    if not np.isnan(values["test mAP"]):
        text += f", test mAP {values['test mAP']:.1f}, mAR {values['test mAR']:.1f}"
    return text
