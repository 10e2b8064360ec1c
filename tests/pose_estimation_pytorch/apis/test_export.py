"""``export_model``: DeepLabCut 3's exported-model folder and file, loadable as DeepLabCut-Live loads it,
and TorchScript / ONNX graphs whose decoded predictions equal the eager model's.

Nothing is trained: tiny models are built from the shuffles' configs, perturbed,
and saved as snapshots with the names training writes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import deeplabcut
from conftest import make_tiny_dekr_shuffle
from deeplabcut.cli import main
from deeplabcut.errors import ConfigError, MissingFileError
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel
from deeplabcut.pose_estimation_pytorch.config.dlc_layout import merge_from_deeplabcut
from deeplabcut.pose_estimation_pytorch.inference.runner import PoseInferenceRunner
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.models.detectors import build_detector
from deeplabcut.pose_estimation_pytorch.runtime import save_checkpoint
from deeplabcut.project.config import read_config
from pose_estimation_pytorch.apis.tiny_top_down import make_tiny_top_down_shuffle
from pose_estimation_pytorch.config import dlc_3_0_2_rules as dlc

TOLERANCE = 1e-4
DEKR_FOLDER = "DLC_synthetic_dekr_w18_iteration-0_shuffle-1"  # dekr_16 is written as DeepLabCut's dekr_w18


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # exported graphs are compared at 1 thread


def save_perturbed_snapshot(network: torch.nn.Module, path: Path, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.add_(0.02 * torch.randn(parameter.shape, generator=generator))
    save_checkpoint(path, {"model": network.state_dict(), "metadata": {"epoch": int(path.stem.split("-")[-1])}})


@pytest.fixture
def dekr_config(tmp_path: Path) -> Path:
    """A tiny DEKR shuffle with snapshot-005.pt and snapshot-best-010.pt."""
    config = make_tiny_dekr_shuffle(tmp_path)
    model = TrainedModel.resolve(config, select="none")
    torch.manual_seed(0)
    for seed, name in enumerate(("snapshot-005.pt", "snapshot-best-010.pt")):
        save_perturbed_snapshot(PoseModel.build(model.pytorch_config["model"]), model.shuffle.train_folder / name, seed)
    return config


def full_precision_runner(config: Path, batch_size: int = 1) -> PoseInferenceRunner:
    """The eager runner of the shuffle's best snapshot in float32 (exported graphs run in float32;
    ``mixed_precision: auto`` would be bf16 on CPUs with native bf16)."""
    trained = TrainedModel.resolve(config)
    trained.pytorch_config.setdefault("runner", {})["mixed_precision"] = False
    return trained.runner(batch_size=batch_size)


def load_like_dlclive(path: Path) -> dict:
    """The key accesses of DeepLabCut-Live's ``PyTorchRunner.load_model`` (dlclive/pose_estimation_pytorch/runner.py),
    recorded as facts, with our model classes standing in for DeepLabCut-Live's."""
    raw_data = torch.load(path, map_location="cpu", weights_only=True)
    assert dlc.violations(raw_data["config"], dlc.POSE_CONFIG) == []  # DeepLabCut 3's layout
    # Our classes stand in for DeepLabCut-Live's: they read the config as ours (with the extras).
    cfg = merge_from_deeplabcut(raw_data["config"], raw_data.get("config_extras"))
    individuals = cfg.get("metadata", {}).get("individuals", ["idv1"])
    bodyparts = cfg.get("metadata", {}).get("bodyparts", [])
    model = PoseModel.build(dict(cfg["model"], backbone=dict(cfg["model"]["backbone"], pretrained=False)))
    model.load_state_dict(raw_data["pose"])
    detector = None
    if raw_data.get("detector") is not None:
        detector = build_detector(dict(cfg["detector"]["model"], pretrained=False))
        detector.load_state_dict(raw_data["detector"])
        assert isinstance(cfg["detector"]["data"]["inference"].get("normalize_images", False), bool)
        crop = cfg.get("data", {}).get("inference", {}).get("top_down_crop")
        assert crop is not None and crop["width"] > 0 and crop["height"] > 0
    if cfg["method"] == "td":
        assert detector is not None, "DeepLabCut-Live refuses a top-down model without a detector"
    auto_padding = cfg["data"]["inference"].get("auto_padding", None)
    if auto_padding:
        assert {"pad_height_divisor", "pad_width_divisor"} >= set(auto_padding)
    assert cfg["data"]["inference"].get("normalize_images", False) is True
    return {"model": model.eval(), "detector": detector, "individuals": individuals, "bodyparts": bodyparts, "cfg": cfg}


def test_dekr_export_is_deeplabcut3s_folder_and_file_and_loads_like_dlclive(dekr_config: Path):
    files = deeplabcut.export_model(dekr_config)
    project = dekr_config.parent
    expected = project / "exported-models-pytorch" / DEKR_FOLDER / f"{DEKR_FOLDER}_snapshot-010.pt"
    assert files == [expected]

    loaded = load_like_dlclive(expected)
    assert loaded["bodyparts"] == read_config(dekr_config)["multianimalbodyparts"]
    assert len(loaded["individuals"]) == 2 and loaded["detector"] is None
    # The exported weights are the best snapshot's: same predictions as the eager runner.
    frames = np.random.default_rng(0).integers(0, 255, (2, 96, 96, 3), dtype=np.uint8)
    eager_runner = full_precision_runner(dekr_config)
    runner = PoseInferenceRunner(loaded["model"], torch.device("cpu"), eager_runner.preprocessor)
    eager = eager_runner.predict_batch(frames)
    np.testing.assert_allclose(runner.predict_batch(frames)["bodyparts"], eager["bodyparts"], atol=1e-6)


