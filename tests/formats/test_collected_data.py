"""CollectedData I/O: exact round trips in DeepLabCut's layout, and labels checked against the config."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tables

from deeplabcut.errors import LabelError, MissingFileError
from deeplabcut.formats.collected_data import (
    LabeledFrames,
    arrays_to_labels,
    check_labels_match,
    labels_to_arrays,
    normalize_collected_data,
    read_collected_data,
    three_level_index,
    write_collected_data,
)
from deeplabcut.formats.pose_table import build_columns
from deeplabcut.utils.hdf import write_hdf

from conftest import OPENFIELD, requires_openfield

OPENFIELD_H5 = OPENFIELD / "labeled-data" / "m4s1" / "CollectedData_Pranav.h5"
OPENFIELD_BODYPARTS = ["snout", "leftear", "rightear", "tailbase"]


def assert_identical(written: pd.DataFrame, original: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(written, original, check_exact=True)
    assert written.columns.names == original.columns.names
    assert written.index.names == original.index.names
    assert list(written.dtypes) == list(original.dtypes)


@requires_openfield
def test_openfield_h5_round_trip_is_exact(tmp_path: Path):
    original = pd.read_hdf(OPENFIELD_H5)
    write_collected_data(read_collected_data(OPENFIELD_H5), tmp_path / "CollectedData_Pranav.h5")
    assert_identical(pd.read_hdf(tmp_path / "CollectedData_Pranav.h5", "df_with_missing"), original)
    assert_identical(read_collected_data(tmp_path / "CollectedData_Pranav.csv"), original)


@requires_openfield
def test_openfield_csv_twin_equals_h5():
    assert_identical(read_collected_data(OPENFIELD_H5.with_suffix(".csv")), pd.read_hdf(OPENFIELD_H5))


@requires_openfield
def test_openfield_arrays():
    frames = labels_to_arrays(read_collected_data(OPENFIELD_H5), OPENFIELD_BODYPARTS)
    assert frames.keypoints.shape == (116, 1, 4, 2)
    assert frames.image_paths[0] == "labeled-data/m4s1/img0000.png"
    np.testing.assert_allclose(frames.keypoints[0, 0, 0], [21.521, 265.428])
    check_labels_match(read_collected_data(OPENFIELD_H5), OPENFIELD_H5, "Pranav", OPENFIELD_BODYPARTS, None)


def _multi_frames() -> LabeledFrames:
    rng = np.random.default_rng(1)
    keypoints = rng.uniform(0, 100, (3, 2, 3, 2))
    keypoints[0, 1] = np.nan
    return LabeledFrames(
        image_paths=[f"labeled-data/vid/img{i}.png" for i in range(3)],
        keypoints=keypoints,
        unique_keypoints=rng.uniform(0, 100, (3, 1, 2)),
        bodyparts=["a", "b", "c"],
        unique_bodyparts=["food"],
        individuals=["m1", "m2"],
        scorer="me",
    )


def test_multianimal_layout_and_round_trip(tmp_path: Path):
    frames = _multi_frames()
    df = arrays_to_labels(frames, multianimal=True)
    assert df.columns.names == ["scorer", "individuals", "bodyparts", "coords"]
    assert list(df.columns[:2]) == [("me", "m1", "a", "x"), ("me", "m1", "a", "y")]
    assert list(df.columns[-2:]) == [("me", "single", "food", "x"), ("me", "single", "food", "y")]
    assert df.index[0] == ("labeled-data", "vid", "img0.png")
    write_collected_data(df, tmp_path / "CollectedData_me.h5")
    read_back = pd.read_hdf(tmp_path / "CollectedData_me.h5", "df_with_missing")
    assert_identical(read_back, df)
    assert_identical(read_collected_data(tmp_path / "CollectedData_me.csv"), df)
    again = labels_to_arrays(read_back, ["a", "b", "c"], ["m1", "m2"], ["food"])
    np.testing.assert_array_equal(again.keypoints, frames.keypoints)
    np.testing.assert_array_equal(again.unique_keypoints, frames.unique_keypoints)


def test_written_hdf_is_stamped_for_pandas2(tmp_path: Path):
    df = pd.DataFrame(np.ones((2, 3)), columns=build_columns("s", ["a"], coords=("x", "y", "likelihood")))
    for storage in ("fixed", "table"):
        path = tmp_path / f"{storage}.h5"
        write_hdf(df, path, key="df_with_missing", format=storage)
        with tables.open_file(path) as handle:
            assert handle.get_node("/df_with_missing")._v_attrs.pandas_version == "0.15.2"
        pd.testing.assert_frame_equal(pd.read_hdf(path), df)


def test_one_string_index_and_likelihood_are_normalized():
    columns = build_columns("s", ["a"], coords=("x", "y", "likelihood"))
    df = pd.DataFrame([[1.0, 2.0, 0.9]], index=["labeled-data\\vid\\img1.png"], columns=columns)
    normalized = normalize_collected_data(df)
    assert normalized.index[0] == ("labeled-data", "vid", "img1.png")
    assert list(normalized.columns.get_level_values("coords")) == ["x", "y"]
    with pytest.raises(LabelError, match="labeled-data/<video>/<image>"):
        three_level_index(pd.Index(["img1.png"]))


def test_missing_labels_file(tmp_path: Path):
    with pytest.raises(MissingFileError, match="CollectedData_x.h5"):
        read_collected_data(tmp_path / "CollectedData_x.h5")


@pytest.mark.parametrize(
    "bodyparts, unique, individuals, scorer, message",
    [
        (["a", "b"], ["food"], ["m1", "m2"], "me", r"has bodypart\(s\) \['c'\]"),
        (["a", "b", "c", "d"], ["food"], ["m1", "m2"], "me", r"lists bodypart\(s\) \['d'\]"),
        (["a", "b", "c"], [], ["m1", "m2"], "me", r"\['food'\].*uniquebodyparts"),
        (["a", "b", "c"], ["food"], ["m1"], "me", r"individuals \['m2'\]"),
        (["a", "b", "c"], ["food"], ["m1", "m2"], "you", "scorer"),
        (["a", "b", "c"], ["food"], None, "me", "multianimalproject"),
    ],
)
def test_labels_that_disagree_with_the_config(bodyparts, unique, individuals, scorer, message):
    df = arrays_to_labels(_multi_frames(), multianimal=True)
    with pytest.raises(LabelError, match=message) as info:
        check_labels_match(df, "labels.h5", scorer, bodyparts, individuals, unique)
    assert "labels.h5" in str(info.value)
