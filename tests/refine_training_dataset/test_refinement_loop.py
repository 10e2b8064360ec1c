"""The whole refinement loop on a synthetic project, with a real (tiny) model.

train (iteration 0) -> analyze -> extract_outlier_frames(jump) finds the frames
planted with a large jump -> the "user" corrects them (the true labels, saved as
napari-deeplabcut saves) -> merge_datasets -> create_training_dataset
(iteration 1) -> train on from the iteration-0 model -> the error on the
corrected frames falls.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import deeplabcut
import deeplabcut.pose_estimation_pytorch.apis as api
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config, write_pytorch_config
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.runtime import list_snapshots
from deeplabcut.project.config import read_config
from deeplabcut.synthetic import load_ground_truth
from deeplabcut.utils.yaml_io import read_yaml

from conftest import make_tiny_dekr_shuffle
from napari_saves import save_corrections

pytestmark = pytest.mark.slow

FIRST_EPOCHS, MORE_EPOCHS = 3, 6  # a weak first model: its errors leave room to fall
PLANTED = [13, 24, 35]  # frames not labeled at iteration 0 (labeled: 0, 5, 10, 16, 21, 26, 31, 37, 42, 47)


def frame_errors(analysis: pd.DataFrame, truth: np.ndarray, frames: list[int]) -> np.ndarray:
    """Mean distance (pixels) between predicted and true keypoints, per frame."""
    xy = analysis.loc[frames].to_numpy(dtype=float).reshape(len(frames), -1, 3)[..., :2]
    return np.linalg.norm(xy - truth[frames, 0], axis=-1).mean(axis=1)


def test_outliers_corrected_and_merged_make_the_next_iteration_better(tmp_path: Path):
    config = make_tiny_dekr_shuffle(
        tmp_path, multianimal=False, num_frames=48, num_labeled_frames=10, frame_size=(96, 96), epochs=FIRST_EPOCHS
    )
    cfg = read_config(config)
    truth = load_ground_truth(config).keypoints
    video = next((config.parent / "videos").glob("*.mp4"))
    api.train_network(config, eval_interval=FIRST_EPOCHS, save_epochs=FIRST_EPOCHS)
    first_model = ShuffleData(config)
    first_snapshot = list_snapshots(first_model.train_folder)[-1].path
    scorer = api.analyze_videos(config, [video], auto_track=False)
    analysis_file = video.parent / f"{video.stem}{scorer}.h5"
    before = pd.read_hdf(analysis_file)

    # plant jumps: at each planted frame every keypoint sits 50 px right of the frame before
    planted = before.copy()
    x = planted.columns.get_level_values("coords") == "x"
    for frame in PLANTED:
        planted.loc[frame, x] = planted.loc[frame - 1, x].to_numpy() + 50
    planted.to_hdf(analysis_file, key="df_with_missing", format="table", mode="w")
    config_text = read_yaml(config)
    config_text["numframes2pick"] = 48  # take every candidate, so the test does not depend on a random choice
    deeplabcut.project.config.write_config(config, config_text)

    written = deeplabcut.extract_outlier_frames(
        config, [video], outlieralgorithm="jump", epsilon=40, automatic=True, extractionalgorithm="uniform"
    )
    extracted = sorted(int(path.stem[3:]) for path in written)
    assert set(PLANTED) <= set(extracted), f"extracted {extracted}"

    folder = config.parent / "labeled-data" / video.stem
    save_corrections(folder, cfg["scorer"], 0, correct=lambda image, xy: truth[int(image[3:-4]), 0])
    assert deeplabcut.merge_datasets(config) == 1
    deeplabcut.create_training_dataset(config, net_type="dekr_16")
    second_model = ShuffleData(config)
    assert "iteration-1" in str(second_model.train_folder)
    merged = pd.read_hdf(next((config.parent / "training-datasets" / "iteration-1").rglob("CollectedData_*.h5")))
    for frame in extracted:  # the corrected frames are training data now, with the true points
        row = merged.loc[("labeled-data", video.stem, f"img{frame:02d}.png")].to_numpy(dtype=float).reshape(-1, 2)
        np.testing.assert_allclose(row, truth[frame, 0])
    first_cfg = read_pytorch_config(first_model.pose_config_path)
    second_cfg = read_pytorch_config(second_model.pose_config_path)
    for section in ("model", "data", "runner", "train_settings"):  # the same tiny model and settings
        second_cfg[section] = first_cfg[section]
    write_pytorch_config(second_model.pose_config_path, second_cfg)
    api.train_network(
        config, snapshot_path=first_snapshot, epochs=FIRST_EPOCHS + MORE_EPOCHS, eval_interval=MORE_EPOCHS, save_epochs=MORE_EPOCHS
    )
    second_scorer = api.analyze_videos(config, [video], auto_track=False)
    assert second_scorer != scorer
    after = pd.read_hdf(video.parent / f"{video.stem}{second_scorer}.h5")

    error_before = frame_errors(before, truth, extracted)
    error_after = frame_errors(after, truth, extracted)
    print(f"error on the {len(extracted)} extracted frames: {error_before.mean():.2f} px -> {error_after.mean():.2f} px")
    assert error_after.mean() < 0.8 * error_before.mean()
