"""Mixed precision and memory formats: autocast (bf16 on CPU; fp16/bf16 on CUDA) and channels_last."""

from __future__ import annotations

import pytest
import torch

from deeplabcut.pose_estimation_pytorch.models import PoseModel


def _model(tiny_model_config, device: str = "cpu") -> PoseModel:
    torch.manual_seed(0)
    config = tiny_model_config(num_bodyparts=3, max_individuals=2, num_unique=1)
    config["heads"]["bodypart"]["weight_init"] = None  # PyTorch's init: outputs far from zero
    return PoseModel.build(config).to(device).eval()


def _relative_error(actual: dict, expected: dict) -> float:
    worst = 0.0
    for head in expected:
        for name, reference in expected[head].items():
            value = actual[head][name].float().to(reference.device)
            assert torch.isfinite(value).all(), f"{head}.{name} is not finite"
            worst = max(worst, ((value - reference).abs().max() / reference.abs().max()).item())
    return worst


def _batch(device: str = "cpu") -> dict:
    generator = torch.Generator().manual_seed(1)
    return {
        "image": torch.randn(2, 3, 48, 48, generator=generator).to(device),
        "keypoints": (torch.rand(2, 2, 3, 2, generator=generator) * 44).to(device),
        "visibility": torch.ones(2, 2, 3, device=device),
        "keypoints_unique": (torch.rand(2, 1, 2, generator=generator) * 44).to(device),
        "visibility_unique": torch.ones(2, 1, device=device),
    }


def test_cpu_bf16_autocast_is_finite_and_close_to_float32(tiny_model_config):
    model = _model(tiny_model_config)
    batch = _batch()
    with torch.no_grad():
        reference = model(batch["image"])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            features = model.backbone(batch["image"])
            low = model(batch["image"])
            predictions = model.predict(low)
    assert features.dtype == torch.bfloat16  # the backbone runs in bf16 ...
    assert low["bodypart"]["offset"].dtype == torch.float32  # ... the heads in float32
    assert _relative_error(low, reference) < 0.05
    assert predictions["bodyparts"].dtype == torch.float32
    assert predictions["unique_bodyparts"].dtype == torch.float32


def test_cpu_bf16_autocast_training_step(tiny_model_config):
    model = _model(tiny_model_config).train()
    batch = _batch()
    targets = model.get_targets(batch)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        losses = model.get_loss(model(batch["image"]), targets)
    assert losses["total_loss"].dtype == torch.float32
    losses["total_loss"].backward()
    gradient = model.heads["bodypart"].offset_head.offset_feature_layers[0].adapt_conv.weight.grad
    assert gradient is not None and torch.isfinite(gradient).all()


def test_channels_last_matches_contiguous(tiny_model_config):
    model = _model(tiny_model_config)
    images = _batch()["image"]
    with torch.no_grad():
        reference = model(images)
        model = model.to(memory_format=torch.channels_last)
        actual = model(images.to(memory_format=torch.channels_last))
    assert _relative_error(actual, reference) < 1e-4


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("channels_last", [False, True])
def test_cuda_matches_cpu(tiny_model_config, dtype, channels_last):
    reference_model = _model(tiny_model_config)
    batch = _batch()
    with torch.no_grad():
        reference = reference_model(batch["image"])
    model = _model(tiny_model_config, "cuda")
    images = batch["image"].cuda()
    if channels_last:
        model, images = model.to(memory_format=torch.channels_last), images.to(memory_format=torch.channels_last)
    with torch.no_grad(), torch.autocast("cuda", dtype=dtype, enabled=dtype != torch.float32):
        outputs = model(images)
        predictions = model.predict(outputs)
    tolerance = 0.01 if dtype == torch.float32 else 0.05  # cuDNN may use TF32 in float32
    assert _relative_error(outputs, reference) < tolerance
    assert predictions["bodyparts"].dtype == torch.float32
    cuda_batch = {key: value.cuda() for key, value in batch.items()}
    targets = model.train().get_targets(cuda_batch)
    with torch.autocast("cuda", dtype=dtype, enabled=dtype != torch.float32):
        losses = model.get_loss(model(images), targets)
    losses["total_loss"].backward()
    assert losses["total_loss"].dtype == torch.float32 and torch.isfinite(losses["total_loss"])
