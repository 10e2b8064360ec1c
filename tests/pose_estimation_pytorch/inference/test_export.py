"""Exported networks (TorchScript, ONNX) give the eager model's outputs and, decoded by our codecs, its poses.

Models are tiny and untrained; their weights are perturbed so that every layer
matters (DEKR's adaptive convolutions deform their taps, BN statistics are not
the identity). Graphs are traced at one size and run at others.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from conftest import TINY_BACKBONE
from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.templates import fill_placeholders, load_template
from deeplabcut.pose_estimation_pytorch.inference.export import (
    export_metadata,
    export_onnx,
    export_torchscript,
    graph_paths,
    nest_outputs,
    output_names,
    wipe_paths,
)
from deeplabcut.pose_estimation_pytorch.inference.exported import load_exported
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.models.detectors import build_detector

TOLERANCE = 1e-4


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # exported graphs are compared at 1 thread


def perturbed(network: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """``network`` in eval mode with every parameter and BN mean moved randomly, BN variances in [0.5, ...)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in [*network.parameters(), *(b for n, b in network.named_buffers() if n.endswith("running_mean"))]:
            tensor.add_(0.05 * torch.randn(tensor.shape, generator=generator))
        for name, buffer in network.named_buffers():
            if name.endswith("running_var"):
                buffer.copy_(0.5 + torch.rand(buffer.shape, generator=generator))
    return network.eval()


def tiny_dekr(max_individuals: int = 2) -> tuple[dict, PoseModel]:
    config = fill_placeholders(load_template("dekr"), {"width": 8, "num_bodyparts": 3, "max_individuals": max_individuals})
    config["model"]["backbone"].update(TINY_BACKBONE)
    torch.manual_seed(0)
    return config, perturbed(PoseModel.build(config["model"]))


def tiny_detector() -> tuple[dict, torch.nn.Module]:
    config = {"method": "td", "detector": {"model": {"type": "CenterDetector", "max_individuals": 2, "width": 8, "head_channels": 16}}}
    config["detector"]["model"]["layout"] = {key: TINY_BACKBONE[key] for key in ("stem_width", "stem_channels", "layer1_channels")}
    torch.manual_seed(0)
    return config, perturbed(build_detector(config["detector"]["model"]))


def assert_same_outputs(eager: dict, exported: dict) -> None:
    flat_eager = {name: tensor for name, tensor in zip(*_flatten(eager))}
    flat_exported = {name: tensor for name, tensor in zip(*_flatten(exported))}
    assert flat_eager.keys() == flat_exported.keys()
    for name, tensor in flat_eager.items():
        assert flat_exported[name].shape == tensor.shape, name
        torch.testing.assert_close(flat_exported[name], tensor, atol=TOLERANCE, rtol=0, msg=name)


def _flatten(outputs: dict) -> tuple[list[str], list[torch.Tensor]]:
    names, tensors = [], []
    for key, value in outputs.items():
        for sub, tensor in (value.items() if isinstance(value, dict) else [("", value)]):
            names.append(f"{key}.{sub}" if sub else key)
            tensors.append(tensor)
    return names, tensors


def test_output_names_and_nesting_round_trip():
    config, model = tiny_dekr()
    assert output_names(model) == ["bodypart.heatmap", "bodypart.offset"]
    tensors = [torch.zeros(1), torch.ones(1)]
    assert nest_outputs(output_names(model), tensors) == {"bodypart": {"heatmap": tensors[0], "offset": tensors[1]}}
    _, detector = tiny_detector()
    assert output_names(detector) == ["heatmap", "size", "offset"]
    assert set(nest_outputs(output_names(detector), [torch.zeros(1)] * 3)) == {"heatmap", "size", "offset"}


def test_dekr_torchscript_matches_eager_at_other_sizes_and_batches(tmp_path: Path):
    """Traced at 2x3x256x256, run at 1x3x96x128 and 3x3x80x112: raw outputs and decoded poses within 1e-4."""
    config, model = tiny_dekr()
    path = export_torchscript(model, tmp_path / "dekr_pose.torchscript", export_metadata(config, "pose", output_names(model), None))
    exported = load_exported(path)
    generator = torch.Generator().manual_seed(1)
    for shape in ((1, 3, 96, 128), (3, 3, 80, 112)):
        images = torch.randn(shape, generator=generator)
        with torch.no_grad():
            eager_outputs = model(images)
            exported_outputs = exported(images)
            assert_same_outputs(eager_outputs, exported_outputs)
            eager_poses = model.predict(eager_outputs)["bodyparts"]
            exported_poses = exported.predict(exported_outputs)["bodyparts"]
        assert eager_poses.shape == (shape[0], 2, 3, 3)
        assert (eager_poses[..., 2] > 0).any()  # something was found, so the comparison means something
        torch.testing.assert_close(exported_poses, eager_poses, atol=TOLERANCE, rtol=0)