def test_existing_exports_are_kept_unless_overwrite(dekr_config: Path):
    (path,) = deeplabcut.export_model(dekr_config)
    path.write_bytes(b"the user's file")
    assert deeplabcut.export_model(dekr_config) == []
    assert path.read_bytes() == b"the user's file"
    assert deeplabcut.export_model(dekr_config, overwrite=True) == [path]
    assert "pose" in torch.load(path, weights_only=True)


def test_every_snapshot_wiped_paths_and_the_iteration(dekr_config: Path):
    files = deeplabcut.export_model(dekr_config, snapshotindex="all", wipe_paths=True)
    assert [f.name for f in files] == [f"{DEKR_FOLDER}_snapshot-005.pt", f"{DEKR_FOLDER}_snapshot-010.pt"]
    config = torch.load(files[0], weights_only=True)["config"]
    assert config["metadata"]["project_path"] == "" and config["metadata"]["pose_config_path"] == ""
    assert config["net_type"] == "dekr_w18"
    with pytest.raises(MissingFileError):  # iteration-3 has no models
        deeplabcut.export_model(dekr_config, iteration=3)


def test_bad_format_is_refused_before_anything_is_written(dekr_config: Path):
    with pytest.raises(ConfigError, match="export formats"):
        deeplabcut.export_model(dekr_config, formats=("pt", "tensorflow"))
    assert not (dekr_config.parent / "exported-models-pytorch").exists()


def test_dekr_torchscript_through_the_runner_predicts_as_the_eager_model(dekr_config: Path):
    """Whole frames of another size than traced: exported predictions equal eager ones within 1e-4."""
    files = deeplabcut.export_model(dekr_config, formats=("torchscript",))
    assert [f.name for f in files] == [f"{DEKR_FOLDER}_snapshot-010_pose.torchscript"]
    frames = np.random.default_rng(1).integers(0, 255, (3, 100, 120, 3), dtype=np.uint8)
    eager = full_precision_runner(dekr_config, batch_size=3).predict_batch(frames)
    exported = PoseInferenceRunner.from_exported(files[0], batch_size=3).predict_batch(frames)
    assert (eager["bodyparts"][..., 2] > 0).any()
    np.testing.assert_allclose(exported["bodyparts"], eager["bodyparts"], atol=TOLERANCE)


def test_command_line_export_model(dekr_config: Path):
    assert main(["export-model", str(dekr_config), "--snapshotindex", "0"]) == 0
    assert (dekr_config.parent / "exported-models-pytorch" / DEKR_FOLDER / f"{DEKR_FOLDER}_snapshot-005.pt").is_file()
    assert main(["export-model", str(dekr_config), "--formats", "pt", "torchscript", "--overwrite"]) == 0
    assert (dekr_config.parent / "exported-models-pytorch" / DEKR_FOLDER / f"{DEKR_FOLDER}_snapshot-010_pose.torchscript").is_file()


@pytest.mark.slow
def test_top_down_export_pose_and_detector_in_every_format(tmp_path: Path):
    """TokenPose + detector: the .pt holds both for DeepLabCut-Live; TorchScript and ONNX Runtime graphs
    of both give the eager runner's boxes and poses (detector -> crops -> pose model) within 1e-4."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    config = make_tiny_top_down_shuffle(tmp_path)
    files = deeplabcut.export_model(config, formats=("pt", "torchscript", "onnx"))
    folder = "DLC_synthetic_animaltokenpose_base_iteration-0_shuffle-1"
    stem = f"{folder}_snapshot-detector010_snapshot-005"
    assert [f.name for f in files] == [
        f"{stem}.pt", f"{stem}_pose.torchscript", f"{stem}_detector.torchscript", f"{stem}_pose.onnx", f"{stem}_detector.onnx",
    ]
    assert all(f.parent == Path(config).parent / "exported-models-pytorch" / folder for f in files)

    loaded = load_like_dlclive(files[0])
    assert loaded["detector"] is not None and loaded["cfg"]["method"] == "td"

    frames = np.random.default_rng(0).integers(0, 255, (2, 128, 96, 3), dtype=np.uint8)
    eager = full_precision_runner(config).predict_batch(frames)
    assert (eager["bbox_scores"] > 0).any()
    by_suffix = {f.name[len(stem):]: f for f in files}
    for fmt in ("torchscript", "onnx"):
        runner = PoseInferenceRunner.from_exported(by_suffix[f"_pose.{fmt}"], detector_path=by_suffix[f"_detector.{fmt}"])
        exported = runner.predict_batch(frames)
        assert exported.keys() == eager.keys()
        for key in eager:
            np.testing.assert_allclose(exported[key], eager[key], atol=TOLERANCE, err_msg=f"{fmt} {key}")


def test_top_down_without_detector(tmp_path: Path):
    config = make_tiny_top_down_shuffle(tmp_path)
    (path,) = deeplabcut.export_model(config, without_detector=True)
    assert path.name == "DLC_synthetic_animaltokenpose_base_iteration-0_shuffle-1_snapshot-005.pt"
    assert "detector" not in torch.load(path, weights_only=True)
