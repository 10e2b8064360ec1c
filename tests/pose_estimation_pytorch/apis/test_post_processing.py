"""filterpredictions and analyzeskeleton through the public API, then the filtered files in videos and plots.

The analysis files are written directly with the formats writers (no training):
a synthetic project with a placeholder snapshot gives the scorer name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import deeplabcut
from deeplabcut.errors import ConfigError, MissingFileError
from deeplabcut.formats.analysis import predictions_dataframe, read_analysis, write_analysis
from deeplabcut.formats.skeleton import read_skeleton
from deeplabcut.formats.tracks import tracks_dataframe, write_tracks_h5
from deeplabcut.pose_estimation_pytorch.apis import (
    analyzeskeleton,
    create_labeled_video,
    filterpredictions,
    plot_trajectories,
)
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.project.config import read_config
from deeplabcut.synthetic import create_synthetic_project, load_ground_truth
from deeplabcut.training_dataset.create import create_training_dataset
from deeplabcut.video import VideoReader

FRAMES = 30


def make_project(root: Path, multianimal: bool) -> tuple[Path, Path, str]:
    """A synthetic project with a placeholder snapshot; returns (config, video, scorer)."""
    config = create_synthetic_project(
        root, multianimal=multianimal, num_individuals=2 if multianimal else 1, num_bodyparts=3,
        num_frames=FRAMES, num_labeled_frames=6, frame_size=(96, 96), seed=2,
    )  # fmt: skip
    create_training_dataset(config, net_type="dekr_16")
    project = ShuffleData(config)
    project.train_folder.mkdir(parents=True, exist_ok=True)
    torch.save({"metadata": {"epoch": 3}, "model": {}}, project.train_folder / "snapshot-003.pt")
    video = next((Path(config).parent / "videos").glob("*.mp4"))
    return Path(config), video, TrainedModel.resolve(config).scorer


def spiky_poses(config: Path) -> tuple[np.ndarray, np.ndarray]:
    """The ground truth ``(frames, animals, K, 3)`` (likelihood 0.9) and a copy with one-frame 25 px spikes."""
    truth = load_ground_truth(config).keypoints
    clean = np.concatenate([truth, np.full((*truth.shape[:3], 1), 0.9)], axis=-1)
    spiky = clean.copy()
    spiky[5::6, :, :, 0] += 25.0
    return clean, spiky


def test_single_animal_filter_then_labeled_video_plots_and_skeleton(tmp_path):
    config, video, scorer = make_project(tmp_path, multianimal=False)
    bodyparts = read_config(config)["bodyparts"]
    clean, spiky = spiky_poses(config)
    raw_path = video.parent / f"{video.stem}{scorer}.h5"
    write_analysis(predictions_dataframe(scorer, bodyparts, spiky), raw_path)

    assert filterpredictions(config, [video]) is None  # DeepLabCut's default: median, window 5, with a .csv
    filtered_path = video.parent / f"{video.stem}{scorer}_filtered.h5"
    assert (video.parent / f"{video.stem}{scorer}_filtered.csv").is_file()
    filtered = read_analysis(filtered_path, key="df_with_missing")
    raw = read_analysis(raw_path)
    assert filtered.columns.equals(raw.columns) and filtered.index.equals(raw.index)
    error = lambda df: np.abs(df.xs("x", level="coords", axis=1).to_numpy() - clean[:, 0, :, 0])  # noqa: E731
    assert error(raw).max() == pytest.approx(25.0) and error(filtered).max() < 3.0

    labeled = create_labeled_video(config, [video], filtered=True)
    assert labeled == [video.parent / f"{video.stem}{scorer}_filtered_p60_labeled.mp4"]
    with VideoReader(labeled[0]) as reader:
        assert reader.num_frames == FRAMES
    plots = plot_trajectories(config, [video], filtered=True)
    assert plots and all(p.is_file() for p in plots)

    analyzeskeleton(config, [video], filtered=True, save_as_csv=True)
    skeleton = read_skeleton(video.parent / f"{video.stem}{scorer}_filtered_skeleton.h5")
    first, second = read_config(config)["skeleton"][0]
    bone = f"{first}_{second}"
    values = filtered.droplevel("scorer", axis=1)
    dx = values[(second, "x")] - values[(first, "x")]
    dy = values[(second, "y")] - values[(first, "y")]
    np.testing.assert_allclose(skeleton[(bone, "length")], np.hypot(dx, dy))
    np.testing.assert_allclose(skeleton[(bone, "orientation")], np.mod(np.degrees(np.arctan2(dy, dx)), 360))
    assert (video.parent / f"{video.stem}{scorer}_filtered_skeleton.csv").is_file()


def test_an_existing_filtered_file_is_kept_unless_overwrite(tmp_path):
    config, video, scorer = make_project(tmp_path, multianimal=False)
    _, spiky = spiky_poses(config)
    write_analysis(predictions_dataframe(scorer, read_config(config)["bodyparts"], spiky), video.parent / f"{video.stem}{scorer}.h5")
    filterpredictions(config, [video], filtertype="median", save_as_csv=False)
    filtered_path = video.parent / f"{video.stem}{scorer}_filtered.h5"
    median = read_analysis(filtered_path)
    again = filterpredictions(config, [video], filtertype="spline", return_data=True)
    pd.testing.assert_frame_equal(again[video], median)  # kept, and returned as it is
    pd.testing.assert_frame_equal(read_analysis(filtered_path), median)
    filterpredictions(config, [video], filtertype="spline", overwrite=True)
    assert not read_analysis(filtered_path).equals(median)  # the spline leaves the spikes in


def test_a_video_not_analysed_stops_the_call_before_anything_is_written(tmp_path):
    config, video, scorer = make_project(tmp_path, multianimal=False)
    _, spiky = spiky_poses(config)
    write_analysis(predictions_dataframe(scorer, read_config(config)["bodyparts"], spiky), video.parent / f"{video.stem}{scorer}.h5")
    other = video.with_name("second.mp4")
    other.write_bytes(video.read_bytes())
    with pytest.raises(MissingFileError, match="second"):
        filterpredictions(config, [video, other])
    assert not list(video.parent.glob("*_filtered*"))
    with pytest.raises(ConfigError, match="windowlength"):
        filterpredictions(config, [video], windowlength=4)
    with pytest.raises(MissingFileError, match="filterpredictions"):
        analyzeskeleton(config, [video], filtered=True)


def test_multi_animal_tracks_filtered_with_arima_then_drawn(tmp_path):
    config, video, scorer = make_project(tmp_path, multianimal=True)
    cfg = read_config(config)
    clean, spiky = spiky_poses(config)
    spiky[10:14, 1] = np.nan  # the second animal is lost for 4 frames
    tracks = tracks_dataframe(scorer, cfg["multianimalbodyparts"], spiky, cfg["individuals"])
    write_tracks_h5(tracks, video.parent / f"{video.stem}{scorer}_el.h5")

    data = filterpredictions(config, [video], filtertype="arima", save_as_csv=False, return_data=True)

    filtered_path = video.parent / f"{video.stem}{scorer}_el_filtered.h5"
    filtered = read_analysis(filtered_path)
    pd.testing.assert_frame_equal(filtered, data[video])
    assert filtered.shape == tracks.shape and filtered.index.equals(tracks.index)
    assert filtered.columns.equals(tracks.columns)
    labeled = create_labeled_video(config, [video], filtered=True, color_by="individual")
    assert labeled == [video.parent / f"{video.stem}{scorer}_el_filtered_id_p60_labeled.mp4"]
    assert plot_trajectories(config, [video], filtered=True)
    analyzeskeleton(config, [video])
    skeleton = read_skeleton(video.parent / f"{video.stem}{scorer}_el_skeleton.h5")
    assert skeleton.shape == (FRAMES, 3 * len(cfg["individuals"]) * len(cfg["skeleton"]))
    assert all(name.startswith(tuple(cfg["individuals"])) for name in skeleton.columns.get_level_values(0))


def test_the_top_level_namespace_exports_them():
    assert deeplabcut.filterpredictions is filterpredictions
    assert deeplabcut.analyzeskeleton is analyzeskeleton
    assert callable(deeplabcut.analyze_videos_converth5_to_csv) and callable(deeplabcut.analyze_videos_converth5_to_nwb)
