"""The tracklet pickle: header, unique bodyparts under 'single', one dict of frames per tracklet id."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from deeplabcut.errors import TrackingDataError
from deeplabcut.formats.tracklets import (
    frame_index,
    frame_key,
    frame_key_width,
    read_tracklets,
    tracklet_header,
    write_tracklets,
)


@pytest.mark.parametrize(
    "num_frames, width", [(1, 1), (9, 1), (10, 1), (11, 2), (100, 2), (101, 3), (1000, 3), (2000, 4)]
)
def test_frame_key_width_is_ceil_log10_at_least_one(num_frames, width):
    assert frame_key_width(num_frames) == width
    assert len(frame_key(num_frames - 1, width)) == len("frame") + width


def test_frame_keys_read_back():
    assert frame_key(42, 4) == "frame0042" and frame_index("frame0042") == 42 and frame_index(7) == 7
    with pytest.raises(TrackingDataError, match="frame number"):
        frame_index("frame")


def test_tracklet_pickle_round_trip(tmp_path):
    header = tracklet_header("DLC_s", ["a", "b"], ["led"])
    assert header.names == ["scorer", "bodyparts", "coords"]
    assert header.tolist()[:3] == [("DLC_s", "a", "x"), ("DLC_s", "a", "y"), ("DLC_s", "a", "likelihood")]
    assert header.tolist()[-1] == ("DLC_s", "led", "likelihood") and len(header) == 9
    assert all(level.dtype == object for level in header.levels)  # readable by pandas 2
    width = frame_key_width(12)
    tracklets = {
        0: {frame_key(f, width): np.full((2, 4), float(f)) for f in range(3)},
        1: {frame_key(10, width): np.ones((2, 4))},
        "single": {0: np.array([[1.0, 2.0, 0.9]])},
        "header": header,
    }
    path = tmp_path / "videoDLC_s_el.pickle"
    write_tracklets(path, tracklets)
    with path.open("rb") as stream:
        plain = pickle.load(stream)
    back = read_tracklets(path)
    assert list(plain) == list(back) == [0, 1, "single", "header"]
    assert list(back[0]) == ["frame00", "frame01", "frame02"]
    np.testing.assert_array_equal(back[0]["frame02"], np.full((2, 4), 2.0))
    np.testing.assert_array_equal(back["single"][0], tracklets["single"][0])
    assert isinstance(back["header"], pd.MultiIndex) and back["header"].equals(header)


def test_a_pickle_that_is_not_a_dict_is_refused(tmp_path):
    path = tmp_path / "list.pickle"
    path.write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(TrackingDataError, match="not a tracklet dict"):
        read_tracklets(path)
