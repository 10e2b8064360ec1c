"""VideoReader: content, order, cropping, prefetching, shutdown and failures."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from deeplabcut.errors import ConfigError, VideoError
from deeplabcut.video import PREFETCH_THREAD_NAME, TruncatedVideoError, VideoNotFoundError, VideoReader


NUM_FRAMES, WIDTH, HEIGHT = 30, 96, 64  # as written by the counting video of conftest.py


def prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == PREFETCH_THREAD_NAME and t.is_alive()]


def test_properties_come_from_the_file(video_path):
    reader = VideoReader(video_path)
    assert reader.num_frames == len(reader) == NUM_FRAMES
    assert (reader.width, reader.height) == (WIDTH, HEIGHT)
    assert reader.frame_size == (WIDTH, HEIGHT)
    assert reader.fps == pytest.approx(15.0)
    assert reader.codec == "MJPG"
    assert reader.count_frames() == NUM_FRAMES


def test_frames_are_rgb_uint8_in_order(video_path, counting):
    frames = list(VideoReader(video_path))
    assert len(frames) == NUM_FRAMES
    assert all(f.shape == (HEIGHT, WIDTH, 3) and f.dtype == np.uint8 for f in frames)
    assert [counting.frame_index(f) for f in frames] == list(range(NUM_FRAMES))
    square = frames[5][42:46, 12:16].reshape(-1, 3).mean(axis=0)  # red square at x = 10..17
    assert square[0] > 200 and square[1] < 60 and square[2] < 60  # red stays in channel 0 (RGB)


def test_cropping_returns_the_sub_image(video_path):
    reader = VideoReader(video_path, cropping=(10, 50, 30, 60))  # x1, x2, y1, y2
    assert reader.frame_size == (40, 30)
    frames = list(reader)
    assert frames[0].shape == (30, 40, 3)
    full = VideoReader(video_path).read_frame(7)
    np.testing.assert_array_equal(frames[7], full[30:60, 10:50])


def test_cropping_is_clipped_to_the_frame_and_empty_crops_are_refused(video_path):
    assert VideoReader(video_path, cropping=(0, 640, 0, 480)).frame_size == (WIDTH, HEIGHT)
    with pytest.raises(ConfigError, match="leaves no pixels"):
        VideoReader(video_path, cropping=(50, 40, 0, 10))


def test_read_frame_seeks(video_path, counting):
    reader = VideoReader(video_path)
    assert counting.frame_index(reader.read_frame(17)) == 17
    assert counting.frame_index(reader.read_frame(3)) == 3
    with pytest.raises(IndexError):
        reader.read_frame(NUM_FRAMES)
    reader.close()


@pytest.mark.parametrize("prefetch", [0, 1, 4])
def test_batches_equal_plain_iteration(video_path, prefetch):
    reader = VideoReader(video_path, cropping=(0, 80, 8, 64))
    plain = np.stack(list(reader))
    batches = list(reader.iter_batches(batch_size=7, prefetch=prefetch))
    assert [first for first, _ in batches] == [0, 7, 14, 21, 28]
    assert [len(frames) for _, frames in batches] == [7, 7, 7, 7, 2]
    np.testing.assert_array_equal(np.concatenate([frames for _, frames in batches]), plain)
    assert not prefetch_threads()


def test_early_stop_leaves_no_thread_behind(video_path):
    reader = VideoReader(video_path)
    for first, _ in reader.iter_batches(batch_size=2, prefetch=2):
        if first == 4:
            break
    assert not prefetch_threads()

    batches = reader.iter_batches(batch_size=2, prefetch=2)
    next(batches)
    assert len(prefetch_threads()) == 1
    batches.close()
    assert not prefetch_threads()


def test_consumer_exception_stops_the_thread(video_path):
    reader = VideoReader(video_path)
    with pytest.raises(RuntimeError, match="model failed"):
        for _ in reader.iter_batches(batch_size=4, prefetch=2):
            raise RuntimeError("model failed")
    assert not prefetch_threads()


def test_prefetch_queue_bounds_how_far_decoding_runs_ahead(video_path):
    decoded = []

    class CountingReader(VideoReader):
        def _convert(self, bgr, out=None):
            decoded.append(1)
            return super()._convert(bgr, out)

    reader = CountingReader(video_path)
    batches = reader.iter_batches(batch_size=1, prefetch=2)
    next(batches)
    time.sleep(0.3)  # a slow consumer: the producer must block on the full queue
    # 1 handed out + 2 queued + 1 decoded and waiting to be queued
    assert len(decoded) <= 4
    batches.close()


def test_missing_file_raises_video_not_found(tmp_path):
    with pytest.raises(VideoNotFoundError, match="does not exist") as caught:
        VideoReader(tmp_path / "nope.mp4")
    assert isinstance(caught.value, FileNotFoundError) and isinstance(caught.value, VideoError)


def test_unreadable_file_names_the_file_and_the_fix(tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video" * 100)
    with pytest.raises(VideoError, match="broken.mp4") as caught:
        VideoReader(broken)
    assert "ffmpeg" in str(caught.value)


@pytest.fixture
def truncated_video(tmp_path, counting):
    path = counting.write_video(tmp_path / "long.avi", num_frames=40)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def test_truncated_video_reports_the_frame_where_decoding_stopped(truncated_video, counting):
    reader = VideoReader(truncated_video)
    assert reader.num_frames == 40  # the container still declares 40
    kept = []
    with pytest.raises(TruncatedVideoError) as caught:
        for frame in reader:
            kept.append(frame)
    error = caught.value
    assert 0 < error.frames_read < 40
    assert error.frames_read == len(kept)
    assert error.expected_frames == 40
    assert [counting.frame_index(f) for f in kept] == list(range(len(kept)))
    assert f"stopped at frame {error.frames_read} of 40" in str(error)


def test_truncated_video_in_prefetched_batches_keeps_what_was_decoded(truncated_video):
    reader = VideoReader(truncated_video)
    frames_seen = 0
    with pytest.raises(TruncatedVideoError) as caught:
        for first, frames in reader.iter_batches(batch_size=3, prefetch=2):
            assert first == frames_seen
            frames_seen += len(frames)
    assert caught.value.frames_read == frames_seen
    assert not prefetch_threads()


def test_robust_frame_count_accepts_a_truncated_video(truncated_video):
    reader = VideoReader(truncated_video, robust_nframes=True)
    assert 0 < reader.num_frames < 40
    assert len(list(reader)) == reader.num_frames
