"""Many videos over several workers: each worker's share, skipping what is done, and the state of the whole set."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import deeplabcut.pose_estimation_pytorch.apis.videos as videos_module
from conftest import make_tiny_dekr_shuffle
from deeplabcut.cli import main
from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.apis import analysis_status, analyze_videos
from deeplabcut.pose_estimation_pytorch.apis.sharding import Shard, parse_shard, resolve_shard, shard_videos, stable_order
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.runtime import save_checkpoint
from deeplabcut.synthetic import create_synthetic_project, load_ground_truth
from deeplabcut.training_dataset.create import create_training_dataset


def test_a_shard_is_worker_i_of_n_counted_from_zero():
    assert parse_shard("1/4") == Shard(1, 4, "argument")
    for bad in ("4/4", "-1/2", "1", "a/b", "1/0"):
        with pytest.raises(ConfigError, match="i/N"):
            parse_shard(bad)


def test_the_worker_comes_from_the_argument_torchrun_or_a_slurm_array():
    torchrun = {"RANK": "1", "WORLD_SIZE": "3", "LOCAL_RANK": "1"}
    slurm = {"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_COUNT": "2"}  # --array=4-5
    assert resolve_shard(None, {}) == Shard(0, 1)
    assert resolve_shard(None, torchrun) == Shard(1, 3, "torchrun")
    assert resolve_shard(None, {"RANK": "0", "WORLD_SIZE": "1"}) == Shard(0, 1)
    assert resolve_shard(None, slurm) == Shard(0, 1)  # a job array only shards when asked: its tasks may have their own videos
    assert resolve_shard("slurm", slurm) == Shard(1, 2, "slurm")
    assert resolve_shard("auto", slurm) == Shard(1, 2, "slurm")
    assert resolve_shard("auto", {**slurm, **torchrun}) == Shard(1, 3, "torchrun")
    assert resolve_shard("2/5", torchrun) == Shard(2, 5, "argument")
    with pytest.raises(ConfigError, match="SLURM_ARRAY_TASK_ID"):
        resolve_shard("slurm", {})
    with pytest.raises(ConfigError, match="RANK/WORLD_SIZE"):
        resolve_shard("torchrun", {})


def test_workers_split_the_sorted_absolute_paths_whatever_order_they_were_given(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = [f"v{i}.mp4" for i in range(7)]
    given = [Path(n) for n in names]
    shares = [shard_videos(list(reversed(given)) + [given[0]], Shard(i, 3)) for i in range(3)]
    assert shares[0] == [Path("v0.mp4"), Path("v3.mp4"), Path("v6.mp4")]  # paths kept as given (relative here)
    assert sorted(p for share in shares for p in share) == sorted(given)  # each video once, none lost
    assert stable_order([tmp_path / "v1.mp4", Path("v1.mp4")]) == [tmp_path / "v1.mp4"]  # the same file once


@pytest.fixture
def four_videos(tmp_path: Path) -> tuple[Path, Path]:
    """A single-animal tiny DEKR shuffle with an untrained snapshot, and a folder of 4 synthetic 20-frame videos."""
    config = make_tiny_dekr_shuffle(tmp_path / "project", multianimal=False, num_frames=20, num_labeled_frames=6)
    project = ShuffleData(config)
    torch.manual_seed(0)
    model = PoseModel.build(read_pytorch_config(project.pose_config_path)["model"])
    save_checkpoint(project.train_folder / "snapshot-001.pt", {"model": model.state_dict(), "metadata": {"epoch": 1}})
    folder = tmp_path / "videos"
    folder.mkdir()
    for index in range(4):
        other = Path(
            create_synthetic_project(
                tmp_path / f"source{index}", multianimal=False, num_bodyparts=3, num_frames=20, num_labeled_frames=2,
                frame_size=(64, 64), seed=10 + index, video_name=f"video{index}",
            )
        )  # fmt: skip
        shutil.copy(other.parent / "videos" / f"video{index}.mp4", folder / f"video{index}.mp4")
    return config, folder


def count_analyses(monkeypatch) -> list[str]:
    analyzed: list[str] = []
    real = videos_module.predict_video

    def counting(runner, video, *args, **kwargs):
        analyzed.append(Path(video).name)
        return real(runner, video, *args, **kwargs)

    monkeypatch.setattr(videos_module, "predict_video", counting)
    return analyzed


def results(folder: Path) -> dict[str, pd.DataFrame]:
    return {path.name: pd.read_hdf(path) for path in sorted(folder.glob("*.h5"))}


def test_two_shards_analyze_each_video_once_as_one_worker_would(four_videos, tmp_path: Path, monkeypatch):
    config, folder = four_videos
    reference = tmp_path / "one-worker"
    analyze_videos(config, folder, destfolder=reference, batch_size=4)

    analyzed = count_analyses(monkeypatch)
    sharded = tmp_path / "two-workers"
    analyze_videos(config, folder, destfolder=sharded, batch_size=4, shard="0/2")
    assert analyzed == ["video0.mp4", "video2.mp4"]
    assert main(["analyze", str(config), str(folder), "--destfolder", str(sharded), "--batch-size", "4", "--shard", "1/2"]) == 0
    assert sorted(analyzed) == [f"video{i}.mp4" for i in range(4)]  # each exactly once

    expected, found = results(reference), results(sharded)
    assert sorted(found) == sorted(expected) and len(found) == 4
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(found[name], frame)
    status = analysis_status(config, folder, destfolder=sharded)
    assert len(status.done) == 4 and not status.not_done


def test_a_worker_killed_mid_video_is_rerun_and_completes_the_set(four_videos, tmp_path: Path, monkeypatch, capsys):
    config, folder = four_videos
    reference = tmp_path / "one-worker"
    analyze_videos(config, folder, destfolder=reference, batch_size=4)
    out = tmp_path / "out"

    # Worker 0 of 2 dies on its second video (video2) after writing its poses, before the done-marker.
    real_meta = videos_module.write_meta_pickle

    def killed_on_video2(path, meta):
        if "video2" in Path(path).name:
            raise KeyboardInterrupt("worker killed")
        return real_meta(path, meta)

    monkeypatch.setattr(videos_module, "write_meta_pickle", killed_on_video2)
    with pytest.raises(KeyboardInterrupt):
        analyze_videos(config, folder, destfolder=out, batch_size=4, shard="0/2")
    monkeypatch.setattr(videos_module, "write_meta_pickle", real_meta)
    analyze_videos(config, folder, destfolder=out, batch_size=4, shard="1/2")  # the other worker finishes its share

    status = analysis_status(config, folder, destfolder=out)
    assert {s.video.name: s.state for s in status.videos} == {
        "video0.mp4": "done", "video1.mp4": "done", "video2.mp4": "interrupted or failed", "video3.mp4": "done",
    }  # fmt: skip
    capsys.readouterr()
    assert main(["analyze-status", str(config), str(folder), "--destfolder", str(out)]) == 1
    printed = capsys.readouterr()
    assert "3 of 4 video(s) done" in printed.out and "interrupted or failed" in printed.out and "video2.mp4" in printed.out

    analyzed = count_analyses(monkeypatch)
    analyze_videos(config, folder, destfolder=out, batch_size=4, shard="0/2")  # the same worker, started again
    assert analyzed == ["video2.mp4"]  # video0 was done: kept, not analyzed twice
    assert main(["analyze-status", str(config), str(folder), "--destfolder", str(out)]) == 0
    expected, found = results(reference), results(out)
    assert sorted(found) == sorted(expected)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(found[name], frame)


class GroundTruthRunner:
    """Stands in for a multi-animal model: each video's ground truth, frame by frame (the videos are copies)."""

    batch_size = 8

    def __init__(self, keypoints: np.ndarray) -> None:
        self.keypoints = keypoints  # (frames, animals, bodyparts, 2)
        self.next_frame = 0

    def predict_batch(self, frames: np.ndarray) -> dict[str, np.ndarray]:
        first, self.next_frame = self.next_frame % len(self.keypoints), self.next_frame + len(frames)
        truth = self.keypoints[first : first + len(frames)]
        return {"bodyparts": np.concatenate([truth, np.full((*truth.shape[:3], 1), 0.9)], axis=-1).astype(np.float32)}


