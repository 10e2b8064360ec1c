"""DeepLabCut pose tables: analysis DataFrames -> pose arrays, and arrays -> DataFrames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deeplabcut.errors import LabelError
from deeplabcut.formats.pose_table import poses_from_dataframe


def test_single_animal_dataframe(dataframes):
    values = np.arange(2 * 2 * 3, dtype=float).reshape(2, 2, 3)
    table = poses_from_dataframe(dataframes.single(values, ["snout", "tail"]))
    assert table.poses.shape == (2, 1, 2, 3)
    np.testing.assert_array_equal(table.poses[:, 0], values)
    assert table.individuals == [""] and not table.multi_animal
    assert table.bodyparts == ["snout", "tail"]
    np.testing.assert_array_equal(table.frame_indices, [0, 1])


def test_multi_animal_dataframe_with_unique_bodyparts(dataframes):
    animal = np.ones((3, 2, 3))
    single = np.full((3, 1, 3), 2.0)
    df = dataframes.multi(
        {"mouse1": animal, "mouse2": animal * 3, "single": single},
        {"mouse1": ["snout", "tail"], "mouse2": ["snout", "tail"], "single": ["led"]},
    )
    df.index = [10, 11, 12]
    table = poses_from_dataframe(df)
    assert table.individuals == ["mouse1", "mouse2", "single"] and table.multi_animal
    assert table.bodyparts == ["snout", "tail", "led"]
    assert table.poses.shape == (3, 3, 3, 3)
    assert np.isnan(table.poses[:, 0, 2]).all()  # mouse1 has no "led"
    assert np.isnan(table.poses[:, 2, :2]).all()  # "single" has only "led"
    np.testing.assert_array_equal(table.poses[:, 1, 0], 3.0)
    np.testing.assert_array_equal(table.frame_indices, [10, 11, 12])
    only = poses_from_dataframe(df, bodyparts=["tail"], individuals=["mouse2"])
    assert only.poses.shape == (3, 1, 1, 3)


def test_labels_without_likelihood_count_as_confident():
    columns = pd.MultiIndex.from_product([["me"], ["a", "b"], ["x", "y"]], names=["scorer", "bodyparts", "coords"])
    df = pd.DataFrame([[1.0, 2.0, np.nan, np.nan]], columns=columns, index=["labeled-data/v/img0.png"])
    table = poses_from_dataframe(df)
    np.testing.assert_array_equal(table.poses[0, 0, 0], [1.0, 2.0, 1.0])
    assert np.isnan(table.poses[0, 0, 1]).all()
    np.testing.assert_array_equal(table.frame_indices, [0])


def test_bad_layouts_and_names_are_label_errors(dataframes):
    with pytest.raises(LabelError, match="scorer/bodyparts/coords"):
        poses_from_dataframe(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(LabelError, match="nose"):
        poses_from_dataframe(dataframes.single(np.zeros((1, 1, 3)), ["snout"]), bodyparts=["nose"])