def test_dekr_adaptive_convolutions_are_deformed_in_the_test_model():
    """The perturbed model's adaptive blocks move their taps (so the export of grid_sample is exercised)."""
    _, model = tiny_dekr()
    block = model.heads["bodypart"].offset_head.offset_feature_layers[0]
    offsets = block.sampling_offsets(torch.randn(1, block.channels * block.groups, 8, 8))
    assert offsets.abs().mean() > 0.05


def test_detector_torchscript_matches_eager(tmp_path: Path):
    config, detector = tiny_detector()
    path = export_torchscript(detector, tmp_path / "detector.torchscript", export_metadata(config, "detector", output_names(detector), None))
    exported = load_exported(path)
    images = torch.randn(2, 3, 72, 100, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        eager_outputs, exported_outputs = detector(images), exported(images)
    assert_same_outputs(eager_outputs, exported_outputs)
    eager_boxes = detector.predict(eager_outputs, image_size=(72, 100))
    exported_boxes = exported.predict(exported_outputs, image_size=(72, 100))
    for key in ("bboxes", "bbox_scores"):
        torch.testing.assert_close(exported_boxes[key], eager_boxes[key], atol=TOLERANCE, rtol=0)


@pytest.mark.slow
def test_dekr_onnx_runtime_matches_eager(tmp_path: Path):
    """The ONNX graph run by ONNX Runtime at a size and batch it was not exported at: within 1e-4 of eager PyTorch."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    config, model = tiny_dekr()
    path = export_onnx(model, tmp_path / "dekr_pose.onnx", export_metadata(config, "pose", output_names(model), None))
    exported = load_exported(path)
    images = torch.randn(3, 3, 80, 112, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        eager_outputs = model(images)
        exported_outputs = exported(images)
        assert_same_outputs(eager_outputs, exported_outputs)
        torch.testing.assert_close(
            exported.predict(exported_outputs)["bodyparts"], model.predict(eager_outputs)["bodyparts"], atol=TOLERANCE, rtol=0
        )


def test_a_file_without_metadata_is_refused_with_the_fix(tmp_path: Path):
    traced = torch.jit.trace(torch.nn.Conv2d(3, 1, 1), torch.zeros(1, 3, 4, 4))
    path = tmp_path / "plain.torchscript"
    torch.jit.save(traced, str(path))
    with pytest.raises(ConfigError, match="not written by deeplabcut.export_model"):
        load_exported(path)


def test_fixed_size_graph_refuses_other_sizes(tmp_path: Path):
    config, model = tiny_dekr()
    path = export_torchscript(model, tmp_path / "fixed.torchscript", export_metadata(config, "pose", output_names(model), (64, 48)))
    exported = load_exported(path)
    assert exported(torch.zeros(1, 3, 64, 48))["bodypart"]["heatmap"].shape == (1, 4, 16, 12)
    with pytest.raises(ConfigError, match="64x48"):
        exported(torch.zeros(1, 3, 48, 64))


def test_graph_file_names_sit_beside_the_exported_model():
    paths = graph_paths(Path("/x/DLC_t_dekr_16_iteration-0_shuffle-1_snapshot-005.pt"), ("pt", "torchscript", "onnx"), True)
    assert sorted(p.name for p in paths.values()) == [
        "DLC_t_dekr_16_iteration-0_shuffle-1_snapshot-005_detector.onnx",
        "DLC_t_dekr_16_iteration-0_shuffle-1_snapshot-005_detector.torchscript",
        "DLC_t_dekr_16_iteration-0_shuffle-1_snapshot-005_pose.onnx",
        "DLC_t_dekr_16_iteration-0_shuffle-1_snapshot-005_pose.torchscript",
    ]


def test_wipe_paths_removes_this_machines_paths_and_keeps_the_rest():
    config = {
        "metadata": {"project_path": "/home/me/p", "pose_config_path": "/home/me/p/x.yaml", "bodyparts": ["a"]},
        "train_settings": {"weight_init": {"snapshot_path": "/w.pt"}, "epochs": 3},
        "resume_training_from": "/s.pt",
        "detector": {"resume_training_from": "/d.pt", "model": {"type": "CenterDetector"}},
    }
    wiped = wipe_paths(config)
    assert wiped["metadata"] == {"project_path": "", "pose_config_path": "", "bodyparts": ["a"]}
    assert wiped["train_settings"] == {"weight_init": None, "epochs": 3}
    assert wiped["resume_training_from"] is None and wiped["detector"]["resume_training_from"] is None
    assert config["metadata"]["project_path"] == "/home/me/p"  # the input is untouched
