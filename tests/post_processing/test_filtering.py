"""filterpredictions' filters on hand-made trajectories with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deeplabcut.errors import ConfigError, CorruptFileError
from deeplabcut.formats.analysis import predictions_dataframe, read_analysis
from deeplabcut.formats.tracks import tracks_dataframe, write_tracks_h5
from deeplabcut.post_processing import FilterSettings, filter_analysis_file, filter_predictions
from deeplabcut.post_processing.filtering import SPLINE_FILLED_LIKELIHOOD, fit_sarimax

SCORER = "DLC_Dekr16_testNov30shuffle1_snapshot_7"
FRAMES = 200


def clean_trajectory(frames: int = FRAMES, bodyparts: int = 2) -> np.ndarray:
    """``(frames, 1, bodyparts, 3)``: smooth circles of radius 30 px (period 100 frames), likelihood 0.9."""
    t = np.arange(frames)[:, None]
    phase = np.arange(bodyparts)[None, :]
    x = 200 + 30 * np.cos(2 * np.pi * t / 100 + phase)
    y = 150 + 30 * np.sin(2 * np.pi * t / 100 + phase)
    return np.stack([x, y, np.full_like(x, 0.9)], axis=-1)[:, None]


def single_animal_table(poses: np.ndarray) -> pd.DataFrame:
    return predictions_dataframe(SCORER, [f"bp{k}" for k in range(poses.shape[2])], poses)


def xy_error(df: pd.DataFrame, truth: np.ndarray) -> np.ndarray:
    """Per-point pixel distance between ``df``'s x, y and ``truth`` ``(frames, 1, K, 3)``."""
    values = df.to_numpy().reshape(len(df), -1, 3)
    return np.hypot(values[..., 0] - truth[:, 0, :, 0], values[..., 1] - truth[:, 0, :, 1])


def test_median_filter_removes_single_frame_spikes():
    truth = clean_trajectory()
    noisy = truth.copy()
    spikes = np.arange(7, FRAMES - 7, 13)  # single frames, isolated from each other
    noisy[spikes, 0, :, 0] += 60.0  # a detection jumps 60 px to the right for one frame
    noisy[spikes + 3, 0, :, 1] -= 45.0
    noisy[[0, FRAMES - 1], 0, :, 0] -= 50.0  # in the first and last frames too
    raw = single_animal_table(noisy)

    filtered = filter_predictions(raw, FilterSettings("median", windowlength=5))

    before, after = xy_error(raw, truth), xy_error(filtered, truth)
    assert before.max() == pytest.approx(60.0)
    # what is left: the median cuts the circle's bends, and at the two ends (mirrored) it lags by up to
    # two frames of motion (1.9 px per frame here)
    assert after[2:-2].max() < 2.0 and after.max() < 4.0
    assert np.sqrt((after**2).mean()) < np.sqrt((before**2).mean()) / 20  # RMSE falls by more than 20x (21.1 -> 0.93 px)
    np.testing.assert_array_equal(filtered.xs("likelihood", level="coords", axis=1), raw.xs("likelihood", level="coords", axis=1))
    assert filtered.columns.equals(raw.columns) and filtered.index.equals(raw.index)


def test_median_filter_keeps_gaps_and_does_not_smear_them():
    truth = clean_trajectory(60, bodyparts=1)
    poses = truth.copy()
    poses[20:25] = np.nan
    raw = single_animal_table(poses)
    filtered = filter_predictions(raw, FilterSettings("median", windowlength=5)).to_numpy()
    assert np.isnan(filtered[20:25]).all()
    assert np.isfinite(filtered[:20]).all() and np.isfinite(filtered[25:]).all()
    # the frames beside the gap are filtered with their own side only (mirrored): within two frames of motion
    assert np.abs(filtered[[19, 25], :2] - truth[[19, 25], 0, 0, :2]).max() < 4.0
    assert np.abs(filtered[2:18, :2] - truth[2:18, 0, 0, :2]).max() < 2.0


def test_spline_fills_a_short_gap_close_to_the_truth_and_leaves_long_ones():
    truth = clean_trajectory(120, bodyparts=1)
    poses = truth.copy()
    poses[40:44] = np.nan  # 4 frames: filled with windowlength 5
    poses[80:90] = np.nan  # 10 frames: longer than windowlength, left alone
    raw = single_animal_table(poses)

    filtered = filter_predictions(raw, FilterSettings("spline", windowlength=5))

    values = filtered.to_numpy()
    gap_error = np.hypot(values[40:44, 0] - truth[40:44, 0, 0, 0], values[40:44, 1] - truth[40:44, 0, 0, 1])
    assert gap_error.max() < 0.05  # a cubic through a smooth circle: hundredths of a pixel
    np.testing.assert_array_equal(values[40:44, 2], SPLINE_FILLED_LIKELIHOOD)
    assert np.isnan(values[80:90]).all()
    np.testing.assert_array_equal(values[:40], raw.to_numpy()[:40])  # frames with data are unchanged