def test_each_worker_tracks_and_stitches_its_own_videos(tmp_path: Path, monkeypatch):
    config = Path(create_synthetic_project(tmp_path, multianimal=True, num_individuals=2, num_bodyparts=4, num_frames=30,
                                           num_labeled_frames=4, frame_size=(96, 96), seed=2))  # fmt: skip
    create_training_dataset(config, net_type="dekr_16")
    project = ShuffleData(config)
    project.train_folder.mkdir(parents=True, exist_ok=True)
    torch.save({"metadata": {"epoch": 3}, "model": {}}, project.train_folder / "snapshot-003.pt")
    first = next((config.parent / "videos").glob("*.mp4"))
    second = first.with_name("second.mp4")
    shutil.copy(first, second)
    keypoints = load_ground_truth(config).keypoints
    monkeypatch.setattr(
        videos_module.PoseInferenceRunner, "from_snapshot", staticmethod(lambda *a, **k: GroundTruthRunner(keypoints))
    )
    analyze_videos(config, [second, first], shard="1/2")  # sorted: arena.mp4 (worker 0), second.mp4 (worker 1)
    assert [p.name.startswith("second") for p in first.parent.glob("*_el.h5")] == [True]
    status = analysis_status(config, [first, second])
    assert {s.video.name: s.state for s in status.videos} == {first.name: "not analyzed", second.name: "done"}
    analyze_videos(config, [first, second], shard="0/2")
    assert len(list(first.parent.glob("*_el.h5"))) == 2
    assert len(analysis_status(config, first.parent, videotype=".mp4").done) == 2
    assert not analysis_status(config, first.parent, videotype=".mp4", track_method="box").done  # no box tracks
