"""The workflow with a real (tiny) DEKR: it learns, and its tracks keep the synthetic animals' identities.

One model is trained once for the module (about 40 s on 2 CPU cores): a DEKR
with a thin HRNet, on a synthetic project of two animals, 40 labeled frames.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import deeplabcut
import deeplabcut.pose_estimation_pytorch.apis as api
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config, write_pytorch_config
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.synthetic import load_ground_truth
from deeplabcut.tracking.evaluation import count_identity_switches, per_frame_error
from deeplabcut.formats.tracks import tracks_from_dataframe

from conftest import make_tiny_dekr_shuffle

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    config = make_tiny_dekr_shuffle(
        tmp_path_factory.mktemp("e2e"), multianimal=True, num_frames=120, num_labeled_frames=40, frame_size=(128, 128), epochs=60
    )
    project = ShuffleData(config)
    pose_cfg = read_pytorch_config(project.pose_config_path)
    pose_cfg["data"]["train"]["crop_sampling"].update(width=128, height=128)
    pose_cfg["data"]["train"]["affine"]["scaling"] = [0.8, 1.2]
    pose_cfg["train_settings"]["batch_size"] = 8
    write_pytorch_config(project.pose_config_path, pose_cfg)
    api.train_network(config, eval_interval=10, save_epochs=20)
    return config


def test_the_model_learns(trained: Path):
    with (ShuffleData(trained).train_folder / "learning_stats.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    rmse = [float(row["metrics/test.rmse"]) for row in rows if row.get("metrics/test.rmse")]
    assert len(rmse) == 6
    assert rmse[-1] < 3.0 and min(rmse) < 0.6 * rmse[0], f"test error per 10 epochs: {rmse} px"
    results = api.evaluate_network(trained, shuffle=1, show_errors=False)
    assert results["test rmse"].iloc[0] < 3.0 and results["train rmse"].iloc[0] < 3.0


def test_video_to_tracks_keeps_identities(trained: Path):
    video = next((trained.parent / "videos").glob("*.mp4"))
    api.analyze_videos(trained, [video], videotype=".mp4", auto_track=False)
    api.convert_detections2tracklets(trained, videos=[video], videotype=".mp4")
    tracks_file, = deeplabcut.stitch_tracklets(trained, videos=[video], videotype=".mp4")
    tracks, individuals, bodyparts = tracks_from_dataframe(pd.read_hdf(tracks_file, "tracks"))
    truth = load_ground_truth(trained)
    assert individuals == truth.individuals  # n_tracks = 2 named as in config.yaml
    predicted = tracks[:, :, [bodyparts.index(name) for name in truth.bodyparts], :2]
    errors = per_frame_error(predicted, truth.keypoints)
    assert np.isfinite(errors).mean() > 0.9
    assert np.nanmean(errors) < 3.0
    assert count_identity_switches(predicted, truth.keypoints) == 0
    labeled = deeplabcut.create_labeled_video(trained, [video], color_by="individual")
    assert labeled[0].stat().st_size > 0
