"""The stitched tracks file: DeepLabCut's 'tracks' table, written and read back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deeplabcut.errors import TrackingDataError
from deeplabcut.formats.tracks import read_tracks_h5, tracks_dataframe, tracks_from_dataframe, write_tracks_h5


def test_tracks_round_trip(tmp_path):
    rng = np.random.default_rng(2)
    tracks = rng.uniform(0, 100, (5, 2, 3, 3))
    tracks[1, 0] = np.nan  # track 0 missing in frame 1
    unique = np.tile([[7.0, 8.0, 0.9], [3.0, 4.0, -1.0]], (5, 1, 1))
    df = tracks_dataframe("DLC_s", ["a", "b", "c"], tracks, ["ind1", "ind2"], ["led", "corner"], unique)
    assert df.columns.names == ["scorer", "individuals", "bodyparts", "coords"]
    assert list(dict.fromkeys(df.columns.get_level_values("individuals"))) == ["ind1", "ind2", "single"]
    assert set(df.columns.get_level_values("coords")) == {"x", "y", "likelihood"}
    assert df.index.equals(pd.RangeIndex(5))
    assert np.isnan(df.loc[0, ("DLC_s", "single", "corner", "x")])  # padded: NaN x, y
    assert df.loc[0, ("DLC_s", "single", "corner", "likelihood")] == -1.0  # its score is kept

    path = write_tracks_h5(df, tmp_path / "videoDLC_s_el.h5", save_as_csv=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["videoDLC_s_el.csv", "videoDLC_s_el.h5"]
    with pd.HDFStore(path, mode="r") as store:
        assert store.keys() == ["/tracks"] and store.get_storer("tracks").is_table
    back = read_tracks_h5(path)
    pd.testing.assert_frame_equal(back, df)
    array, individuals, bodyparts = tracks_from_dataframe(back)
    assert individuals == ["ind1", "ind2"] and bodyparts == ["a", "b", "c"]
    np.testing.assert_array_equal(array, tracks)


def test_tracks_need_four_column_levels():
    df = pd.DataFrame(np.zeros((1, 3)), columns=pd.MultiIndex.from_tuples([("s", "a", "x"), ("s", "a", "y"), ("s", "a", "likelihood")]))
    with pytest.raises(TrackingDataError, match="scorer/individuals/bodyparts/coords"):
        tracks_from_dataframe(df)
