"""Weighted losses between head outputs and codec targets.

Every loss is called as ``loss(prediction, target, weight)`` with tensors of
the same shape (the weight broadcastable) and returns a float32 scalar; inputs
are cast to float32 first, so losses are safe under fp16/bf16 autocast.

Normalisation (``normalize_by``):

* ``"elements"``: sum of weighted per-element losses / number of elements (a plain mean);
* ``"positive_weights"``: sum / number of elements with weight > 0 (at least 1).

DeepLabCut's names are registered too: ``DEKRHeatmapLoss`` (MSE, mean over
elements), ``DEKROffsetLoss`` (smooth-L1, beta 1/9), ``WeightedMSECriterion``
and ``WeightedHuberCriterion`` (normalised by the positive weights).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.models.registry import LOSSES

NORMALIZATIONS = ("elements", "positive_weights")


class WeightedLoss(nn.Module):
    """Base class: per-element loss times weight, summed and normalised.

    Args:
        normalize_by: ``"elements"`` or ``"positive_weights"`` (see module docstring).
    """

    def __init__(self, normalize_by: str = "elements") -> None:
        super().__init__()
        if normalize_by not in NORMALIZATIONS:
            raise ConfigError(f"loss normalize_by must be one of {NORMALIZATIONS}, got '{normalize_by}'")
        self.normalize_by = normalize_by

    def elementwise(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Unweighted per-element loss (float32 inputs)."""
        raise NotImplementedError

    def forward(self, prediction: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        prediction, target = prediction.float(), target.float()
        weight = weight.float().expand_as(prediction)
        total = (self.elementwise(prediction, target) * weight).sum()
        if self.normalize_by == "elements":
            return total / prediction.numel()
        return total / (weight > 0).sum().clamp(min=1)


@LOSSES.register("WeightedMSELoss")
class WeightedMSELoss(WeightedLoss):
    """``w * (1 + positive_weight * t) * (p - t)^2``; DEKR's heatmap loss with ``normalize_by="elements"``.

    Args:
        normalize_by: see the module docstring.
        positive_weight: extra weight of target mass (heatmaps: the Gaussians'
            cells count up to ``1 + positive_weight`` times a background cell);
            0, the default, is the plain weighted MSE. On large heatmaps with
            small Gaussians the background dominates the plain MSE, and a model
            whose output is not spatially tied to its input (TokenPose's MLP
            head) can sit at an all-zero heatmap.
    """

    def __init__(self, normalize_by: str = "elements", positive_weight: float = 0.0) -> None:
        super().__init__(normalize_by)
        if positive_weight < 0:
            raise ConfigError(f"WeightedMSELoss positive_weight must be >= 0, got {positive_weight}")
        self.positive_weight = float(positive_weight)

    def elementwise(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        cost = (prediction - target) ** 2
        if self.positive_weight:
            cost = cost * (1 + self.positive_weight * target)
        return cost


@LOSSES.register("WeightedL1Loss")
class WeightedL1Loss(WeightedLoss):
    """``w * |p - t|``; the detector's box size and offset loss.

    Args:
        normalize_by: default ``"positive_weights"``.
    """

    def __init__(self, normalize_by: str = "positive_weights") -> None:
        super().__init__(normalize_by)

    def elementwise(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return (prediction - target).abs()


@LOSSES.register("WeightedSmoothL1Loss")
class WeightedSmoothL1Loss(WeightedLoss):
    """Smooth-L1: ``0.5 d^2 / beta`` if ``|d| < beta`` else ``|d| - beta / 2``; DEKR's offset loss.

    Args:
        beta: transition point (DEKR: 1/9).
        normalize_by: default ``"positive_weights"``.
    """

    def __init__(self, beta: float = 1.0 / 9.0, normalize_by: str = "positive_weights") -> None:
        super().__init__(normalize_by)
        self.beta = float(beta)

    def elementwise(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.smooth_l1_loss(prediction, target, reduction="none", beta=self.beta)


@LOSSES.register("WeightedHuberLoss")
class WeightedHuberLoss(WeightedLoss):
    """Huber: ``0.5 d^2`` if ``|d| < delta`` else ``delta * (|d| - delta / 2)``; for locref.

    Args:
        delta: transition point.
        normalize_by: default ``"positive_weights"``.
    """

    def __init__(self, delta: float = 1.0, normalize_by: str = "positive_weights") -> None:
        super().__init__(normalize_by)
        self.delta = float(delta)

    def elementwise(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.huber_loss(prediction, target, reduction="none", delta=self.delta)


@LOSSES.register("WeightedFocalLoss")
class WeightedFocalLoss(nn.Module):
    """CornerNet-style focal loss on heatmap *logits* (decode with ``apply_sigmoid: true``).

    With ``p = sigmoid(logit)``: positives (the peak cell of each Gaussian,
    i.e. cells where the target is a 3x3 local maximum above 0) cost
    ``-(1-p)^alpha log p``; other cells ``-(1-t)^beta p^alpha log(1-p)``.
    Costs are weighted, summed and divided by the number of weighted positives
    (at least 1).

    Args:
        alpha: focusing exponent.
        beta: down-weighting of negatives near a peak.
    """

    def __init__(self, alpha: float = 2.0, beta: float = 4.0) -> None:
        super().__init__()
        self.alpha = float(alpha)
        self.beta = float(beta)

    def forward(self, prediction: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        logits, target = prediction.float(), target.float()
        weight = weight.float().expand_as(logits)
        flat = target.reshape(-1, 1, *target.shape[-2:])
        local_max = F.max_pool2d(flat, 3, stride=1, padding=1).reshape(target.shape)
        positive = (target >= local_max) & (target > 0)
        probability = logits.sigmoid()
        positive_cost = -F.logsigmoid(logits) * (1 - probability) ** self.alpha
        negative_cost = -F.logsigmoid(-logits) * probability**self.alpha * (1 - target) ** self.beta
        cost = torch.where(positive, positive_cost, negative_cost) * weight
        num_positive = (positive & (weight > 0)).sum().clamp(min=1)
        return cost.sum() / num_positive


@LOSSES.register("DEKRHeatmapLoss")
def dekr_heatmap_loss() -> WeightedMSELoss:
    """DeepLabCut's ``DEKRHeatmapLoss``: weighted MSE, mean over all elements."""
    return WeightedMSELoss(normalize_by="elements")


@LOSSES.register("DEKROffsetLoss")
def dekr_offset_loss(beta: float = 1.0 / 9.0) -> WeightedSmoothL1Loss:
    """DeepLabCut's ``DEKROffsetLoss``: weighted smooth-L1 over the positive weights."""
    return WeightedSmoothL1Loss(beta=beta, normalize_by="positive_weights")


@LOSSES.register("WeightedMSECriterion")
def weighted_mse_criterion() -> WeightedMSELoss:
    """DeepLabCut's ``WeightedMSECriterion``: weighted MSE over the positive weights."""
    return WeightedMSELoss(normalize_by="positive_weights")


@LOSSES.register("WeightedHuberCriterion")
def weighted_huber_criterion() -> WeightedHuberLoss:
    """DeepLabCut's ``WeightedHuberCriterion``: weighted Huber (delta 1) over the positive weights."""
    return WeightedHuberLoss(delta=1.0, normalize_by="positive_weights")
