"""Issue 12, class 6: one writer per training folder and per analyzed video.

A second ``train_network`` on a shuffle is refused before it moves or writes
anything, naming the running one; a second ``analyze_videos`` of a video
skips it, naming the running one, and goes on with the other videos.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import deeplabcut.pose_estimation_pytorch.apis.training as training_module
from deeplabcut.cli import main
from deeplabcut.errors import InUseError
from deeplabcut.pose_estimation_pytorch.apis import analyze_videos, train_network
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.train_module import TrainingResult
from deeplabcut.project.paths import TRAINING_LOCK_FILENAME
from deeplabcut.utils.locks import FileLock, read_holder

from conftest import make_tiny_dekr_shuffle
from reliability.crash import analyzed_poses, install_frame_mean_runner, make_video_project, python_child, video_answer, wait_for_line
from reliability.tree import tree_digest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the other process is stopped with kill -9")


def tiny_shuffle(root: Path) -> Path:
    return make_tiny_dekr_shuffle(root, multianimal=False, num_frames=10, num_labeled_frames=5, frame_size=(64, 64))


def test_a_second_training_of_a_shuffle_is_refused_and_changes_nothing(tmp_path: Path, capsys, monkeypatch):
    config = tiny_shuffle(tmp_path)
    train_folder = ShuffleData(config).train_folder
    # The running one's files, which a second run would have moved to previous-run-*:
    torch.save({"metadata": {"epoch": 1}, "model": {}}, train_folder / "snapshot-001.pt")
    (train_folder / "learning_stats.csv").write_text("step,losses/train.total_loss\n1,0.5\n")
    running = python_child(  # holds the lock as train_network does, without importing torch
        """
        import sys
        from deeplabcut.utils.locks import FileLock
        with FileLock(sys.argv[1], "train_network of shuffle 1"):
            print("training", flush=True)
            sys.stdin.read()
        """,
        str(train_folder / TRAINING_LOCK_FILENAME),
        wait=False,
    )
    try:
        assert running.stdout.readline().strip() == "training"
        before = tree_digest(config.parent)
        with pytest.raises(InUseError) as refused:
            train_network(config, epochs=3, batch_size=2)  # overrides that would be saved
        assert tree_digest(config.parent) == before  # byte for byte: nothing moved, saved or logged
        message = str(refused.value)
        assert f"Training folder '{train_folder}' is in use by train_network of shuffle 1 " in message
        assert f"(process {running.pid} on host '{socket.gethostname()}', since " in message
        assert "Nothing was changed. Wait for that run to finish" in message
        assert refused.value.holder.pid == running.pid
        capsys.readouterr()
        assert main(["train", str(config), "--epochs", "3"]) == 1  # the command line: one line, exit code 1
        error = capsys.readouterr().err.strip()
        assert len(error.splitlines()) == 1 and f"is in use by train_network of shuffle 1 (process {running.pid}" in error
        assert tree_digest(config.parent) == before
    finally:
        running.kill()  # kill -9: the lock file stays, naming a process that no longer runs
        running.wait()
    assert read_holder(train_folder / TRAINING_LOCK_FILENAME).pid == running.pid
    capsys.readouterr()

    # Once it is gone, the next run takes the folder over (its training is stood in for: tested elsewhere).
    holders = []

    def training(setup, shuffle, train_folder, log):
        holders.append(read_holder(train_folder / TRAINING_LOCK_FILENAME).pid)
        return TrainingResult(last_epoch=setup.epochs)

    monkeypatch.setattr(training_module, "_train", training)
    assert train_network(config, epochs=1).last_epoch == 1
    assert holders == [os.getpid()]
    out = capsys.readouterr().out
    assert f"Took over the lock of {train_folder} left by train_network of shuffle 1 (process {running.pid}" in out
    assert "2 file(s) of an earlier pose model run were moved to" in out  # the dead run's snapshot and rows
    assert sorted(p.name for p in train_folder.glob("previous-run-*/*")) == ["learning_stats.csv", "snapshot-001.pt"]
    assert not (train_folder / TRAINING_LOCK_FILENAME).exists()


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, RuntimeError])
def test_training_releases_its_lock_on_any_exit(tmp_path: Path, monkeypatch, interruption):
    config = tiny_shuffle(tmp_path)
    lock_file = ShuffleData(config).train_folder / TRAINING_LOCK_FILENAME
    seen = []

    def interrupted(setup, shuffle, train_folder, log):
        seen.append(read_holder(lock_file).purpose)  # held while training
        raise interruption("stopped")

    monkeypatch.setattr(training_module, "_train", interrupted)
    with pytest.raises(interruption):
        train_network(config, epochs=1)
    assert seen == ["train_network of shuffle 1"]
    assert not lock_file.exists()
    with FileLock(lock_file, "next run") as lock:
        assert lock.previous is None


def test_a_video_being_analyzed_elsewhere_is_skipped_and_the_others_analyzed(tmp_path: Path, monkeypatch, capsys):
    config = make_video_project(tmp_path)
    first = next((config.parent / "videos").glob("*.mp4"))
    second = first.with_name("second.mp4")
    shutil.copy(first, second)
    running = python_child(
        """
        import sys
        from deeplabcut.pose_estimation_pytorch.apis import analyze_videos
        from reliability.crash import install_frame_mean_runner
        runner = install_frame_mean_runner(3)
        predict = runner.predict_batch
        def pausing(frames):
            if runner.frames_seen == runner.batch_size:  # after the first batch: wait for the test
                print("analyzing", flush=True)
                sys.stdin.read()
            return predict(frames)
        runner.predict_batch = pausing
        print(analyze_videos(sys.argv[1], [sys.argv[2]]), flush=True)
        """,
        str(config),
        str(first),
        wait=False,
    )
    try:
        assert wait_for_line(running, "analyzing")
        runner = install_frame_mean_runner(3, monkeypatch)
        scorer = analyze_videos(config, [first, second])
        out = capsys.readouterr().out
        assert f"The analysis of '{first}' by {scorer} is in use by analyze_videos of {first.name} (process {running.pid} " in out
        assert f"Skipped {first.name}." in out
        assert runner.frames_seen == 30  # the second video only
        assert not (first.parent / f"{first.stem}{scorer}.h5").exists()  # the other process has not written yet
        np.testing.assert_allclose(analyzed_poses(second, scorer), video_answer(second), atol=1e-4)
    finally:
        out, err = running.communicate(input="", timeout=60)  # let it finish
    assert running.returncode == 0, err
    assert out.strip().splitlines()[-1] == scorer
    np.testing.assert_allclose(analyzed_poses(first, scorer), video_answer(first), atol=1e-4)
    assert not list(first.parent.glob(".*.lock"))


def test_finished_results_in_a_folder_without_write_access_are_still_found(tmp_path: Path, monkeypatch, capsys):
    config = make_video_project(tmp_path)
    video = next((config.parent / "videos").glob("*.mp4"))
    runner = install_frame_mean_runner(3, monkeypatch)
    analyze_videos(config, [video])
    before = tree_digest(video.parent)

    def read_only(self):
        raise PermissionError(13, "Permission denied", str(self.path))

    monkeypatch.setattr(FileLock, "acquire", read_only)
    runner.frames_seen = 0
    capsys.readouterr()
    analyze_videos(config, [video])
    out = capsys.readouterr().out
    assert f"{video.name}: no lock file can be made beside its results ([Errno 13] Permission denied" in out
    assert "was already analyzed" in out and runner.frames_seen == 0
    assert tree_digest(video.parent) == before
