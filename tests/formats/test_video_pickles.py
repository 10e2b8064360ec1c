"""The pickles of analyze_videos: _full (candidates), _assemblies (animals), _meta (how it ran)."""

from __future__ import annotations

import pickle

import numpy as np

from deeplabcut.formats.video_pickles import (
    VideoAnalysisMetadata,
    read_assemblies_pickle,
    read_full_pickle,
    read_meta_pickle,
    write_assemblies_pickle,
    write_full_pickle,
    write_meta_pickle,
)

#: DeepLabCut's _meta.pickle keys, in its order.
META_KEYS = [
    "start", "stop", "run_duration", "Scorer", "pytorch-config", "fps", "batch_size", "frame_dimensions",
    "nframes", "iteration (active-learning)", "training set fraction", "cropping", "cropping_parameters",
    "individuals", "bodyparts", "unique_bodyparts",
]


def _predictions(frames: int = 12):
    rng = np.random.default_rng(4)
    poses = rng.uniform(0, 60, (frames, 3, 2, 3)).astype(np.float32)  # 3 animal slots, 2 bodyparts
    poses[:, 2] = -1  # the third slot is padding in every frame
    poses[5, 1] = -1
    unique = rng.uniform(0, 60, (frames, 1, 3)).astype(np.float32)
    return poses, unique


def test_full_pickle_layout_and_round_trip(tmp_path):
    poses, unique = _predictions()
    path = tmp_path / "videoDLC_s_full.pickle"
    write_full_pickle(path, poses, unique, ["a", "b", "led"])
    full = read_full_pickle(path)
    assert type(full) is dict and list(pickle.loads(path.read_bytes())) == list(full)  # plain pickle.load works
    assert list(full)[:3] == ["metadata", "frame00", "frame01"] and len(full) == 13
    metadata = full["metadata"]
    assert metadata["all_joints_names"] == ["a", "b", "led"] and metadata["all_joints"] == [[0], [1], [2]]
    assert metadata["nframes"] == 12 and metadata["key_str_width"] == 2 and metadata["sigma"] == 1
    frame = full["frame05"]
    assert set(frame) == {"coordinates", "confidence", "costs"} and frame["costs"] is None
    assert isinstance(frame["coordinates"], tuple) and len(frame["coordinates"]) == 1
    coordinates = frame["coordinates"][0]
    assert len(coordinates) == 3 and coordinates[0].shape == (3, 2) and coordinates[2].shape == (1, 2)
    assert frame["confidence"][1].shape == (3, 1) and coordinates[0].dtype == np.float64
    np.testing.assert_array_equal(coordinates[1], poses[5, :, 1, :2])
    np.testing.assert_array_equal(frame["confidence"][2], unique[5, :, 2:3])


def test_assemblies_pickle_round_trip(tmp_path):
    poses, unique = _predictions()
    path = tmp_path / "videoDLC_s_assemblies.pickle"
    write_assemblies_pickle(path, poses, unique)
    assemblies = read_assemblies_pickle(path)
    assert list(assemblies) == list(range(12)) + ["single"]
    assert assemblies[0].shape == (2, 2, 4) and assemblies[5].shape == (1, 2, 4)  # padding dropped
    np.testing.assert_array_equal(assemblies[0][..., :3], poses[0, :2])
    assert (assemblies[0][..., 3] == -1).all()  # no identity head
    np.testing.assert_array_equal(assemblies["single"][3], unique[3])
    write_assemblies_pickle(path, poses, unique[:, :0])
    assert "single" not in read_assemblies_pickle(path)


