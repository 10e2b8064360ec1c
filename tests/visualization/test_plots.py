"""Learning curves and trajectory plots become valid PNG files."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from deeplabcut.errors import DLCError, MissingFileError
from deeplabcut.visualization import plot_learning_curve, plot_trajectories

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path) -> None:
    assert path.is_file() and path.stat().st_size > 0
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert cv2.imread(str(path)) is not None


LEARNING_STATS = """step,losses/eval.bodypart_heatmap,losses/eval.total_loss,losses/train.bodypart_heatmap,losses/train.total_loss,metrics/test.mAP,metrics/test.mAR,metrics/test.rmse,metrics/test.rmse_pcutoff
1,,,0.9,1.2,,,,
2,,,0.5,0.8,,,,
3,0.6,0.7,0.4,0.6,40.0,45.0,12.5,10.1
4,,,0.3,0.45,,,,
5,,,0.25,0.4,,,,
6,0.35,0.4,0.2,0.3,70.2,74.0,6.1,5.0
"""


def test_learning_curve_png_from_learning_stats(tmp_path):
    csv = tmp_path / "train" / "learning_stats.csv"
    csv.parent.mkdir()
    csv.write_text(LEARNING_STATS)
    output = plot_learning_curve(csv, tmp_path / "learning_curve.png")
    assert_png(output)
    assert cv2.imread(str(output)).shape[:2] == (650, 800)


def test_learning_curve_with_losses_only_and_errors(tmp_path):
    csv = tmp_path / "learning_stats.csv"
    csv.write_text("step,losses/train.total_loss\n1,2.0\n2,1.0\n")
    assert_png(plot_learning_curve(csv, tmp_path / "curve.png"))
    with pytest.raises(MissingFileError, match="nothing.csv"):
        plot_learning_curve(tmp_path / "nothing.csv", tmp_path / "x.png")
    bad = tmp_path / "bad.csv"
    bad.write_text("epoch,loss\n1,2\n")
    with pytest.raises(DLCError, match="'step'"):
        plot_learning_curve(bad, tmp_path / "x.png")


def random_walk(num_frames: int, num_bodyparts: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    xy = 100 + np.cumsum(rng.normal(0, 2, size=(num_frames, num_bodyparts, 2)), axis=0)
    likelihood = rng.uniform(0.3, 1.0, size=(num_frames, num_bodyparts, 1))
    return np.concatenate([xy, likelihood], axis=-1)


def test_single_animal_trajectories(tmp_path, dataframes):
    df = dataframes.single(random_walk(50, 3, seed=0), ["snout", "leftear", "tailbase"])
    written = plot_trajectories(df, tmp_path / "plot-poses" / "video", pcutoff=0.6)
    names = sorted(path.name for path in written)
    assert names == ["hist.png", "plot-likelihood.png", "plot.png", "trajectory.png"]
    for path in written:
        assert_png(path)


def test_multi_animal_trajectories_one_set_per_individual(tmp_path, dataframes):
    df = dataframes.multi(
        {"mouse1": random_walk(40, 2, 1), "mouse2": random_walk(40, 2, 2), "single": random_walk(40, 1, 3)},
        {"mouse1": ["snout", "tail"], "mouse2": ["snout", "tail"], "single": ["led"]},
    )
    written = plot_trajectories(df, tmp_path, bodyparts=["snout", "tail", "led"], suffix="_filtered.png")
    names = {path.name for path in written}
    assert len(written) == 12
    assert {"trajectorymouse1_filtered.png", "histmouse2_filtered.png", "plot-likelihoodsingle_filtered.png"} <= names
    for path in written:
        assert_png(path)
