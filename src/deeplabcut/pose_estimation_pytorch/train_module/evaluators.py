"""Validation metrics computed by the trainer, one pluggable evaluator per kind of model.

The trainer knows nothing about what a model predicts: during a validation
pass it hands every batch and the model's ``predict`` output to each
evaluator, then logs what ``compute`` returns as ``metrics/test.<name>``.
:class:`PoseEvaluator` scores keypoints, :class:`BoxEvaluator` a detector's boxes.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import torch

from deeplabcut.geometry import to_original
from deeplabcut.metrics import box_metrics, compute_metrics


class Evaluator(Protocol):
    """Accumulates predictions over a validation pass and turns them into metrics."""

    def reset(self) -> None:
        """Forget the previous pass."""

    def update(self, batch: dict[str, Any], predictions: dict[str, torch.Tensor]) -> None:
        """Add one batch: the collated batch (on the model's device) and ``model.predict(outputs)``."""

    def compute(self) -> dict[str, float]:
        """Metric values by name (``"rmse"``, ``"mAP"``, ...), logged as ``metrics/test.<name>``."""


class PoseEvaluator:
    """rmse, rmse_pcutoff, mAP and mAR of keypoint predictions, in original-image pixels.

    Predictions and labels are mapped from network-input pixels back to the
    original image with each item's ``scale`` and ``offset`` (see
    :func:`deeplabcut.geometry.to_original`) before scoring. Items of the same
    image (the batch key ``index``, the image's row in the labels) are scored
    together as one image, so a top-down model's crops (one animal each) give
    the same metrics as a bottom-up model's whole images.

    Args:
        pcutoff: score threshold of ``rmse_pcutoff``.
        single_animal: match each image's prediction to its one labeled animal (no OKS matching).
    """

    METRICS = ("rmse", "rmse_pcutoff", "mAP", "mAR")

    def __init__(self, pcutoff: float = 0.6, single_animal: bool = False) -> None:
        self.pcutoff = pcutoff
        self.single_animal = single_animal
        self.reset()

    def reset(self) -> None:
        # per image: lists of its items' (A, K, 2) labels (NaN where not visible), (A, K, 3) predictions
        # (-1 rows where nothing was found), and unique bodyparts (U, 2) / (U, 3)
        self._images: dict[Any, dict[str, list[np.ndarray]]] = {}
        self._items = 0

    def _image(self, batch: dict[str, Any], item: int) -> dict[str, list[np.ndarray]]:
        index = batch.get("index")
        key = int(index[item]) if index is not None else ("item", self._items)
        self._items += 1
        return self._images.setdefault(key, {"truth": [], "predictions": [], "unique_truth": [], "unique_predictions": []})

    @property
    def ground_truth(self) -> list[np.ndarray]:
        """Per image ``(A, K, 2)`` labels in original pixels, NaN where not visible."""
        return [np.concatenate(image["truth"]) for image in self._images.values()]

    @property
    def predictions(self) -> list[np.ndarray]:
        """Per image ``(A, K, 3)`` predictions in original pixels."""
        return [np.concatenate(image["predictions"]) for image in self._images.values()]

    @property
    def unique_truth(self) -> list[np.ndarray]:
        return [image["unique_truth"][0] for image in self._images.values() if image["unique_truth"]]

    @property
    def unique_predictions(self) -> list[np.ndarray]:
        return [image["unique_predictions"][0] for image in self._images.values() if image["unique_predictions"]]

    def update(self, batch: dict[str, Any], predictions: dict[str, torch.Tensor]) -> None:
        scale = batch["scale"].float().cpu().numpy()  # (B, 2)
        offset = batch["offset"].float().cpu().numpy()  # (B, 2)
        predicted = to_original(predictions["bodyparts"].float().cpu().numpy(), scale, offset)
        truth = to_original(batch["keypoints"].float().cpu().numpy(), scale, offset)
        truth[batch["visibility"].cpu().numpy() <= 0] = np.nan
        unique = unique_truth = None
        if "unique_bodyparts" in predictions:
            unique = to_original(predictions["unique_bodyparts"].float().cpu().numpy(), scale, offset)[:, 0]  # (B, U, 3)
            unique_truth = to_original(batch["keypoints_unique"].float().cpu().numpy(), scale, offset)
            unique_truth[batch["visibility_unique"].cpu().numpy() <= 0] = np.nan
        for item in range(len(predicted)):
            image = self._image(batch, item)
            image["predictions"].append(predicted[item])
            image["truth"].append(truth[item])
            if unique is not None:
                image["unique_predictions"].append(unique[item])
                image["unique_truth"].append(unique_truth[item])

    def compute(self) -> dict[str, float]:
        metrics = compute_metrics(
            self.ground_truth,
            self.predictions,
            single_animal=self.single_animal,
            pcutoff=self.pcutoff,
            unique_ground_truth=self.unique_truth or None,
            unique_predictions=self.unique_predictions or None,
        )
        return {name: float(metrics[name]) for name in self.METRICS if metrics.get(name) is not None}


class BoxEvaluator:
    """Box mAP@50:95, mAR@50:95, mAP@50 and recall@50 of a detector, in original-image pixels.

    Ground truth is the batch's ``boxes`` ``(B, A, 4)`` (NaN rows: no animal);
    detections are ``predict``'s ``bboxes`` ``(B, N, 4)`` and ``bbox_scores``
    ``(B, N)`` (-1 rows: nothing found). Both are mapped back to the labeled
    image with each item's ``scale``/``offset``, then scored by
    :func:`deeplabcut.metrics.box_metrics`, keeping at most ``max_individuals``
    detections per image (so ``recall@50`` is the recall within ``max_individuals``).

    Args:
        max_individuals: detections kept per image (None: all).
    """

    METRICS = ("mAP@50:95", "mAR@50:95", "mAP@50", "recall@50")

    def __init__(self, max_individuals: int | None = None) -> None:
        self.max_individuals = max_individuals
        self.reset()

    def reset(self) -> None:
        self.ground_truth: list[np.ndarray] = []  # per image (A, 4)
        self.detections: list[np.ndarray] = []  # per image (N, 4)
        self.scores: list[np.ndarray] = []  # per image (N,)

    def update(self, batch: dict[str, Any], predictions: dict[str, torch.Tensor]) -> None:
        scale = np.tile(batch["scale"].double().cpu().numpy(), 2)[:, None]  # (B, 1, 4)
        offset = np.tile(batch["offset"].double().cpu().numpy(), 2)[:, None]
        truth = batch["boxes"].double().cpu().numpy() * scale + offset
        found = predictions["bboxes"].double().cpu().numpy() * scale + offset
        scores = predictions["bbox_scores"].double().cpu().numpy()
        self.ground_truth.extend(truth)
        self.detections.extend(found)
        self.scores.extend(scores)

    def compute(self) -> dict[str, float]:
        metrics = box_metrics(self.ground_truth, self.detections, self.scores, max_detections=self.max_individuals)
        return {name: float(metrics[name]) for name in self.METRICS}
