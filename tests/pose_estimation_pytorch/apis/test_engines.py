"""The APIs with each inference engine: OpenVINO (float32) predicts what PyTorch predicts, to a hundredth
of a pixel; an engine that is not installed gives one warning and PyTorch's predictions; a bad engine name
is refused before any file is written; top-down shuffles run their detector and pose model in the engine.

The models are tiny and untrained, with their weights perturbed so that every layer matters; float32
engines are compared (``runner.mixed_precision: false``), bf16 is compared in inference/test_engines.py.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import make_tiny_dekr_shuffle
from deeplabcut.cli import build_parser
from deeplabcut.errors import ConfigError, ConfigValueError
from deeplabcut.pose_estimation_pytorch.apis import analyze_images, analyze_videos, evaluate_network
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config, write_pytorch_config
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.inference.runner import PoseInferenceRunner
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.runtime import save_checkpoint
from deeplabcut.video import VideoReader
from pose_estimation_pytorch.apis.tiny_top_down import make_tiny_top_down_shuffle
from pose_estimation_pytorch.inference.test_export import perturbed

#: Float32 engines against PyTorch: pixels, and scores.
PIXEL_TOLERANCE = 0.01
SCORE_TOLERANCE = 1e-4


def full_precision(config: Path) -> None:
    """``runner.mixed_precision: false`` in the shuffle's pytorch_config.yaml (float32 in every engine)."""
    path = ShuffleData(config).pose_config_path
    pose_cfg = read_pytorch_config(path)
    pose_cfg["runner"]["mixed_precision"] = False
    write_pytorch_config(path, pose_cfg)


@pytest.fixture(scope="module")
def dekr_project(tmp_path_factory) -> Path:
    """A single-animal tiny-DEKR synthetic project (60 frames of 96x96) with a perturbed, untrained ``snapshot-005.pt``."""
    config = make_tiny_dekr_shuffle(tmp_path_factory.mktemp("engines"), multianimal=False, num_frames=24, num_labeled_frames=8)
    full_precision(config)
    project = ShuffleData(config)
    torch.manual_seed(0)
    model = perturbed(PoseModel.build(project.pytorch_config()["model"]), seed=1)
    save_checkpoint(project.train_folder / "snapshot-005.pt", {"model": model.state_dict(), "metadata": {"epoch": 5}})
    return config


