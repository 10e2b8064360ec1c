"""analyzeskeleton's bone measures against hand-computed lengths and angles."""

from __future__ import annotations

import numpy as np
import pytest

from deeplabcut.errors import ConfigError
from deeplabcut.formats.analysis import predictions_dataframe, write_analysis
from deeplabcut.formats.skeleton import read_skeleton
from deeplabcut.formats.tracks import tracks_dataframe
from deeplabcut.post_processing import skeleton_of_analysis_file, skeleton_table
from deeplabcut.post_processing.skeleton import bone_measures

SCORER = "DLC_Dekr16_testNov30shuffle1_snapshot_7"


def test_bone_length_and_orientation_by_hand():
    first = np.array([[10.0, 10.0, 0.9], [10.0, 10.0, 0.8], [10.0, 10.0, 0.9], [10.0, 10.0, 0.9], [0.0, 0.0, 0.9]])
    second = np.array([[13.0, 14.0, 0.7], [9.0, 10.0, 0.95], [10.0, 8.0, 0.9], [5.0, 5.0, 0.2], [np.nan, np.nan, np.nan]])
    measures = bone_measures(first, second)
    np.testing.assert_allclose(measures[:4, 0], [5.0, 1.0, 2.0, np.sqrt(50)])
    # atan2(dy, dx) in degrees, in [0, 360): image y points down, so "up" on screen (dy < 0) is 270
    np.testing.assert_allclose(measures[:4, 1], [np.degrees(np.arctan2(4, 3)), 180.0, 270.0, 225.0])
    assert measures[0, 1] == pytest.approx(53.130102354)
    np.testing.assert_allclose(measures[:4, 2], [0.7, 0.8, 0.9, 0.2])  # the smaller likelihood
    assert np.isnan(measures[4]).all()


def test_single_animal_table_has_deeplabcuts_columns():
    poses = np.zeros((3, 1, 3, 3))
    poses[..., 2] = 1.0
    poses[:, 0, 1, :2] = [[3, 4], [0, 6], [-2, 0]]  # neck relative to snout at the origin
    poses[:, 0, 2, :2] = [[3, 0], [3, 0], [3, 0]]
    df = predictions_dataframe(SCORER, ["snout", "neck", "tail"], poses)
    table = skeleton_table(df, [["snout", "neck"], ["neck", "tail"]])
    assert list(table.columns) == [
        ("snout_neck", "length"), ("snout_neck", "orientation"), ("snout_neck", "likelihood"),
        ("neck_tail", "length"), ("neck_tail", "orientation"), ("neck_tail", "likelihood"),
    ]  # fmt: skip
    np.testing.assert_allclose(table[("snout_neck", "length")], [5, 6, 2])
    np.testing.assert_allclose(table[("snout_neck", "orientation")], [53.130102354, 90, 180])
    np.testing.assert_allclose(table[("neck_tail", "length")], [4, np.hypot(3, 6), 5])
    assert table.index.equals(df.index)


def test_multi_animal_bones_per_individual_and_single_left_out(tmp_path):
    tracks = np.full((4, 2, 2, 3), np.nan)
    tracks[:, 0] = [[0, 0, 0.9], [0, 10, 0.6]]  # mouse1: tail 10 px below the snout
    tracks[:, 1] = [[50, 50, 0.9], [60, 50, 0.9]]  # mouse2: tail 10 px right of the snout
    tracks[2, 1] = np.nan  # mouse2 lost in frame 2
    unique = np.ones((4, 1, 3))
    df = tracks_dataframe(SCORER, ["snout", "tail"], tracks, ["mouse1", "mouse2"], ["food"], unique)
    source = tmp_path / f"videoA{SCORER}_el.h5"
    write_analysis(df, source)
    destination = tmp_path / f"videoA{SCORER}_el_skeleton.h5"

    table = skeleton_of_analysis_file(source, destination, [["snout", "tail"]], save_as_csv=True)

    assert list(dict.fromkeys(table.columns.get_level_values(0))) == ["mouse1_snout_tail", "mouse2_snout_tail"]
    np.testing.assert_allclose(table[("mouse1_snout_tail", "orientation")], 90.0)
    np.testing.assert_allclose(table[("mouse1_snout_tail", "likelihood")], 0.6)
    np.testing.assert_allclose(table[("mouse2_snout_tail", "orientation")], [0, 0, np.nan, 0])
    np.testing.assert_allclose(table[("mouse2_snout_tail", "length")], [10, 10, np.nan, 10])
    read = read_skeleton(destination)
    np.testing.assert_array_equal(read.to_numpy(), table.to_numpy())
    assert (tmp_path / f"videoA{SCORER}_el_skeleton.csv").is_file()


def test_a_skeleton_naming_an_unknown_bodypart_is_refused_before_writing(tmp_path):
    df = predictions_dataframe(SCORER, ["snout", "tail"], np.ones((2, 1, 2, 3)))
    source = tmp_path / "a.h5"
    write_analysis(df, source)
    with pytest.raises(ConfigError, match="earL"):
        skeleton_of_analysis_file(source, tmp_path / "a_skeleton.h5", [["snout", "earL"]])
    with pytest.raises(ConfigError, match="skeleton"):
        skeleton_table(df, [])
    assert not (tmp_path / "a_skeleton.h5").exists()
