"""analyze_videos_converth5_to_csv / _to_nwb on a folder of videos and hand-written analysis files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deeplabcut.formats.analysis import predictions_dataframe, write_analysis
from deeplabcut.formats.skeleton import bones_dataframe, write_skeleton
from deeplabcut.formats.tracks import tracks_dataframe, write_tracks_h5
from deeplabcut.post_processing import analyze_videos_converth5_to_csv, analyze_videos_converth5_to_nwb
from deeplabcut.project.config import read_config, write_config
from deeplabcut.project.create import create_new_project

from conftest import write_video

SCORER = "DLC_Dekr16_testNov30shuffle1_snapshot_7"
FRAMES = 8


def make_folder(tmp_path: Path) -> tuple[Path, Path]:
    """videos/ with m1.mp4 (poses, tracks, skeleton files), m10.mp4 (none), a labeled video and a stranger .h5."""
    folder = tmp_path / "videos"
    folder.mkdir()
    write_video(folder / "m1.mp4", num_frames=FRAMES, fps=20)
    write_video(folder / "m10.mp4", num_frames=FRAMES, fps=20)
    write_video(folder / f"m1{SCORER}_p60_labeled.mp4", num_frames=2)
    rng = np.random.default_rng(0)
    single = rng.uniform(0, 60, (FRAMES, 1, 3, 3))
    write_analysis(predictions_dataframe(SCORER, ["snout", "neck", "tail"], single), folder / f"m1{SCORER}.h5")
    multi = rng.uniform(0, 60, (FRAMES, 2, 3, 3))
    write_tracks_h5(tracks_dataframe(SCORER, ["snout", "neck", "tail"], multi, ["mouse1", "mouse2"]), folder / f"m1{SCORER}_el.h5")
    write_skeleton(bones_dataframe(["snout_neck"], np.ones((FRAMES, 1, 3))), folder / f"m1{SCORER}_skeleton.h5")
    write_analysis(predictions_dataframe("someone", ["a"], np.ones((2, 1, 1, 3))), folder / "m1_notes.h5")
    config = Path(create_new_project("conv", "me", [folder / "m1.mp4"], working_directory=tmp_path))
    cfg = read_config(config)
    cfg["bodyparts"] = ["snout", "neck", "tail"]
    cfg["skeleton"] = [["snout", "neck"], ["neck", "tail"]]
    write_config(config, cfg)
    return folder, config


def test_every_deeplabcut_h5_of_the_videos_gets_a_csv(tmp_path):
    folder, _ = make_folder(tmp_path)
    written = analyze_videos_converth5_to_csv(folder, videotype=".mp4")
    assert sorted(p.name for p in written) == sorted(
        [f"m1{SCORER}.csv", f"m1{SCORER}_el.csv", f"m1{SCORER}_skeleton.csv"]
    )
    assert not (folder / "m1_notes.csv").exists()  # not a DeepLabCut analysis file
    back = pd.read_csv(folder / f"m1{SCORER}_el.csv", header=[0, 1, 2, 3], index_col=0)
    original = pd.read_hdf(folder / f"m1{SCORER}_el.h5", "tracks")
    np.testing.assert_allclose(back.to_numpy(), original.to_numpy())
    # a list of videos works the same (listofvideos=True)
    assert len(analyze_videos_converth5_to_csv([folder / "m1.mp4"], listofvideos=True)) == 3


def test_nwb_files_per_animal_with_times_from_the_videos_fps(tmp_path):
    pytest.importorskip("pynwb")
    pytest.importorskip("ndx_pose")
    from deeplabcut.formats.nwb import read_pose_nwb

    folder, config = make_folder(tmp_path)
    written = analyze_videos_converth5_to_nwb(config, folder, videotype=".mp4")
    assert sorted(p.name for p in written) == sorted(
        [f"m1{SCORER}_ind1.nwb", f"m1{SCORER}_el_mouse1.nwb", f"m1{SCORER}_el_mouse2.nwb"]
    )  # skeleton tables are not poses
    read = read_pose_nwb(folder / f"m1{SCORER}_el_mouse2.nwb")
    tracks = pd.read_hdf(folder / f"m1{SCORER}_el.h5", "tracks")
    np.testing.assert_array_equal(read.dataframe().to_numpy(), tracks.xs("mouse2", level="individuals", axis=1).to_numpy())
    np.testing.assert_allclose(read.timestamps, np.arange(FRAMES) / 20.0)
    assert read.scorer == f"{SCORER}_el" and read.animal.edges == [(0, 1), (1, 2)]
