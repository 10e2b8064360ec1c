"""The command line, end to end on a tiny synthetic project, with exit codes scripts can trust."""

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from deeplabcut.cli import main, parse_override
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config
from deeplabcut.pose_estimation_pytorch.data import ShuffleData

from conftest import write_video


def test_every_step_from_the_command_line(tiny_dekr_factory, capsys):
    config = str(tiny_dekr_factory(epochs=2))
    video = str(next((Path(config).parent / "videos").glob("*.mp4")))

    assert main(["check-labels", config]) == 0
    assert main(["create-training-dataset", config, "--net-type", "dekr_16", "--shuffles", "2"]) == 0
    shuffle2 = ShuffleData(config, shuffle=2).pytorch_config()
    assert shuffle2["net_type"] == "dekr_16" and shuffle2["metadata"]["pose_config_path"].endswith("shuffle2/train/pytorch_config.yaml")
    assert main(["train", config, "--epochs", "2", "runner.snapshots.save_epochs=1", "runner.eval_interval=2"]) == 0
    saved = read_pytorch_config(ShuffleData(config).pose_config_path)
    assert saved["runner"]["snapshots"]["save_epochs"] == 1 and saved["train_settings"]["epochs"] == 2
    assert main(["evaluate", config, "--plotting"]) == 0
    assert main(["analyze", config, video, "--no-auto-track"]) == 0
    assert main(["track", config, video]) == 0
    assert main(["stitch", config, video, "--min-length", "3"]) == 0
    assert main(["label-video", config, video, "--draw-skeleton"]) == 0
    folder = Path(video).parent
    tracks = next(folder.glob("*_el.h5"))
    assert pd.read_hdf(tracks, "tracks").columns.names == ["scorer", "individuals", "bodyparts", "coords"]
    assert list(folder.glob("*_labeled.mp4"))
    assert (Path(config).parent / "labeled-data" / "arena_labeled").is_dir()


def test_train_a_top_down_shuffle_one_model_at_a_time(tmp_path: Path):
    from deeplabcut.pose_estimation_pytorch.runtime import list_snapshots
    from top_down_shuffles import make_tiny_top_down_shuffle

    config = str(make_tiny_top_down_shuffle(tmp_path, epochs=1, detector_epochs=1))
    folder = ShuffleData(config).train_folder
    assert main(["train", config, "--epochs", "0", "--detector-epochs", "1", "--detector-batch-size", "2"]) == 0
    assert list_snapshots(folder, "snapshot-detector") and not list_snapshots(folder)
    assert read_pytorch_config(ShuffleData(config).pose_config_path)["detector"]["train_settings"]["batch_size"] == 2
    detector = list_snapshots(folder, "snapshot-detector")[-1].path
    assert main(["train", config, "--epochs", "1", "--detector-epochs", "2", "--detector-path", str(detector)]) == 0
    assert {s.epoch for s in list_snapshots(folder, "snapshot-detector")} >= {1, 2} and list_snapshots(folder)


def test_new_project(tmp_path: Path, capsys):
    video = write_video(tmp_path / "v.mp4")
    assert main(["new", "cli", "me", str(video), "--working-directory", str(tmp_path), "--multianimal"]) == 0
    config = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert config.is_file() and "MULTI!" in config.read_text()


def test_errors_are_one_line_with_exit_code_1(tmp_path: Path, capsys):
    assert main(["check-labels", str(tmp_path / "missing" / "config.yaml")]) == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and error.startswith("deeplabcut check-labels: error:") and "config.yaml" in error


def test_usage_errors_exit_with_2():
    with pytest.raises(SystemExit) as info:
        main(["train"])
    assert info.value.code == 2


def test_override_values_are_yaml():
    assert parse_override("train_settings.epochs=5") == ("train_settings.epochs", 5)
    assert parse_override("data.train.hflip=true") == ("data.train.hflip", True)
    assert parse_override("runner.scheduler.params.milestones=[10, 20]") == ("runner.scheduler.params.milestones", [10, 20])


@pytest.mark.skipif(shutil.which("deeplabcut") is None and not Path(sys.executable).with_name("deeplabcut").exists(), reason="package not installed with its entry point")
def test_installed_entry_point():
    executable = shutil.which("deeplabcut") or str(Path(sys.executable).with_name("deeplabcut"))
    done = subprocess.run([executable, "train", "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "key=value" in done.stdout.replace("\n", " ")
