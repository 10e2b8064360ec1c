"""VideoWriter: atomic publication, errors."""

from __future__ import annotations

import numpy as np
import pytest

from deeplabcut.errors import VideoError
from deeplabcut.video import VideoReader, VideoWriter


WIDTH, HEIGHT = 96, 64  # as the counting video of conftest.py


@pytest.mark.parametrize("name, codec", [("out.mp4", "mp4v"), ("out.avi", "MJPG")])
def test_written_frames_read_back(tmp_path, name, codec):
    path = tmp_path / name
    gray_levels = [20 * index for index in range(12)]  # wide steps: mp4v is lossy
    with VideoWriter(path, fps=25, frame_size=(WIDTH, HEIGHT), codec=codec) as writer:
        for gray in gray_levels:
            writer.write(np.full((HEIGHT, WIDTH, 3), gray, np.uint8))
    assert writer.frames_written == 12
    reader = VideoReader(path)
    assert reader.num_frames == 12 and reader.fps == pytest.approx(25)
    read_back = [float(frame.mean()) for frame in reader]
    np.testing.assert_allclose(read_back, gray_levels, atol=6)


def test_file_appears_only_when_closed(tmp_path, counting):
    path = tmp_path / "sub" / "video.mp4"
    writer = VideoWriter(path, fps=10, frame_size=(WIDTH, HEIGHT))
    writer.write(counting.make_frame(0))
    assert not path.exists()
    partial = [p for p in path.parent.iterdir()]
    assert len(partial) == 1 and partial[0].suffix == ".mp4"  # same folder, same extension
    writer.close()
    assert path.is_file() and list(path.parent.iterdir()) == [path]


def test_error_inside_the_block_leaves_the_old_file_untouched(tmp_path, counting):
    path = tmp_path / "video.mp4"
    path.write_bytes(b"previous result")
    with pytest.raises(RuntimeError):
        with VideoWriter(path, fps=10, frame_size=(WIDTH, HEIGHT)) as writer:
            writer.write(counting.make_frame(0))
            raise RuntimeError("drawing failed")
    assert path.read_bytes() == b"previous result"
    assert list(tmp_path.iterdir()) == [path]


def test_unknown_codec_is_a_clear_error(tmp_path):
    with pytest.raises(VideoError, match="'ZZZZ'.*mp4v"):
        VideoWriter(tmp_path / "video.mp4", fps=10, frame_size=(WIDTH, HEIGHT), codec="ZZZZ")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(VideoError, match="four-character"):
        VideoWriter(tmp_path / "video.mp4", fps=10, frame_size=(WIDTH, HEIGHT), codec="h264x")


def test_wrong_frame_shape_is_refused(tmp_path, counting):
    with VideoWriter(tmp_path / "video.avi", fps=10, frame_size=(WIDTH, HEIGHT), codec="MJPG") as writer:
        with pytest.raises(VideoError, match=r"expected \(64, 96, 3\) uint8"):
            writer.write(np.zeros((WIDTH, HEIGHT, 3), np.uint8))
        writer.write(counting.make_frame(0))