def test_spline_with_windowlength_0_fills_every_inner_gap_but_not_the_ends():
    truth = clean_trajectory(120, bodyparts=1)
    poses = truth.copy()
    poses[:3] = np.nan
    poses[60:75] = np.nan
    filtered = filter_predictions(single_animal_table(poses), FilterSettings("spline", windowlength=0)).to_numpy()
    assert np.isnan(filtered[:3]).all()  # no extrapolation before the first detection
    assert np.isfinite(filtered[60:75]).all()
    assert np.abs(filtered[60:75, :2] - truth[60:75, 0, 0, :2]).max() < 1.0


def multi_animal_tracks_with_gaps(frames: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    t = np.arange(frames)[:, None, None]
    base = np.array([[100.0, 80.0], [300.0, 220.0]])[None, :, None, :]  # two animals apart
    wiggle = np.stack([10 * np.sin(t / 7.0), 6 * np.cos(t / 9.0)], axis=-1)  # (frames, 1, 1, 2)
    xy = base + wiggle + rng.normal(0, 0.5, (frames, 2, 3, 2))
    tracks = np.concatenate([xy, np.full((frames, 2, 3, 1), 0.95)], axis=-1)
    tracks[20:26, 1] = np.nan  # animal 2 is lost for 6 frames
    tracks[50:, 0, 2] = np.nan  # a bodypart lost for the last 10 frames
    tracks[33, 0, 1, 2] = 0.0001  # below p_bound: treated as missing by the model
    return tracks_dataframe(SCORER, ["snout", "neck", "tail"], tracks, ["mouse1", "mouse2"])


def test_arima_runs_on_a_multi_animal_file_with_gaps_and_keeps_its_layout(tmp_path):
    raw = multi_animal_tracks_with_gaps()
    source = write_tracks_h5(raw, tmp_path / f"videoA{SCORER}_el.h5")
    destination = tmp_path / f"videoA{SCORER}_el_filtered.h5"

    returned = filter_analysis_file(source, destination, FilterSettings("arima", ARdegree=3, MAdegree=1), save_as_csv=True)

    filtered = read_analysis(destination, key="df_with_missing")  # DeepLabCut's key for filtered data, tracks too
    pd.testing.assert_frame_equal(filtered, returned)
    assert filtered.shape == raw.shape and filtered.columns.equals(raw.columns) and filtered.index.equals(raw.index)
    assert (tmp_path / f"videoA{SCORER}_el_filtered.csv").is_file()
    likelihood = filtered.xs("likelihood", level="coords", axis=1)
    pd.testing.assert_frame_equal(likelihood, raw.xs("likelihood", level="coords", axis=1))
    x = filtered.xs("x", level="coords", axis=1)
    assert x.iloc[0].equals(raw.xs("x", level="coords", axis=1).iloc[0])  # frame 0 keeps its value
    # the model predicts through the gap, near where the animal was (not towards pixel 0)
    gap = x.loc[20:25, ("DLC_Dekr16_testNov30shuffle1_snapshot_7", "mouse2", "snout")]
    assert gap.notna().all() and (np.abs(gap - 300) < 25).all()
    # away from gaps, the one-step predictions follow the trajectory within a few pixels
    truth_x = raw.xs("x", level="coords", axis=1)
    assert np.nanmedian(np.abs(x.loc[5:19] - truth_x.loc[5:19]).to_numpy()) < 3.0


def test_arima_leaves_a_series_too_short_to_fit_unchanged():
    poses = clean_trajectory(40, bodyparts=1)
    poses[10:] = np.nan  # 10 points: SARIMAX needs more than 10
    raw = single_animal_table(poses)
    filtered = filter_predictions(raw, FilterSettings("arima"))
    pd.testing.assert_frame_equal(filtered, raw)


def test_fit_sarimax_treats_low_likelihood_points_as_missing():
    t = np.arange(80)
    x = 100 + 5 * np.sin(t / 6.0)
    p = np.full(80, 0.9)
    x_outlier = x.copy()
    x_outlier[40] = 500.0
    p[40] = 0.0
    mean, interval = fit_sarimax(x_outlier, p, p_bound=0.01, alpha=0.01, ARdegree=3, MAdegree=1)
    assert mean.shape == (80,) and interval.shape == (80, 2)
    assert abs(mean[41] - x[41]) < 5  # the 500 px outlier was not used
    assert (interval[5:, 0] <= interval[5:, 1]).all()


@pytest.mark.parametrize(
    "settings",
    [
        dict(filtertype="kalman"),
        dict(filtertype="median", windowlength=4),
        dict(filtertype="median", windowlength=0),
        dict(filtertype="spline", windowlength=-1),
        dict(filtertype="arima", ARdegree=-1),
        dict(filtertype="arima", alpha=1.5),
    ],
)
def test_bad_settings_are_refused(settings):
    with pytest.raises(ConfigError):
        FilterSettings(**settings)


def test_a_table_without_likelihoods_is_refused():
    df = single_animal_table(clean_trajectory(10, 1)).drop(columns="likelihood", level="coords")
    with pytest.raises(CorruptFileError, match="likelihood"):
        filter_predictions(df, FilterSettings())