def assert_same_predictions(fast: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert list(fast.columns) == list(reference.columns) and list(fast.index) == list(reference.index)
    coords = reference.columns.get_level_values("coords")
    xy, scores = coords != "likelihood", coords == "likelihood"
    assert (reference.loc[:, scores].to_numpy() > 0.05).any()  # something was found
    np.testing.assert_allclose(fast.loc[:, xy].to_numpy(), reference.loc[:, xy].to_numpy(), atol=PIXEL_TOLERANCE, rtol=0)
    np.testing.assert_allclose(fast.loc[:, scores].to_numpy(), reference.loc[:, scores].to_numpy(), atol=SCORE_TOLERANCE, rtol=0)


def test_analyze_videos_with_openvino_predicts_what_torch_does(dekr_project: Path, tmp_path: Path, capsys):
    pytest.importorskip("openvino")
    video = next((dekr_project.parent / "videos").glob("*.mp4"))
    frames = {}
    for engine in ("torch", "openvino"):
        folder = tmp_path / engine
        scorer = analyze_videos(dekr_project, [video], destfolder=folder, batch_size=4, engine=engine)
        frames[engine] = pd.read_hdf(folder / f"{video.stem}{scorer}.h5", "df_with_missing")
    assert len(frames["torch"]) == VideoReader(video).num_frames
    assert_same_predictions(frames["openvino"], frames["torch"])
    printed = capsys.readouterr().out
    assert "Inference engine: torch (f32)" in printed and "Inference engine: openvino (f32)" in printed


def test_analyze_images_with_openvino_and_with_it_missing(dekr_project: Path, tmp_path: Path, monkeypatch, capsys):
    pytest.importorskip("openvino")
    folder = next((dekr_project.parent / "labeled-data").iterdir())
    results = {}
    for engine in ("torch", "openvino"):
        written = analyze_images(dekr_project, folder, frame_type=".png", output_dir=tmp_path / engine, engine=engine)
        results[engine] = next(iter(written.values()))
    assert_same_predictions(results["openvino"], results["torch"])

    capsys.readouterr()
    monkeypatch.setitem(sys.modules, "openvino", None)  # as where it is not installed
    written = analyze_images(dekr_project, folder, frame_type=".png", output_dir=tmp_path / "missing", engine="openvino")
    pd.testing.assert_frame_equal(next(iter(written.values())), results["torch"])
    printed = capsys.readouterr().out.splitlines()
    warnings = [line for line in printed if "pip install openvino" in line]
    assert len(warnings) == 1 and "running 'torch' instead" in warnings[0]
    assert "Inference engine: torch (f32)" in printed


def test_the_config_key_chooses_the_engine_and_the_argument_wins(dekr_project: Path, monkeypatch):
    chosen = []
    original = PoseInferenceRunner.from_snapshot

    def spy(*args, **kwargs):
        runner = original(*args, **kwargs)
        chosen.append(runner.engines["pose"].name)
        return runner

    monkeypatch.setattr(PoseInferenceRunner, "from_snapshot", spy)
    model = TrainedModel.resolve(dekr_project)
    model.runner("cpu", engine="torch")
    keyed = dataclasses.replace(model, pytorch_config={**model.pytorch_config, "inference": {"engine": "openvino"}})
    keyed.runner("cpu", engine="torch")  # the argument wins over the key
    monkeypatch.setitem(sys.modules, "openvino", None)  # the key is read: asks for openvino, which falls back
    runner = keyed.runner("cpu")
    assert chosen == ["torch", "torch", "torch"] and "pip install openvino" in runner.engines["pose"].fallback
    evaluate_network(dekr_project, engine="torch", show_errors=False)
    assert chosen[-1] == "torch"


@pytest.mark.parametrize("call", ["analyze_videos", "analyze_images", "evaluate_network"])
def test_a_bad_engine_name_is_refused_before_anything_is_written(dekr_project: Path, tmp_path: Path, call: str):
    video = next((dekr_project.parent / "videos").glob("*.mp4"))
    before = sorted(dekr_project.parent.rglob("*"))
    with pytest.raises(ConfigValueError, match="engine.*tensorrt"):
        if call == "analyze_videos":
            analyze_videos(dekr_project, [video], destfolder=tmp_path, engine="tensorrt")
        elif call == "analyze_images":
            analyze_images(dekr_project, next((dekr_project.parent / "labeled-data").iterdir()), output_dir=tmp_path, engine="tensorrt")
        else:
            evaluate_network(dekr_project, engine="tensorrt")
    assert sorted(dekr_project.parent.rglob("*")) == before and not list(tmp_path.iterdir())


def test_deeplabcuts_use_openvino_means_the_openvino_engine(dekr_project: Path, tmp_path: Path):
    video = next((dekr_project.parent / "videos").glob("*.mp4"))
    with pytest.raises(ConfigError, match="CPU only"):
        analyze_videos(dekr_project, [video], destfolder=tmp_path, use_openvino="GPU")
    with pytest.raises(ConfigError, match="give engine='openvino' only"):
        analyze_videos(dekr_project, [video], destfolder=tmp_path, use_openvino="CPU", engine="torch")
    assert not list(tmp_path.iterdir())


def test_the_command_line_passes_engine():
    parser = build_parser()
    for command in (["evaluate", "c.yaml"], ["analyze", "c.yaml", "v.mp4"]):
        assert parser.parse_args([*command, "--engine", "openvino"]).engine == "openvino"
        assert parser.parse_args(command).engine is None


def test_a_top_down_shuffle_runs_detector_and_pose_model_in_openvino(tmp_path: Path):
    pytest.importorskip("openvino")
    config = make_tiny_top_down_shuffle(tmp_path, multianimal=True, num_frames=8, num_labeled_frames=4)
    full_precision(config)
    model = TrainedModel.resolve(config)
    frames = np.stack([frame for _, batch in VideoReader(next((config.parent / "videos").glob("*.mp4"))).iter_batches(8) for frame in batch])
    results = {}
    for engine in ("torch", "openvino"):
        runner = model.runner("cpu", batch_size=4, engine=engine)
        assert {kind: chosen.name for kind, chosen in runner.engines.items()} == {"pose": engine, "detector": engine}
        results[engine] = runner.predict_batch(frames)
    reference, fast = results["torch"], results["openvino"]
    assert (reference["bbox_scores"] > 0).any()
    np.testing.assert_allclose(fast["bbox_scores"], reference["bbox_scores"], atol=SCORE_TOLERANCE, rtol=0)
    np.testing.assert_allclose(fast["bboxes"], reference["bboxes"], atol=PIXEL_TOLERANCE, rtol=0)
    np.testing.assert_allclose(fast["bodyparts"][..., :2], reference["bodyparts"][..., :2], atol=PIXEL_TOLERANCE, rtol=0)
    np.testing.assert_allclose(fast["bodyparts"][..., 2], reference["bodyparts"][..., 2], atol=SCORE_TOLERANCE, rtol=0)
