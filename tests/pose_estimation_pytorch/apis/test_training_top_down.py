"""train_network on top-down shuffles: the detector, then the pose model on crops; each resumes exactly,
each can be skipped, and each one's files are its own."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import torch

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.apis import train_network
from deeplabcut.pose_estimation_pytorch.data import ShuffleData, build_transforms
from deeplabcut.pose_estimation_pytorch.runtime import list_snapshots
from top_down_shuffles import make_tiny_top_down_shuffle

DETECTOR_PREFIX = "snapshot-detector"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open() as stream:
        return list(csv.DictReader(stream))


def snapshot_names(folder: Path, prefix: str = "snapshot") -> list[str]:
    return [s.path.name for s in list_snapshots(folder, prefix)]


def test_a_multi_animal_shuffle_trains_its_detector_then_its_pose_model_on_crops(tmp_path: Path):
    config = make_tiny_top_down_shuffle(tmp_path, num_bodyparts=7, frame_size=(128, 128), epochs=6, detector_epochs=3)
    result = train_network(config)
    folder = ShuffleData(config).train_folder

    assert result.detector is not None and sorted(result.detector.history) == [1, 2, 3]
    assert sorted(result.history) == [1, 2, 3, 4, 5, 6]
    assert {s.epoch for s in list_snapshots(folder, DETECTOR_PREFIX)} >= {3}
    assert {s.epoch for s in list_snapshots(folder)} >= {6}
    assert all(not name.startswith(DETECTOR_PREFIX) for name in snapshot_names(folder))
    for name in ("learning_stats.csv", "learning_stats_detector.csv", "learning_curve.png", "learning_curve_detector.png"):
        assert (folder / name).is_file(), name

    detector_stats = rows(folder / "learning_stats_detector.csv")
    assert [int(r["step"]) for r in detector_stats] == [1, 2, 3]
    assert {
        "losses/train.total_loss", "losses/train.heatmap", "losses/train.size", "losses/train.offset",
        "losses/eval.total_loss", "metrics/test.mAP@50:95", "metrics/test.mAR@50:95", "metrics/test.mAP@50",
        "metrics/test.recall@50", "learning_rate",
    } <= set(detector_stats[0])  # fmt: skip
    pose_stats = rows(folder / "learning_stats.csv")
    assert [int(r["step"]) for r in pose_stats] == [1, 2, 3, 4, 5, 6]
    assert {"losses/train.bodypart_heatmap", "metrics/test.rmse", "metrics/test.mAP", "metrics/test.mAR"} <= set(pose_stats[0])
    assert not any("mAP@50" in name for name in pose_stats[0])

    # Both learn: the detector's loss and the pose model's loss and test error fall.
    detector_loss = [float(r["losses/train.total_loss"]) for r in detector_stats]
    pose_loss = [float(r["losses/train.total_loss"]) for r in pose_stats]
    test_error = [float(r["metrics/test.rmse"]) for r in pose_stats]
    assert detector_loss[-1] < 0.7 * detector_loss[0]  # measured: 1.42 -> 0.73
    assert pose_loss[-1] < 0.7 * pose_loss[0]  # measured: 0.023 -> 0.0125
    assert test_error[-1] < test_error[0]  # pixels of the labeled images (measured: 6.85 -> 5.95)

    log = (folder / "train.txt").read_text()
    assert "Detector epoch 3/3" in log and "box mAP@50:95" in log and "Epoch 6/6" in log


def test_each_model_resumes_exactly_where_it_stopped(tmp_path: Path):
    (tmp_path / "a").mkdir()
    config = make_tiny_top_down_shuffle(tmp_path / "a", num_labeled_frames=10, epochs=2, detector_epochs=2)
    copy = tmp_path / "b"
    shutil.copytree(config.parent.parent, copy)
    resumed_config = copy / config.parent.name / "config.yaml"

    train_network(config)  # uninterrupted: 2 detector epochs, then 2 pose epochs
    train_network(resumed_config, epochs=1, detector_epochs=1)
    folder = ShuffleData(resumed_config).train_folder
    detector_path = next(s.path for s in list_snapshots(folder, DETECTOR_PREFIX) if s.epoch == 1)
    snapshot_path = next(s.path for s in list_snapshots(folder) if s.epoch == 1)
    result = train_network(
        resumed_config, epochs=2, detector_epochs=2, detector_path=detector_path, snapshot_path=snapshot_path
    )
    assert sorted(result.detector.history) == [2] and sorted(result.history) == [2]
    assert [int(r["step"]) for r in rows(folder / "learning_stats_detector.csv")] == [1, 2]
    assert [int(r["step"]) for r in rows(folder / "learning_stats.csv")] == [1, 2]

    reference_folder = ShuffleData(config).train_folder
    for prefix in ("snapshot", DETECTOR_PREFIX):
        reference = next(s.path for s in list_snapshots(reference_folder, prefix) if s.epoch == 2)
        resumed = next(s.path for s in list_snapshots(folder, prefix) if s.epoch == 2)
        expected, got = torch.load(reference, weights_only=True), torch.load(resumed, weights_only=True)
        assert got["metadata"]["epoch"] == 2
        for name, value in expected["model"].items():
            torch.testing.assert_close(got["model"][name], value, rtol=1e-4, atol=1e-5, msg=f"{prefix}: {name}")


def test_zero_epochs_train_only_the_other_model_and_keep_its_files(tmp_path: Path):
    config = make_tiny_top_down_shuffle(tmp_path, epochs=1, detector_epochs=1)
    folder = ShuffleData(config).train_folder
    train_network(config)
    detector_files = snapshot_names(folder, DETECTOR_PREFIX)
    assert detector_files

    result = train_network(config, detector_epochs=0)  # a new pose run; the detector stays
    assert result.detector is None and sorted(result.history) == [1]
    assert snapshot_names(folder, DETECTOR_PREFIX) == detector_files
    archived = list(folder.glob("previous-run-*"))
    assert len(archived) == 1 and (archived[0] / "learning_stats.csv").is_file()
    assert not list(archived[0].glob(f"{DETECTOR_PREFIX}*"))
    pose_files = snapshot_names(folder)

    result = train_network(config, epochs=0, detector_epochs=1)  # a new detector run; the pose model stays
    assert result.detector is not None and sorted(result.detector.history) == [1] and result.history == {}
    assert snapshot_names(folder) == pose_files and (folder / "learning_stats.csv").is_file()
    assert list(folder.glob(f"previous-run-*/{DETECTOR_PREFIX}*"))
    assert (folder / "learning_stats_detector.csv").is_file()

    before = sorted(p.name for p in folder.rglob("*"))
    with pytest.raises(ConfigError, match="detector_path resumes the detector.*epochs are 0"):
        train_network(config, epochs=0, detector_epochs=0, detector_path=folder / detector_files[-1])
    with pytest.raises(ConfigError, match="Nothing to train"):
        train_network(config, epochs=0, detector_epochs=0)
    assert sorted(p.name for p in folder.rglob("*")) == before


def test_transform_augments_the_detector_images_and_transform_cropped_the_crops(tmp_path: Path):
    config = make_tiny_top_down_shuffle(tmp_path, epochs=1, detector_epochs=1)
    seen: dict[str, set] = {"transform": set(), "transform_cropped": set()}

    def recording(name: str):
        inner = build_transforms({"normalize_images": True})

        def transform(image, keypoints):
            seen[name].add(image.shape)
            return inner(image=image, keypoints=keypoints)

        return transform

    train_network(config, transform=recording("transform"), transform_cropped=recording("transform_cropped"))
    assert seen == {"transform": {(96, 96, 3)}, "transform_cropped": {(64, 48, 3)}}


def test_a_single_animal_top_down_hrnet_shuffle_trains(tmp_path: Path):
    config = make_tiny_top_down_shuffle(
        tmp_path, multianimal=False, net_type="top_down_hrnet_w18", num_bodyparts=5, frame_size=(128, 128),
        epochs=2, detector_epochs=2,
    )  # fmt: skip
    project = ShuffleData(config)
    pose_cfg = project.pytorch_config()
    assert pose_cfg["runner"]["key_metric"] == "test.rmse" and pose_cfg["detector"]["model"]["max_individuals"] == 1
    assert pose_cfg["model"]["heads"]["bodypart"]["type"] == "HeatmapHead"
    result = train_network(config, detector_batch_size=2, detector_save_epochs=2, save_epochs=2)
    folder = project.train_folder
    assert sorted(result.detector.history) == [1, 2] and sorted(result.history) == [1, 2]
    assert any(s.epoch == 2 for s in list_snapshots(folder, DETECTOR_PREFIX))
    assert any(s.epoch == 2 for s in list_snapshots(folder))
    assert "metrics/test.recall@50" in result.detector.history[2]
    assert "metrics/test.rmse" in result.history[2] and "losses/train.bodypart_locref" in result.history[2]
    saved = project.pytorch_config()
    assert saved["detector"]["train_settings"]["batch_size"] == 2 and saved["detector"]["runner"]["snapshots"]["save_epochs"] == 2


def test_detector_arguments_of_a_bottom_up_shuffle_are_errors(tiny_dekr_project: Path):
    with pytest.raises(ConfigError, match=r"\['detector_epochs'\] apply to top-down.*'dekr_16'.*bottom-up"):
        train_network(tiny_dekr_project, detector_epochs=5)
    with pytest.raises(ConfigError, match="detector_path and transform_cropped apply to top-down models only"):
        train_network(tiny_dekr_project, detector_path="snapshot-detector-005.pt")
    with pytest.raises(ConfigError, match="transform_cropped"):
        train_network(tiny_dekr_project, transform_cropped=lambda image, keypoints: {"image": image, "keypoints": keypoints})
    assert not list(ShuffleData(tiny_dekr_project).train_folder.glob("snapshot*"))
