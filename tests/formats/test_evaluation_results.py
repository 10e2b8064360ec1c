"""Evaluation score tables: DeepLabCut's columns, rounding, and the combined file."""

from __future__ import annotations

import numpy as np
import pandas as pd

from deeplabcut.formats.evaluation_results import (
    DETECTOR_VALUES,
    RESULT_INDEX,
    RESULT_VALUES,
    detector_table,
    keypoint_table,
    read_results,
    results_table,
    update_combined,
    write_table,
)


def test_results_and_keypoint_tables_round_trip(tmp_path):
    scores = {"train": {"rmse": 1.234, "rmse_pcutoff": 1.0, "mAP": 90.0, "mAR": 91.0}, "test": {"rmse": 2.345}}
    results = results_table(0.95, 1, 200, 0.6, scores)
    assert list(results.columns) == RESULT_VALUES and results.index.names == RESULT_INDEX
    assert results.index[0] == (0.95, 1, 200, -1, 0.6)
    assert results.iloc[0]["train rmse"] == 1.23 and np.isnan(results.iloc[0]["test mAP"])
    write_table(results, tmp_path / "DLC_s-results.csv")
    pd.testing.assert_frame_equal(read_results(tmp_path / "DLC_s-results.csv"), results)

    keypoints = keypoint_table(["a", "led"], np.array([1.111, 2.0]), np.array([3.0, 4.449]))
    write_table(keypoints, tmp_path / "DLC_s-keypoint-results.csv")
    back = pd.read_csv(tmp_path / "DLC_s-keypoint-results.csv", index_col=0)
    assert list(back.index) == ["Train error (px)", "Test error (px)"] and list(back.columns) == ["a", "led"]
    np.testing.assert_allclose(back.to_numpy(), [[1.11, 2.0], [3.0, 4.45]])


def test_detector_table_has_the_results_index_and_box_scores(tmp_path):
    scores = {"train": {"mAP@50:95": 81.234, "mAR@50:95": 85.0, "mAP@50": 99.0, "recall@50": 100.0}, "test": {}}
    table = detector_table(0.8, 1, 50, 0.6, scores, detector_epochs=120)
    assert list(table.columns) == DETECTOR_VALUES and table.index[0] == (0.8, 1, 50, 120, 0.6)
    assert table.iloc[0]["train mAP@50:95"] == 81.23 and np.isnan(table.iloc[0]["test recall@50"])
    write_table(table, tmp_path / "DLC_s-detector-results.csv")
    pd.testing.assert_frame_equal(read_results(tmp_path / "DLC_s-detector-results.csv"), table)


def test_combined_results_merge_new_rows_over_old(tmp_path):
    path = tmp_path / "CombinedEvaluation-results.csv"
    first = results_table(0.95, 2, 10, 0.6, {"train": {"rmse": 5.0}, "test": {"rmse": 6.0}})
    update_combined(path, first)
    again = results_table(0.95, 2, 10, 0.6, {"train": {"rmse": 4.0}, "test": {"rmse": 5.0}})
    other = results_table(0.95, 1, 10, 0.6, {"train": {"rmse": 1.0}, "test": {"rmse": 2.0}})
    combined = update_combined(path, pd.concat([again, other]))
    assert [row[1] for row in combined.index] == [1, 2]  # sorted
    assert read_results(path).loc[(0.95, 2, 10, -1, 0.6), "train rmse"] == 4.0
