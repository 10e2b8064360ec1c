"""A small video whose frames say which frame they are."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from deeplabcut.video import VideoWriter

NUM_FRAMES = 30
WIDTH, HEIGHT = 96, 64
GRAY_STEP = 6
SQUARE = 8


def make_frame(index: int) -> np.ndarray:
    """Background gray level ``6 * index``; a red square whose x position is ``2 * index``."""
    frame = np.full((HEIGHT, WIDTH, 3), GRAY_STEP * index, dtype=np.uint8)
    x = 2 * index
    frame[40 : 40 + SQUARE, x : x + SQUARE] = (255, 0, 0)
    return frame


def frame_index(frame: np.ndarray) -> int:
    """Read the index back from the gray level of the top rows."""
    return int(round(float(np.median(frame[:16])) / GRAY_STEP))


def write_video(path: Path, num_frames: int = NUM_FRAMES, codec: str = "MJPG", fps: float = 15.0) -> Path:
    with VideoWriter(path, fps=fps, frame_size=(WIDTH, HEIGHT), codec=codec) as writer:
        for index in range(num_frames):
            writer.write(make_frame(index))
    return path


@pytest.fixture
def counting() -> SimpleNamespace:
    """The helpers above, for tests (pytest's importlib mode cannot import conftest)."""
    return SimpleNamespace(
        NUM_FRAMES=NUM_FRAMES, WIDTH=WIDTH, HEIGHT=HEIGHT,
        make_frame=make_frame, frame_index=frame_index, write_video=write_video,
    )


@pytest.fixture
def video_path(tmp_path: Path) -> Path:
    return write_video(tmp_path / "counting.avi")
