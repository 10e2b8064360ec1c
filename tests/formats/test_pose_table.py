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


def test_columns_and_round_trip_in_deeplabcuts_layout():
    from deeplabcut.formats.pose_table import build_columns, poses_to_dataframe, select_poses

    rng = np.random.default_rng(0)
    poses = rng.uniform(0, 50, (4, 2, 3, 3))
    unique = rng.uniform(0, 50, (4, 1, 3))
    df = poses_to_dataframe("me", ["a", "b", "c"], poses, ["m1", "m2"], ["led"], unique)
    assert df.columns.names == ["scorer", "individuals", "bodyparts", "coords"]
    assert df.columns.equals(build_columns("me", ["a", "b", "c"], ["m1", "m2"], ["led"], ("x", "y", "likelihood")))
    assert list(dict.fromkeys(df.columns.get_level_values("individuals"))) == ["m1", "m2", "single"]
    assert list(df.columns[:3]) == [("me", "m1", "a", "x"), ("me", "m1", "a", "y"), ("me", "m1", "a", "likelihood")]
    assert df.index.tolist() == [0, 1, 2, 3] and (df.dtypes == np.float64).all()
    np.testing.assert_array_equal(select_poses(df, ["m1", "m2"], ["a", "b", "c"]), poses)
    np.testing.assert_array_equal(select_poses(df, ["single"], ["led"])[:, 0], unique)
    assert np.isnan(select_poses(df, ["m3"], ["a"], ("x", "y"))).all()  # absent columns are NaN

    single = poses_to_dataframe("me", ["a", "b"], poses[:, :1, :2, :2], index=["img0.png", "img1.png", "i2", "i3"], coords=("x", "y"))
    assert single.columns.names == ["scorer", "bodyparts", "coords"]
    assert list(single.columns) == [("me", "a", "x"), ("me", "a", "y"), ("me", "b", "x"), ("me", "b", "y")]
    np.testing.assert_array_equal(select_poses(single, [""], ["a", "b"], ("x", "y")), poses[:, :1, :2, :2])
