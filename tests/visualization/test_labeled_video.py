"""Labeled videos: frame count, colours at the known positions, trails, cropping."""

from __future__ import annotations

import numpy as np
import pytest

from deeplabcut.video import VideoReader, VideoWriter
from deeplabcut.visualization import create_labeled_video_from_dataframe, get_colors

WIDTH, HEIGHT, NUM_FRAMES = 96, 64, 20
GRAY = 60


def path_x(frame: int) -> float:
    return 10.0 + 3.0 * frame


@pytest.fixture
def gray_video(tmp_path):
    path = tmp_path / "video.avi"
    with VideoWriter(path, fps=20, frame_size=(WIDTH, HEIGHT), codec="MJPG") as writer:
        for _ in range(NUM_FRAMES):
            writer.write(np.full((HEIGHT, WIDTH, 3), GRAY, dtype=np.uint8))
    return path


def moving_point(likelihood: float = 0.9, y: float = 30.0) -> np.ndarray:
    """(T, 1, 3): one bodypart moving 3 px right per frame."""
    poses = np.zeros((NUM_FRAMES, 1, 3))
    poses[:, 0, 0] = [path_x(f) for f in range(NUM_FRAMES)]
    poses[:, 0, 1] = y
    poses[:, 0, 2] = likelihood
    return poses


def assert_colour(pixel: np.ndarray, rgb255: np.ndarray, tolerance: int = 40) -> None:
    assert np.abs(pixel.astype(int) - rgb255.astype(int)).max() <= tolerance, (pixel, rgb255)


def test_single_animal_video_has_every_frame_and_points_where_they_should_be(tmp_path, gray_video, dataframes):
    poses = moving_point()
    poses[5, 0, 2] = 0.1  # below pcutoff in frame 5
    df = dataframes.single(poses, ["snout"])
    written = []
    output = create_labeled_video_from_dataframe(
        gray_video, df, tmp_path / "labeled.avi", pcutoff=0.6, dot_size=4, cmap="rainbow",
        codec="MJPG", progress=written.append,
    )
    assert sum(written) == NUM_FRAMES
    purple = (get_colors(1, "rainbow")[0] * 255).round()
    frames = list(VideoReader(output))
    assert len(frames) == NUM_FRAMES
    for index, frame in enumerate(frames):
        pixel = frame[30, int(path_x(index))]
        if index == 5:
            assert_colour(pixel, np.array([GRAY] * 3), tolerance=12)
        else:
            assert_colour(pixel, purple)
        assert_colour(frame[55, 5], np.array([GRAY] * 3), tolerance=12)  # away from the point


def test_multi_animal_video_colours_by_individual_and_draws_trails(tmp_path, gray_video, dataframes):
    df = dataframes.multi(
        {"mouse1": moving_point(y=15.0), "mouse2": moving_point(y=45.0)},
        {"mouse1": ["snout"], "mouse2": ["snout"]},
    )
    output = create_labeled_video_from_dataframe(
        gray_video, df, tmp_path / "labeled_id.avi", dot_size=3, cmap="rainbow",
        color_by="individual", trailpoints=2, codec="MJPG",
    )
    first, last = (get_colors(2, "rainbow") * 255).round()
    frames = list(VideoReader(output))
    assert len(frames) == NUM_FRAMES
    frame = frames[10]
    assert_colour(frame[15, int(path_x(10))], first)
    assert_colour(frame[45, int(path_x(10))], last)
    assert_colour(frame[15, int(path_x(8))], first)  # trail, two frames back
    assert_colour(frame[15, int(path_x(5))], np.array([GRAY] * 3), tolerance=12)  # beyond the trail


def test_cropped_analysis_is_drawn_in_the_full_frame_or_the_crop(tmp_path, gray_video, dataframes):
    df = dataframes.single(moving_point(y=10.0), ["snout"])  # coordinates relative to the crop
    crop = (20, 90, 12, 60)  # x1, x2, y1, y2
    purple = (get_colors(1, "rainbow")[0] * 255).round()
    full = create_labeled_video_from_dataframe(
        gray_video, df, tmp_path / "full.avi", dot_size=3, cropping=crop, codec="MJPG"
    )
    frame = VideoReader(full).read_frame(4)
    assert frame.shape == (HEIGHT, WIDTH, 3)
    assert_colour(frame[10 + 12, int(path_x(4)) + 20], purple)
    cropped = create_labeled_video_from_dataframe(
        gray_video, df, tmp_path / "cropped.mp4", dot_size=3, cropping=crop, display_cropped=True
    )
    reader = VideoReader(cropped)
    assert reader.frame_size == (70, 48) and reader.num_frames == NUM_FRAMES
    assert_colour(reader.read_frame(4)[10, int(path_x(4))], purple, tolerance=60)  # mp4v is lossier


def test_frames_without_data_are_written_unlabeled(tmp_path, gray_video, dataframes):
    df = dataframes.single(moving_point()[:8], ["snout"])  # data for the first 8 frames only
    output = create_labeled_video_from_dataframe(gray_video, df, tmp_path / "short.avi", codec="MJPG")
    frames = list(VideoReader(output))
    assert len(frames) == NUM_FRAMES
    assert_colour(frames[15][30, int(path_x(15))], np.array([GRAY] * 3), tolerance=12)