def test_meta_pickle_keys_and_round_trip(tmp_path):
    meta = VideoAnalysisMetadata(
        scorer="DLC_s", pytorch_config={"net_type": "dekr_16"}, fps=30.0, batch_size=8, frame_dimensions=(64, 48),
        nframes=12, iteration=0, train_fraction=0.95, cropping_parameters=[1, 60, 2, 40],
        individuals=["m1"], bodyparts=["a", "b"], unique_bodyparts=["led"], start=1.0, stop=3.5, run_duration=2.5,
    )
    path = tmp_path / "videoDLC_s_meta.pickle"
    write_meta_pickle(path, meta)
    raw = pickle.loads(path.read_bytes())
    assert list(raw) == ["data"] and list(raw["data"]) == META_KEYS
    assert raw["data"]["cropping"] is True and raw["data"]["Scorer"] == "DLC_s"
    assert read_meta_pickle(path) == meta
    uncropped = VideoAnalysisMetadata(**{**meta.__dict__, "cropping_parameters": None})
    write_meta_pickle(path, uncropped)
    written = pickle.loads(path.read_bytes())["data"]
    # DeepLabCut 3.0.2 (apis/videos.py::_generate_metadata) writes the whole frame when not cropping;
    # its create_labeled_video reads the four numbers either way.
    assert written["cropping"] is False and written["cropping_parameters"] == [0, 64, 0, 48]
    assert read_meta_pickle(path).cropping_parameters is None


def test_meta_pickle_values_have_deeplabcut_3s_types(tmp_path):
    """Types as DeepLabCut 3.0.2's ``_generate_metadata`` writes them (recorded facts, no DeepLabCut needed)."""
    meta = VideoAnalysisMetadata(
        scorer="DLC_DekrW32_tOct30shuffle1_snapshot_200", pytorch_config={"net_type": "dekr_w32"}, fps=29.97,
        batch_size=8, frame_dimensions=(np.int64(640), 480), nframes=np.int64(12), iteration=0,
        train_fraction=0.95, cropping_parameters=None, individuals=["individual_1"], bodyparts=["a"],
        unique_bodyparts=[], start=1.0, stop=3.5, run_duration=2.5,
    )
    path = tmp_path / "m_meta.pickle"
    write_meta_pickle(path, meta)
    data = pickle.loads(path.read_bytes())["data"]
    expected = {
        "start": float, "stop": float, "run_duration": float, "Scorer": str, "pytorch-config": dict,
        "fps": float, "batch_size": int, "frame_dimensions": tuple, "nframes": int,
        "iteration (active-learning)": int, "training set fraction": float, "cropping": bool,
        "cropping_parameters": list, "individuals": list, "bodyparts": list, "unique_bodyparts": list,
    }
    assert {key: type(value) for key, value in data.items()} == expected
    assert [type(value) for value in data["frame_dimensions"]] == [int, int] and data["frame_dimensions"] == (640, 480)
    assert [type(value) for value in data["cropping_parameters"]] == [int] * 4


def test_top_down_full_pickle_holds_each_frames_boxes_as_deeplabcut_3(tmp_path):
    """``bboxes`` (COCO ``[x, y, w, h]``) and ``bbox_scores`` of the boxes found; padding rows are left out."""
    poses, unique = _predictions()
    poses, unique = poses[:3], unique[:3]
    bboxes = np.full((3, 3, 4), -1.0)
    scores = np.full((3, 3), -1.0)
    bboxes[1, :2] = [[10, 20, 30, 60], [0, 0, 5, 5]]
    scores[1, :2] = [0.9, 0.4]
    path = tmp_path / "videoDLC_s_full.pickle"
    write_full_pickle(path, poses, unique[:, :0], ["a", "b"], bboxes, scores)
    full = read_full_pickle(path)
    assert full["frame0"]["bboxes"].shape == (0, 4) and full["frame0"]["bbox_scores"].shape == (0,)
    np.testing.assert_array_equal(full["frame1"]["bboxes"], [[10, 20, 20, 40], [0, 0, 5, 5]])
    np.testing.assert_array_equal(full["frame1"]["bbox_scores"], [0.9, 0.4])
    write_full_pickle(path, poses, unique[:, :0], ["a", "b"])
    assert "bboxes" not in read_full_pickle(path)["frame1"]  # bottom-up models: no boxes
