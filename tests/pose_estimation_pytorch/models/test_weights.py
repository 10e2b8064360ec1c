"""Pretrained backbone weights: files in timm's layout, wrappers, the hub (mocked), and errors."""

from __future__ import annotations

from pathlib import Path

import huggingface_hub
import pytest
import torch
from safetensors.torch import save_file

from conftest import TINY_LAYOUT
from deeplabcut.errors import ModelError
from deeplabcut.pose_estimation_pytorch.data.normalization import IMAGENET
from deeplabcut.pose_estimation_pytorch.models.backbones.hrnet import HRNet, HRNetFeatures

CLASSIFIER_KEYS = {
    "classifier.weight": torch.zeros(1000, 2048),
    "classifier.bias": torch.zeros(1000),
    "incre_modules.0.0.conv1.weight": torch.zeros(32, 8, 1, 1),
    "final_layer.0.weight": torch.zeros(2048, 1024, 1, 1),
}


def imagenet_like_state_dict(width: int = 8, seed: int = 0) -> dict[str, torch.Tensor]:
    """A timm-layout HRNet state dict with distinctive values and classifier keys."""
    torch.manual_seed(seed)
    net = HRNetFeatures(width, **TINY_LAYOUT)
    state = {key: value.clone() for key, value in net.state_dict().items() if "num_batches_tracked" not in key}
    for key, value in state.items():
        if value.is_floating_point():
            value.uniform_(0.5, 1.5)
    state.update(CLASSIFIER_KEYS)
    return state


def assert_loaded(backbone: HRNet, state: dict[str, torch.Tensor]) -> None:
    own = backbone.model.state_dict()
    for key, value in state.items():
        if key in own:
            torch.testing.assert_close(own[key], value)


def test_torch_save_file_in_timm_layout_loads_and_ignores_classifier(tmp_path: Path):
    state = imagenet_like_state_dict()
    path = tmp_path / "hrnet_w8.pth"
    torch.save(state, path)
    backbone = HRNet(width=8, pretrained=str(path), **TINY_LAYOUT)
    assert_loaded(backbone, state)
    report = backbone.pretrained_report
    assert set(report.ignored) == set(CLASSIFIER_KEYS)
    assert report.unexpected == [] and report.stripped_prefix == ""
    assert all(key.endswith("num_batches_tracked") for key in report.missing)


def test_safetensors_file_with_wrapper_prefix(tmp_path: Path):
    state = imagenet_like_state_dict(seed=1)
    path = tmp_path / "model.safetensors"
    save_file({f"backbone.model.{key}": value.contiguous() for key, value in state.items()}, str(path))
    backbone = HRNet(model_name="hrnet_w8", pretrained=path, **TINY_LAYOUT)
    assert_loaded(backbone, state)
    assert backbone.pretrained_report.stripped_prefix == "backbone.model."


def test_deeplabcut_snapshot_dict_provides_backbone_weights(tmp_path: Path):
    state = imagenet_like_state_dict(seed=2)
    snapshot = {"model": {f"backbone.model.{key}": value for key, value in state.items()}, "metadata": {"epoch": 3}}
    snapshot["model"]["heads.bodypart.heatmap_head.head_heatmap.1.weight"] = torch.zeros(3, 8, 1, 1)
    path = tmp_path / "snapshot-003.pt"
    torch.save(snapshot, path)
    backbone = HRNet(width=8, pretrained=path, **TINY_LAYOUT)
    assert_loaded(backbone, state)
    assert backbone.pretrained_report.unexpected == ["heads.bodypart.heatmap_head.head_heatmap.1.weight"]


