"""NWB (ndx-pose) files: written per animal, read back by pynwb itself with the same coordinates."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from deeplabcut.errors import MissingDependencyError
from deeplabcut.formats.nwb import SINGLE_ANIMAL_NWB_NAME, animals_of_dataframe, read_pose_nwb, require_nwb, write_pose_nwb
from deeplabcut.formats.pose_table import poses_to_dataframe

SCORER = "DLC_Dekr16_testNov30shuffle1_snapshot_7"


def tracks(frames: int = 12) -> np.ndarray:
    rng = np.random.default_rng(0)
    poses = np.concatenate([rng.uniform(0, 200, (frames, 2, 3, 2)), rng.uniform(0, 1, (frames, 2, 3, 1))], axis=-1)
    poses[4, 1, 2] = np.nan  # a missing point
    return poses


def test_round_trip_through_pynwb(tmp_path):
    pynwb = pytest.importorskip("pynwb")
    pytest.importorskip("ndx_pose")
    poses = tracks()
    df = poses_to_dataframe(SCORER, ["snout", "neck", "tail"], poses, ["mouse1", "mouse2"])
    animals = animals_of_dataframe(df, [["snout", "neck"], ["neck", "tail"], ["neck", "food"]])
    assert [a.individual for a in animals] == ["mouse1", "mouse2"] and animals[1].edges == [(0, 1), (1, 2)]
    path = write_pose_nwb(
        tmp_path / f"v{SCORER}_mouse2.nwb", animals[1], SCORER, fps=25.0, session_description="openfield",
        experimenter="me", video=tmp_path / "v.mp4", frame_size=(640, 480), source_software_version="0.1.0",
    )  # fmt: skip

    with pynwb.NWBHDF5IO(str(path), mode="r") as io:  # pynwb alone, ndx-pose's namespace from the file
        nwbfile = io.read()
        pose_estimation = nwbfile.processing["behavior"]["PoseEstimation"]
        assert pose_estimation.scorer == SCORER and pose_estimation.source_software == "DeepLabCut"
        assert list(pose_estimation.skeleton.nodes[:]) == ["mouse2_snout", "mouse2_neck", "mouse2_tail"]
        np.testing.assert_array_equal(pose_estimation.skeleton.edges[:], [[0, 1], [1, 2]])
        series = pose_estimation.pose_estimation_series["mouse2_tail"]
        np.testing.assert_array_equal(series.data[:], poses[:, 1, 2, :2])
        np.testing.assert_array_equal(series.confidence[:], poses[:, 1, 2, 2])
        assert series.rate == 25.0 and series.unit == "pixels"
        assert list(pose_estimation.source_video.external_file[:]) == [str(tmp_path / "v.mp4")]
        assert nwbfile.session_description == "openfield" and list(nwbfile.experimenter) == ["me"]

    read = read_pose_nwb(path)
    assert read.animal.individual == "mouse2" and read.animal.bodyparts == ["snout", "neck", "tail"]
    np.testing.assert_array_equal(read.animal.poses, poses[:, 1])
    np.testing.assert_allclose(read.timestamps, np.arange(12) / 25.0)
    np.testing.assert_array_equal(read.animal.frame_indices, np.arange(12))
    back = read.dataframe()
    np.testing.assert_array_equal(back.to_numpy(), df.xs("mouse2", level="individuals", axis=1).to_numpy())


def test_single_animal_tables_become_ind1_and_frames_keep_their_numbers(tmp_path):
    pytest.importorskip("pynwb")
    pytest.importorskip("ndx_pose")
    poses = tracks()[:, :1]
    df = poses_to_dataframe(SCORER, ["snout", "neck", "tail"], poses, index=np.arange(100, 124, 2))  # every other frame
    (animal,) = animals_of_dataframe(df)
    assert animal.individual == SINGLE_ANIMAL_NWB_NAME
    path = write_pose_nwb(tmp_path / "a_ind1.nwb", animal, SCORER, fps=10.0, session_description="t", video=tmp_path / "a.mp4")
    read = read_pose_nwb(path)
    np.testing.assert_allclose(read.timestamps, np.arange(100, 124, 2) / 10.0)
    np.testing.assert_array_equal(read.animal.frame_indices, np.arange(100, 124, 2))
    np.testing.assert_array_equal(read.animal.poses, poses[:, 0])


def test_without_pynwb_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynwb", None)  # import pynwb now raises ImportError
    with pytest.raises(MissingDependencyError, match=r"deeplabcut-torch\[nwb\]"):
        require_nwb()
