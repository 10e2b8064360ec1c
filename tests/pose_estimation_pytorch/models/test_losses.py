"""Loss values on hand-made tensors, and how heads and the model aggregate them."""

from __future__ import annotations

import math

import pytest
import torch

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.models.losses import (
    WeightedFocalLoss,
    WeightedHuberLoss,
    WeightedL1Loss,
    WeightedMSELoss,
    WeightedSmoothL1Loss,
)
from deeplabcut.pose_estimation_pytorch.models.registry import LOSSES


def test_weighted_mse_normalisations():
    prediction = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    weight = torch.tensor([[1.0, 0.0], [0.5, 1.0]])
    target = torch.zeros(2, 2)
    # w * d^2 = 1, 0, 4.5, 16
    assert WeightedMSELoss("elements")(prediction, target, weight).item() == pytest.approx(21.5 / 4)
    assert WeightedMSELoss("positive_weights")(prediction, target, weight).item() == pytest.approx(21.5 / 3)


def test_weighted_mse_positive_weight_weights_target_mass():
    prediction = torch.zeros(1, 3)
    target = torch.tensor([[1.0, 0.5, 0.0]])
    weight = torch.ones(1, 3)
    # (1 + 4 t) (p - t)^2 = 5 * 1, 3 * 0.25, 1 * 0
    assert WeightedMSELoss("elements", positive_weight=4)(prediction, target, weight).item() == pytest.approx(5.75 / 3)
    assert WeightedMSELoss("elements")(prediction, target, weight).item() == pytest.approx(1.25 / 3)
    with pytest.raises(ConfigError, match="positive_weight"):
        WeightedMSELoss(positive_weight=-1)


def test_weighted_smooth_l1_with_dekr_beta():
    loss = WeightedSmoothL1Loss(beta=1 / 9)
    prediction = torch.tensor([0.05, 0.5, -1.0])
    weight = torch.tensor([1.0, 2.0, 0.0])
    expected = (0.5 * 0.05**2 * 9 + 2 * (0.5 - 1 / 18)) / 2  # two positive weights
    assert loss(prediction, torch.zeros(3), weight).item() == pytest.approx(expected)


def test_weighted_l1_over_positive_weights():
    value = WeightedL1Loss()(torch.tensor([0.5, -2.0, 7.0]), torch.zeros(3), torch.tensor([1.0, 0.5, 0.0]))
    assert value.item() == pytest.approx((0.5 + 1.0) / 2)
    assert isinstance(LOSSES.build({"type": "WeightedL1Loss"}), WeightedL1Loss)


def test_weighted_huber():
    loss = WeightedHuberLoss(delta=1.0)
    value = loss(torch.tensor([0.5, 2.0, 7.0]), torch.zeros(3), torch.tensor([1.0, 1.0, 0.0]))
    assert value.item() == pytest.approx((0.125 + 1.5) / 2)


def test_focal_loss_cornernet_terms():
    target = torch.tensor([[0.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 0.0]])[None, None]
    logits = torch.zeros_like(target)  # p = 0.5 everywhere
    log2 = math.log(2)
    positive = log2 * 0.5**2
    negatives = 4 * log2 * 0.5**2 * 0.5**4 + 4 * log2 * 0.5**2
    value = WeightedFocalLoss(alpha=2, beta=4)(logits, target, torch.ones_like(target))
    assert value.item() == pytest.approx(positive + negatives, rel=1e-6)


def test_losses_compute_in_float32_from_half_precision():
    prediction = torch.tensor([1.0, 2.0], dtype=torch.bfloat16)
    value = WeightedMSELoss()(prediction, torch.zeros(2, dtype=torch.bfloat16), torch.ones(2))
    assert value.dtype == torch.float32 and value.item() == pytest.approx(2.5)


def test_dlc_loss_names_are_registered_with_dlc_normalisations():
    assert LOSSES.build({"type": "DEKRHeatmapLoss"}).normalize_by == "elements"
    offset = LOSSES.build({"type": "DEKROffsetLoss"})
    assert offset.beta == pytest.approx(1 / 9) and offset.normalize_by == "positive_weights"
    assert LOSSES.build({"type": "WeightedMSECriterion"}).normalize_by == "positive_weights"
    assert LOSSES.build({"type": "WeightedHuberCriterion"}).delta == 1.0
    with pytest.raises(ConfigError, match="unknown loss type 'Nope'"):
        LOSSES.build({"type": "Nope"})
    with pytest.raises(ConfigError, match="normalize_by"):
        LOSSES.build({"type": "WeightedMSELoss", "normalize_by": "sum"})


def test_head_total_is_mean_of_weighted_losses_and_model_total_is_mean_over_heads(tiny_model_config):
    from deeplabcut.pose_estimation_pytorch.models import PoseModel

    model = PoseModel.build(tiny_model_config(num_bodyparts=2, num_unique=1))
    outputs = {
        "bodypart": {"heatmap": torch.zeros(1, 3, 4, 4), "offset": torch.zeros(1, 4, 4, 4)},
        "unique_bodypart": {"heatmap": torch.zeros(1, 1, 9, 9), "locref": torch.zeros(1, 2, 9, 9)},
    }
    targets = {
        "bodypart": {
            "heatmap": torch.ones(1, 3, 4, 4),
            "heatmap_weight": torch.ones(1, 3, 4, 4),
            "offset": torch.ones(1, 4, 4, 4),
            "offset_weight": torch.ones(1, 4, 4, 4),
        },
        "unique_bodypart": {
            "heatmap": torch.ones(1, 1, 9, 9),
            "heatmap_weight": torch.ones(1, 1, 9, 9),
            "locref": torch.full((1, 2, 9, 9), 2.0),
            "locref_weight": torch.ones(1, 2, 9, 9),
        },
    }
    losses = model.get_loss(outputs, targets)
    bodypart_total = (1.0 * 1.0 + 0.03 * (1 - 1 / 18)) / 2
    unique_total = (1.0 * 1.0 + 0.05 * 1.5) / 2
    assert losses["bodypart_heatmap"].item() == pytest.approx(1.0)
    assert losses["bodypart_offset"].item() == pytest.approx(1 - 1 / 18)
    assert losses["bodypart_total_loss"].item() == pytest.approx(bodypart_total)
    assert losses["unique_bodypart_locref"].item() == pytest.approx(1.5)
    assert losses["unique_bodypart_total_loss"].item() == pytest.approx(unique_total)
    assert losses["total_loss"].item() == pytest.approx((bodypart_total + unique_total) / 2)
    assert set(losses) == {
        "bodypart_heatmap",
        "bodypart_offset",
        "bodypart_total_loss",
        "unique_bodypart_heatmap",
        "unique_bodypart_locref",
        "unique_bodypart_total_loss",
        "total_loss",
    }
