"""Validation metrics computed by the trainer, one pluggable evaluator per kind of model.

The trainer knows nothing about what a model predicts: during a validation
pass it hands every batch and the model's ``predict`` output to each
evaluator, then logs what ``compute`` returns as ``metrics/test.<name>``.
:class:`PoseEvaluator` scores keypoints; a detector gets a box evaluator.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import torch

from deeplabcut.geometry import to_original
from deeplabcut.metrics import compute_metrics


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
    :func:`deeplabcut.geometry.to_original`) before scoring.

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
        self.ground_truth: list[np.ndarray] = []  # per image (A, K, 2), NaN where not visible
        self.predictions: list[np.ndarray] = []  # per image (A, K, 3), -1 rows where nothing was found
        self.unique_truth: list[np.ndarray] = []  # per image (U, 2)
        self.unique_predictions: list[np.ndarray] = []  # per image (U, 3)

    def update(self, batch: dict[str, Any], predictions: dict[str, torch.Tensor]) -> None:
        scale = batch["scale"].float().cpu().numpy()  # (B, 2)
        offset = batch["offset"].float().cpu().numpy()  # (B, 2)
        self.predictions.extend(to_original(predictions["bodyparts"].float().cpu().numpy(), scale, offset))
        truth = to_original(batch["keypoints"].float().cpu().numpy(), scale, offset)
        truth[batch["visibility"].cpu().numpy() <= 0] = np.nan
        self.ground_truth.extend(truth)
        if "unique_bodyparts" in predictions:
            unique = to_original(predictions["unique_bodyparts"].float().cpu().numpy(), scale, offset)  # (B, 1, U, 3)
            self.unique_predictions.extend(unique[:, 0])
            unique_truth = to_original(batch["keypoints_unique"].float().cpu().numpy(), scale, offset)
            unique_truth[batch["visibility_unique"].cpu().numpy() <= 0] = np.nan
            self.unique_truth.extend(unique_truth)

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
