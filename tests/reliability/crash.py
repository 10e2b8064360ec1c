"""Helpers of the concurrency and ``kill -9`` tests: child processes, a stand-in video model, tiny projects."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.synthetic import create_synthetic_project
from deeplabcut.training_dataset.create import create_training_dataset
from deeplabcut.video import VideoReader

TESTS = Path(__file__).resolve().parents[1]
SRC = TESTS.parent / "src"


def python_child(code: str, *args: str, wait: bool = True, timeout: float = 120) -> subprocess.CompletedProcess | subprocess.Popen:
    """Run ``code`` (dedented) in a fresh interpreter that imports ``deeplabcut`` and these helpers.

    ``wait``: return the finished process (its ``returncode`` is ``-9`` after a ``kill -9``);
    otherwise the running ``Popen``, with pipes for stdin and stdout.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(TESTS)]), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-c", textwrap.dedent(code), *args]
    if wait:
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    return subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_self() -> None:
    """What ``kill -9`` does to this process: no ``finally``, no ``atexit``, no flush."""
    os.kill(os.getpid(), signal.SIGKILL)


class FrameMeanRunner:
    """Stands in for a single-animal model: bodypart ``k`` of frame ``f`` is at ``(mean(f) + k, k)``, score 0.9.

    ``kill_after_frames``: SIGKILL this process once that many frames were predicted (a kill mid-video).
    """

    def __init__(self, num_bodyparts: int, batch_size: int = 4, kill_after_frames: int | None = None) -> None:
        self.num_bodyparts = num_bodyparts
        self.batch_size = batch_size
        self.kill_after_frames = kill_after_frames
        self.frames_seen = 0

    def predict_batch(self, frames: np.ndarray) -> dict[str, np.ndarray]:
        if self.kill_after_frames is not None and self.frames_seen >= self.kill_after_frames:
            kill_self()
        self.frames_seen += len(frames)
        return {"bodyparts": expected_poses(frames, self.num_bodyparts)}


def expected_poses(frames: np.ndarray, num_bodyparts: int) -> np.ndarray:
    """:class:`FrameMeanRunner`'s answer for ``frames`` ``(B, H, W, 3)``: ``(B, 1, K, 3)``."""
    means = frames.reshape(len(frames), -1).mean(axis=1)
    poses = np.zeros((len(frames), 1, num_bodyparts, 3), np.float32)
    poses[..., 0] = means[:, None, None] + np.arange(num_bodyparts)
    poses[..., 1] = np.arange(num_bodyparts)
    poses[..., 2] = 0.9
    return poses


def install_frame_mean_runner(num_bodyparts: int, monkeypatch=None, **kwargs) -> FrameMeanRunner:
    """Make every trained model of this process a :class:`FrameMeanRunner` (returned); with pytest's
    ``monkeypatch``, until the test ends."""
    from deeplabcut.pose_estimation_pytorch.inference.runner import PoseInferenceRunner

    runner = FrameMeanRunner(num_bodyparts, **kwargs)
    build = staticmethod(lambda *a, **k: runner)
    if monkeypatch is not None:
        monkeypatch.setattr(PoseInferenceRunner, "from_snapshot", build)
    else:
        PoseInferenceRunner.from_snapshot = build
    return runner


def make_video_project(root: Path, num_frames: int = 30, num_bodyparts: int = 3) -> Path:
    """A single-animal synthetic project with a stand-in snapshot (epoch 7) to analyze its video with."""
    config = create_synthetic_project(
        root, multianimal=False, num_individuals=1, num_bodyparts=num_bodyparts,
        num_frames=num_frames, num_labeled_frames=6, frame_size=(64, 64), seed=5,
    )  # fmt: skip
    create_training_dataset(config, net_type="dekr_16")
    project = ShuffleData(config)
    project.train_folder.mkdir(parents=True, exist_ok=True)
    torch.save({"metadata": {"epoch": 7}, "model": {}}, project.train_folder / "snapshot-007.pt")
    return Path(config)


def wait_for_line(process, expected: str) -> bool:
    """Read ``process``'s output until the line ``expected`` (True) or its end (False)."""
    for line in process.stdout:
        if line.strip() == expected:
            return True
    return False


def analyzed_poses(video: Path, scorer: str) -> np.ndarray:
    """``(frames, bodyparts, 3)`` from ``<video><scorer>.h5``."""
    df = pd.read_hdf(video.parent / f"{video.stem}{scorer}.h5")
    return df.to_numpy().reshape(len(df), -1, 3)


def video_answer(video: Path, num_bodyparts: int = 3) -> np.ndarray:
    """What the stand-in model finds in every frame of ``video``: ``(frames, bodyparts, 3)``."""
    reader = VideoReader(video)
    try:
        return np.concatenate([expected_poses(frames, num_bodyparts)[:, 0] for _, frames in reader.iter_batches(8)])
    finally:
        reader.close()
