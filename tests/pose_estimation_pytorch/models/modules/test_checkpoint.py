"""Gradient checkpointing: the same training step with fewer saved activations."""

from __future__ import annotations

import copy

import pytest
import torch

from conftest import make_tiny_dekr_shuffle
from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.models.modules.checkpoint import (
    activation_bytes_per_image,
    saved_activation_bytes,
)
from deeplabcut.pose_estimation_pytorch.train_module import build_training, builder


def _loss(outputs) -> torch.Tensor:
    return sum(tensor.square().mean() for head in outputs.values() for tensor in head.values())


def _step(model: PoseModel, images: torch.Tensor, bf16: bool = False) -> None:
    model.train()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        outputs = model(images)
    _loss(outputs).backward()


@pytest.mark.parametrize("bf16", [False, True])
def test_a_checkpointed_step_computes_the_same_gradients_and_batch_norm_statistics(dekr_model_config, bf16):
    torch.manual_seed(0)
    plain = PoseModel.build(dekr_model_config(8, num_bodyparts=3))
    recomputing = copy.deepcopy(plain)
    names = recomputing.set_gradient_checkpointing(True)
    assert "backbone.model" in names and any("adapt_conv" in name for name in names)
    images = torch.randn(2, 3, 64, 64)
    _step(plain, images, bf16)
    _step(recomputing, images, bf16)
    for (name, a), b in zip(plain.named_parameters(), recomputing.parameters()):
        assert torch.allclose(a.grad, b.grad, rtol=1e-5, atol=1e-7), name
    # Batch norm updated its running statistics once, as in the plain step (not again
    # while recomputing): same means, variances and batch counts.
    buffers = dict(recomputing.named_buffers())
    for name, buffer in plain.named_buffers():
        assert torch.equal(buffer, buffers[name]), name
    assert int(buffers["backbone.model.bn1.num_batches_tracked"]) == 1


def test_checkpointing_keeps_a_fraction_of_the_activations(dekr_model_config):
    torch.manual_seed(0)
    model = PoseModel.build(dekr_model_config(8, num_bodyparts=3))
    images = torch.randn(2, 3, 96, 96)
    plain = saved_activation_bytes(model, images)
    model.set_gradient_checkpointing(True)
    kept = saved_activation_bytes(model, images)
    assert kept < 0.25 * plain, (kept, plain)
    model.eval()  # inference never recomputes: no graph, nothing to checkpoint
    with torch.no_grad():
        assert set(model(images)) == {"bodypart"}


def test_activation_bytes_per_image_predicts_a_larger_batch(dekr_model_config):
    torch.manual_seed(0)
    model = PoseModel.build(dekr_model_config(8, num_bodyparts=3))
    per_image = activation_bytes_per_image(model, (96, 80), torch.device("cpu"))
    # Measuring left the batch-norm statistics alone.
    assert int(dict(model.named_buffers())["backbone.model.bn1.num_batches_tracked"]) == 0
    constant = saved_activation_bytes(model, torch.randn(1, 3, 96, 80)) - per_image  # weights saved by convs
    assert saved_activation_bytes(model, torch.randn(4, 3, 96, 80)) == pytest.approx(constant + 4 * per_image, rel=0.02)


def test_train_settings_gradient_checkpointing(tmp_path, monkeypatch):
    config = make_tiny_dekr_shuffle(tmp_path, multianimal=False)
    shuffle = ShuffleData(config)
    pose_cfg = read_pytorch_config(shuffle.pose_config_path)
    pose_cfg["device"] = "cpu"
    assert pose_cfg["train_settings"]["gradient_checkpointing"] == "auto"
    # auto: a tiny model on 96x96 images needs a few MB of activations, far below 1/8 of the memory.
    setup = build_training(shuffle, pose_cfg)
    assert setup.gradient_checkpointing == [] and not setup.model.backbone.model.gradient_checkpointing
    # ... and on when the memory available is short.
    monkeypatch.setattr(builder, "available_memory_bytes", lambda: 2**20)
    setup = build_training(shuffle, pose_cfg)
    assert "backbone.model" in setup.gradient_checkpointing and setup.model.backbone.model.gradient_checkpointing
    assert "exceed 1/8 of the 0.0 GiB of memory available" in setup.gradient_checkpointing_reason
    monkeypatch.undo()
    pose_cfg["train_settings"]["gradient_checkpointing"] = True
    assert "backbone.model" in build_training(shuffle, pose_cfg).gradient_checkpointing
    pose_cfg["train_settings"]["gradient_checkpointing"] = False
    monkeypatch.setattr(builder, "available_memory_bytes", lambda: 2**20)
    assert build_training(shuffle, pose_cfg).gradient_checkpointing == []
    pose_cfg["train_settings"]["gradient_checkpointing"] = "sometimes"
    with pytest.raises(ConfigError, match="train_settings.gradient_checkpointing"):
        build_training(shuffle, pose_cfg)
