"""The command line, end to end on a tiny synthetic project, with exit codes scripts can trust."""

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from deeplabcut.cli import build_parser, main, parse_override
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config
from deeplabcut.pose_estimation_pytorch.data import ShuffleData

from conftest import write_video
from deeplabcut.utils.yaml_io import read_yaml


def test_every_step_from_the_command_line(tiny_dekr_factory, capsys):
    config = str(tiny_dekr_factory(epochs=2))
    video = str(next((Path(config).parent / "videos").glob("*.mp4")))

    assert main(["check-labels", config]) == 0
    assert main(["create-training-dataset", config, "--net-type", "dekr_16", "--shuffles", "2"]) == 0
    shuffle2 = ShuffleData(config, shuffle=2).pytorch_config()
    assert shuffle2["net_type"] == "dekr_16" and shuffle2["metadata"]["pose_config_path"].endswith("shuffle2/train/pytorch_config.yaml")
    assert read_yaml(ShuffleData(config, shuffle=2).pose_config_path)["net_type"] == "dekr_w18"  # DeepLabCut's name in the file
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


def test_every_step_takes_the_detector_snapshot_of_a_top_down_shuffle(tmp_path: Path):
    """--detector-snapshotindex reaches evaluate, analyze, track, stitch and label-video (DeepLabCut's detector_snapshot_index)."""
    from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel
    from deeplabcut.pose_estimation_pytorch.runtime import select_snapshots
    from top_down_shuffles import make_tiny_top_down_shuffle

    config = str(make_tiny_top_down_shuffle(tmp_path, epochs=1, detector_epochs=2, num_frames=20, num_labeled_frames=8))
    assert main(["train", config]) == 0
    folder = ShuffleData(config).train_folder
    first, last = (select_snapshots(folder, index, prefix="snapshot-detector")[0] for index in (0, -1))
    assert first.uid != last.uid
    scorer = TrainedModel.resolve(config, detector_snapshotindex=0).scorer
    assert f"_detector_{first.uid}_" in scorer
    video = str(next((Path(config).parent / "videos").glob("*.mp4")))
    chosen = ["--detector-snapshotindex", "0"]

    assert main(["evaluate", config, *chosen]) == 0
    assert (ShuffleData(config).evaluation_folder / f"{scorer}-detector-results.csv").is_file()
    assert main(["analyze", config, video, "--no-auto-track", *chosen]) == 0
    prefix = Path(video).parent / f"{Path(video).stem}{scorer}"
    assert Path(f"{prefix}_full.pickle").is_file()
    assert main(["track", config, video, *chosen]) == 0
    assert Path(f"{prefix}_el.pickle").is_file()
    assert main(["stitch", config, video, "--min-length", "3", *chosen]) == 0
    assert Path(f"{prefix}_el.h5").is_file()
    assert main(["label-video", config, video, *chosen]) == 0
    assert list(Path(video).parent.glob(f"{Path(video).stem}{scorer}_el_*labeled.mp4"))
    # without the flag, config.yaml's detector_snapshotindex (-1) names another model, not analysed yet
    assert main(["track", config, video]) == 1


def test_detector_snapshotindex_is_parsed_like_snapshotindex():
    parser = build_parser()
    for command in (["evaluate", "c.yaml"], ["analyze", "c.yaml", "v.mp4"], ["track", "c.yaml", "v.mp4"],
                    ["stitch", "c.yaml", "v.mp4"], ["label-video", "c.yaml", "v.mp4"]):  # fmt: skip
        assert parser.parse_args([*command, "--detector-snapshotindex", "-2"]).detector_snapshot_index == -2
        assert parser.parse_args([*command, "--detector-snapshotindex", "best"]).detector_snapshot_index == "best"
        assert parser.parse_args(command).detector_snapshot_index is None
    assert not hasattr(parser.parse_args(["train", "c.yaml"]), "detector_snapshot_index")


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
