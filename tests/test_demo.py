"""The one-command demo: every net type family runs the whole workflow, and the summary says what was trained.

The end-to-end test runs the real ``run_demo`` on a small synthetic project
with a top-down net type. Only the sizes change: ``create_training_dataset``
is wrapped so that the shuffle it writes gets tiny models
(``top_down_shuffles.shrink_top_down_shuffle``), and the demo's own TokenPose
overrides (crop size) are dropped because the tiny models have their own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import deeplabcut
from deeplabcut import demo
from deeplabcut.cli import build_parser
from deeplabcut.demo import DEMO_EPOCHS, DemoPlan, run_demo
from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from top_down_shuffles import shrink_top_down_shuffle

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_each_family_has_its_epochs_and_top_down_ones_train_a_detector():
    dekr = DemoPlan.of("dekr_16", gpu=False)
    assert (dekr.top_down, dekr.detector_epochs, dekr.epochs) == (False, 0, DEMO_EPOCHS["dekr"]["cpu"][1])
    assert dekr.updates == {}  # the demo trains DEKR with the user's defaults (from scratch: the recipe)
    tokenpose = DemoPlan.of("token_pose_w16", gpu=False)
    assert tokenpose.top_down and (tokenpose.detector_epochs, tokenpose.epochs) == DEMO_EPOCHS["tokenpose"]["cpu"]
    assert tokenpose.updates["model.neck.feature_size"] == [32, 24]
    hrnet = DemoPlan.of("top_down_hrnet_w18", gpu=True)
    assert hrnet.top_down and (hrnet.detector_epochs, hrnet.epochs) == DEMO_EPOCHS["top_down_hrnet"]["gpu"]
    assert DemoPlan.of("token_pose_w32", gpu=False, epochs=3, detector_epochs=2).epochs == 3
    assert "the detector for 2 epochs, then the pose model for 1 epoch" in DemoPlan.of(
        "token_pose_w16", gpu=False, epochs=1, detector_epochs=2
    ).describe()


def test_a_top_down_demo_needs_its_detector_and_a_known_net_type():
    with pytest.raises(ConfigError, match="detector_epochs"):
        DemoPlan.of("token_pose_w16", gpu=False, detector_epochs=0)
    with pytest.raises(ConfigError, match="Unknown net_type"):
        DemoPlan.of("resnet_50", gpu=False)
    assert DemoPlan.of("dekr_16", gpu=False, detector_epochs=5).detector_epochs == 0  # no detector to train


def test_the_demo_command_takes_the_net_type_and_both_epochs():
    args = build_parser().parse_args(["demo", "--net-type", "token_pose_w16", "--epochs", "3", "--detector-epochs", "2"])
    assert (args.net_type, args.epochs, args.detector_epochs) == ("token_pose_w16", 3, 2)
    assert build_parser().parse_args(["demo"]).net_type == "dekr_16"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_passes_net_to_the_demo():
    def command(*variables: str) -> str:
        # Under `make test` the outer make's variables would make this one print its directory.
        env = {key: value for key, value in os.environ.items() if key not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
        done = subprocess.run(
            ["make", "-n", "--no-print-directory", "demo", *variables],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, env=env,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    assert command().endswith("deeplabcut demo --output demo-output --net-type dekr_16")
    assert command("NET=token_pose_w16").endswith("--net-type token_pose_w16")


def test_the_top_down_demo_runs_every_step_and_reports_the_detector(tmp_path: Path, monkeypatch):
    real_create = deeplabcut.create_training_dataset

    def create_tiny(config, **kwargs):
        created = real_create(config, **kwargs)
        shrink_top_down_shuffle(ShuffleData(config).pose_config_path, num_bodyparts=3)
        return created

    monkeypatch.setattr(deeplabcut, "create_training_dataset", create_tiny)
    monkeypatch.setitem(demo.DEMO_TRAINING, "tokenpose", {})
    result = run_demo(
        tmp_path, net_type="token_pose_w16", epochs=2, detector_epochs=2, device="cpu",
        num_individuals=2, num_bodyparts=3, frame_size=(96, 96), num_frames=30, num_labeled_frames=10,
    )  # fmt: skip

    assert result.trained.startswith("token_pose_w16 (top-down): the detector for 2 epochs, then the pose model for 2 epochs")
    assert "64x48 crops (height x width)" in result.trained  # the tiny models' crops
    for path in (result.learning_curve, result.detector_learning_curve, result.labeled_video, result.tracks):
        assert path is not None and path.is_file()
    assert result.detector_learning_curve.name == "learning_curve_detector.png"
    assert result.evaluation_images.is_dir() and "_detector_" in result.evaluation_images.name
    assert 0 <= result.detector_map <= 100 and 0 <= result.detector_recall <= 100
    assert np.isfinite(result.labeled_boxes_rmse)
    summary = result.summary()
    for text in ("trained: token_pose_w16", "recall@50", "labeled boxes", str(result.detector_learning_curve), str(result.learning_curve)):
        assert text in summary
    assert set(result.steps) == {"generate", "train", "evaluate", "analyze and track", "label video"}


def test_the_bottom_up_summary_is_unchanged(tmp_path: Path):
    result = demo.DemoResult(
        config=tmp_path / "config.yaml", labeled_video=tmp_path / "v.mp4", evaluation_images=tmp_path,
        learning_curve=tmp_path / "learning_curve.png", tracks=tmp_path / "t.h5", test_rmse=1.8, test_map=78.6,
        tracking_error=1.7, identity_swaps=0, seconds=300.0, steps={"train": 280.0},
    )  # fmt: skip
    summary = result.summary()
    assert "test RMSE (mean keypoint error on held-out frames): 1.80 px" in summary
    assert "detector" not in summary and "learning curve:    " in summary