def test_hub_id_tries_safetensors_then_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    state = imagenet_like_state_dict(seed=3)
    torch.save(state, tmp_path / "pytorch_model.bin")
    calls = []

    def fake_download(repo_id, filename, revision=None):
        calls.append((repo_id, filename))
        if filename == "model.safetensors":
            raise FileNotFoundError("404: entry not found")
        return str(tmp_path / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    backbone = HRNet(width=8, pretrained="hf-hub:timm/hrnet_w8.test", **TINY_LAYOUT)
    assert calls == [("timm/hrnet_w8.test", "model.safetensors"), ("timm/hrnet_w8.test", "pytorch_model.bin")]
    assert_loaded(backbone, state)


def test_failed_download_raises_model_error_with_the_fix(monkeypatch: pytest.MonkeyPatch):
    def offline(repo_id, filename, revision=None):
        raise OSError("cannot reach huggingface.co")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", offline)
    with pytest.raises(ModelError, match="set the backbone's pretrained: /path/to/model.safetensors"):
        HRNet(width=8, pretrained="timm/hrnet_w8.test", **TINY_LAYOUT)


def test_missing_file_raises():
    with pytest.raises(ModelError, match="does not exist"):
        HRNet(width=8, pretrained="/no/such/hrnet.pth", **TINY_LAYOUT)


def test_weights_of_another_width_raise(tmp_path: Path):
    path = tmp_path / "w16.pth"
    torch.save(imagenet_like_state_dict(width=16), path)
    with pytest.raises(ModelError, match="shape mismatches"):
        HRNet(width=8, pretrained=path, **TINY_LAYOUT)


def test_incomplete_weights_raise_instead_of_keeping_random_values(tmp_path: Path):
    state = imagenet_like_state_dict()
    del state["conv1.weight"], state["stage4.0.fuse_layers.3.0.0.0.weight"]
    path = tmp_path / "partial.pth"
    torch.save(state, path)
    with pytest.raises(ModelError, match="lack 2 parameters"):
        HRNet(width=8, pretrained=path, **TINY_LAYOUT)


def test_unrelated_weights_raise(tmp_path: Path):
    path = tmp_path / "other.pth"
    torch.save({"encoder.weight": torch.zeros(3)}, path)
    with pytest.raises(ModelError, match="none of the 1 keys"):
        HRNet(width=8, pretrained=path, **TINY_LAYOUT)


def test_pretrained_true_uses_timm_ids_and_starts_from_scratch_for_widths_timm_lacks():
    assert HRNet(width=8, **TINY_LAYOUT).width == 8
    assert HRNet(model_name="hrnet_w18", **TINY_LAYOUT).default_pretrained_id() == "timm/hrnet_w18.ms_in1k"
    report = HRNet(model_name="hrnet_w16", pretrained=True, **TINY_LAYOUT).pretrained_report
    assert not report.loaded
    assert str(report).startswith("trained from scratch (random weights): there are no ImageNet weights for HRNet width 16")


def _fill_hub_cache(cache: Path, repo_id: str, state_dict: dict[str, torch.Tensor]) -> Path:
    """A Hugging Face cache entry for ``repo_id`` as ``hf_hub_download`` leaves one."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0123abcd")
    snapshot = repo / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    save_file(state_dict, str(snapshot / "model.safetensors"))
    return snapshot / "model.safetensors"


@pytest.fixture
def width_8_has_imagenet_weights(monkeypatch: pytest.MonkeyPatch):
    import deeplabcut.pose_estimation_pytorch.models.backbones.hrnet as hrnet

    monkeypatch.setattr(hrnet, "TIMM_IMAGENET_WIDTHS", (8, 18, 32, 48))


def test_pretrained_true_loads_weights_found_in_the_hub_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width_8_has_imagenet_weights
):
    torch.manual_seed(3)
    imagenet = HRNetFeatures(8, **TINY_LAYOUT).state_dict()
    _fill_hub_cache(tmp_path, "timm/hrnet_w8.ms_in1k", {k: v.contiguous() for k, v in imagenet.items()})
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the cache alone must do
    backbone = HRNet(width=8, pretrained=True, **TINY_LAYOUT)
    report = backbone.pretrained_report
    assert not report.from_scratch and report.loaded and "model.safetensors" in str(report)
    for key, value in backbone.model.state_dict().items():
        torch.testing.assert_close(value, imagenet[key])


def test_pretrained_true_offline_without_cache_starts_from_scratch_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width_8_has_imagenet_weights
):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    report = HRNet(width=8, pretrained=True, **TINY_LAYOUT).pretrained_report
    assert report.from_scratch and not report.loaded
    assert "timm/hrnet_w8.ms_in1k is not in the Hugging Face cache and HF_HUB_OFFLINE is set" in str(report)


def test_pretrained_true_with_an_unreachable_hub_starts_from_scratch_without_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width_8_has_imagenet_weights
):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens
    calls = []
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", lambda *a, **k: calls.append(a))
    report = HRNet(width=8, pretrained=True, **TINY_LAYOUT).pretrained_report
    assert report.from_scratch and "127.0.0.1 cannot be reached" in report.from_scratch
    assert calls == []  # the hub client's retries are never entered


def test_hrnet_carries_the_normalization_of_its_imagenet_weights():
    assert HRNet(width=8, **TINY_LAYOUT).normalization is IMAGENET
