"""build_tracklets writes DeepLabCut's tracklet-pickle dict."""

import os
import pickle

import numpy as np
import pandas as pd
import pytest

from deeplabcut.errors import ConfigError, MissingFileError
from deeplabcut.formats.tracklets import frame_key
from deeplabcut.tracking.tracklets import build_tracklets
from deeplabcut.utils.pickles import read_pickle, write_pickle


def test_tracklet_dict_layout(scene_factory, bodyparts, inference_cfg):
    scene = scene_factory(n_frames=150, seed=3)
    tracklets = build_tracklets(scene.assemblies, inference_cfg, "ellipse", bodyparts, [], "DLC_scorer", 150)
    header = tracklets["header"]
    assert isinstance(header, pd.MultiIndex)
    assert header.names == ["scorer", "bodyparts", "coords"]
    assert len(header) == 3 * len(bodyparts)
    assert header[:3].tolist() == [
        ("DLC_scorer", "snout", "x"), ("DLC_scorer", "snout", "y"), ("DLC_scorer", "snout", "likelihood")
    ]
    assert "single" not in tracklets  # no unique bodyparts
    ids = [k for k in tracklets if k != "header"]
    assert all(isinstance(k, int) for k in ids)
    assert len(ids) >= 3
    for tracklet_id in ids:
        for key, value in tracklets[tracklet_id].items():
            assert key.startswith("frame") and len(key) == len("frame") + 3  # 150 frames -> 3 digits
            assert value.shape == (len(bodyparts), 4)
    # Every frame's detections were assigned: 3 animals in most frames.
    per_frame = {}
    for tracklet_id in ids:
        for key in tracklets[tracklet_id]:
            per_frame[key] = per_frame.get(key, 0) + 1
    assert max(per_frame.values()) == 3
    assert per_frame["frame000"] == 3


def test_low_scores_and_padding_become_nan_and_empty_animals_are_dropped(bodyparts, inference_cfg):
    k = len(bodyparts)
    animal = np.column_stack([np.arange(k) * 5.0 + 100, np.arange(k) * 3.0 + 50, np.full(k, 0.9), -np.ones(k)])
    animal[1, 2] = 0.05  # below pcutoff
    animal[2] = -1  # padded keypoint
    empty = -np.ones((k, 4))
    only_low = animal.copy()
    only_low[:, 2] = 0.01
    assemblies = {f: np.stack([animal, empty, only_low]) for f in range(3)}
    tracklets = build_tracklets(assemblies, inference_cfg, "ellipse", bodyparts, [], "s", 3)
    ids = [key for key in tracklets if key != "header"]
    assert ids == [0]
    stored = tracklets[0]["frame0"]
    assert np.isnan(stored[1, :2]).all() and stored[1, 2] == pytest.approx(0.05)
    assert np.isnan(stored[2, :2]).all()
    np.testing.assert_allclose(stored[0], animal[0])


def test_unique_bodyparts_are_stored_under_single(scene_factory, bodyparts, inference_cfg):
    scene = scene_factory(n_frames=30, seed=1)
    unique = {f: np.array([[10.0 + f, 20.0, 0.9]]) for f in range(0, 30, 2)}
    tracklets = build_tracklets(
        scene.assemblies, inference_cfg, "ellipse", bodyparts, ["arena_corner"], "s", 30, unique_assemblies=unique
    )
    assert sorted(tracklets["single"]) == list(range(0, 30, 2))
    np.testing.assert_allclose(tracklets["single"][4], [[14.0, 20.0, 0.9]])
    assert tracklets["header"].get_level_values("bodyparts")[-1] == "arena_corner"
    # DeepLabCut's assemblies file keeps them under "single": that works too.
    with_single_key = dict(scene.assemblies, single=unique)
    again = build_tracklets(with_single_key, inference_cfg, "ellipse", bodyparts, ["arena_corner"], "s", 30)
    assert sorted(again["single"]) == sorted(tracklets["single"])


def test_topktoretain_one_keeps_first_assembly_as_tracklet_zero(scene_factory, bodyparts, inference_cfg):
    scene = scene_factory(n_frames=40, seed=2)
    cfg = dict(inference_cfg, topktoretain=1)
    tracklets = build_tracklets(scene.assemblies, cfg, "ellipse", bodyparts, [], "s", 40)
    assert [k for k in tracklets if k != "header"] == [0]
    frames = tracklets[0]
    assert all(isinstance(f, int) for f in frames)  # keyed by frame index, as DeepLabCut
    assert len(frames) == 40
    for f, stored in frames.items():
        first_real = next(a for a in scene.assemblies[f] if not (a[:, :3] < 0).all())
        low = ~(first_real[:, 2] >= cfg["pcutoff"])
        assert np.isnan(stored[low]).all()
        np.testing.assert_allclose(stored[~low], first_real[~low])


def test_single_bodypart_forces_box_tracker_with_slack(inference_cfg):
    assemblies = {}
    for f in range(20):
        assemblies[f] = np.array([[[10.0 + f, 10.0, 0.9, -1]], [[300.0 - f, 200.0, 0.9, -1]]])
    with pytest.warns(UserWarning, match="box"):
        tracklets = build_tracklets(assemblies, inference_cfg, "ellipse", ["centre"], [], "s", 20)
    ids = sorted(k for k in tracklets if k != "header")
    assert ids == [0, 1]  # a zero-slack box around one point could not be tracked
    assert len(tracklets[0]) == 20 and len(tracklets[1]) == 20
    xs = [tracklets[0][frame_key(f, 2)][0, 0] for f in range(20)]
    assert xs == [10.0 + f for f in range(20)]


def test_box_tracker_reports_every_detection_but_the_first_of_each_new_track(
    scene_factory, bodyparts, inference_cfg
):
    scene = scene_factory(n_frames=100, seed=4)
    tracklets = build_tracklets(scene.assemblies, inference_cfg, "box", bodyparts, [], "s", 100)
    ids = [k for k in tracklets if k != "header"]
    n_detected = int((~scene.absent).sum())
    n_created = max(ids) + 1  # ids count up from 0 in creation order
    # The 3 tracks of frame 0 are reported at once; any later track from its second frame on.
    assert sum(len(tracklets[k]) for k in ids) == n_detected - (n_created - 3)
    assert len(tracklets[0]) > 20


def test_progress_wrapper_sees_every_frame(scene_factory, bodyparts, inference_cfg):
    scene = scene_factory(n_frames=25, seed=0)
    seen = []

    def progress(frames):
        for f in frames:
            seen.append(f)
            yield f

    build_tracklets(scene.assemblies, inference_cfg, "ellipse", bodyparts, [], "s", 25, progress=progress)
    assert seen == list(range(25))


def test_unknown_track_method_is_a_config_error(scene_factory, bodyparts, inference_cfg):
    scene = scene_factory(n_frames=5)
    with pytest.raises(ConfigError, match="skeleton"):
        build_tracklets(scene.assemblies, inference_cfg, "skeleton", bodyparts, [], "s", 5)


def test_pickle_round_trip_is_atomic(tmp_path, scene_factory, bodyparts, inference_cfg):
    scene = scene_factory(n_frames=20)
    tracklets = build_tracklets(scene.assemblies, inference_cfg, "ellipse", bodyparts, [], "s", 20)
    path = tmp_path / "videoDLC_el.pickle"
    write_pickle(path, tracklets)
    assert os.listdir(tmp_path) == ["videoDLC_el.pickle"]  # no temporary file left behind
    with path.open("rb") as stream:
        plain = pickle.load(stream)
    loaded = read_pickle(path)
    assert plain.keys() == tracklets.keys() == loaded.keys()
    assert loaded["header"].equals(tracklets["header"])
    with pytest.raises(MissingFileError, match="missing.pickle"):
        read_pickle(tmp_path / "missing.pickle")


def test_two_bodyparts_use_the_box_tracker(inference_cfg):
    assemblies = {f: np.array([[[10.0 + f, 10.0, 0.9, -1], [20.0 + f, 30.0, 0.9, -1]]]) for f in range(10)}
    with pytest.warns(UserWarning, match="at least 3 bodyparts"):
        tracklets = build_tracklets(assemblies, inference_cfg, "ellipse", ["head", "tail"], [], "s", 10)
    assert len(tracklets[0]) == 10


def test_frames_beyond_num_frames_are_an_error(inference_cfg, bodyparts):
    assemblies = {12: np.zeros((1, len(bodyparts), 4))}
    with pytest.raises(ValueError, match="num_frames=10"):
        build_tracklets(assemblies, inference_cfg, "ellipse", bodyparts, [], "s", 10)


def test_identity_only_assigns_animals_to_tracklets_by_predicted_identity(inference_cfg):
    cfg = dict(inference_cfg, topktoretain=2)
    assemblies = {}
    for f in range(6):
        left = np.column_stack([[0.0, 5.0, 10.0], [0.0, 5.0, 0.0], [0.9] * 3, [1, 1, 0]])  # identity 1 (votes)
        right = np.column_stack([[90.0, 95.0, 99.0], [0.0, 5.0, 0.0], [0.9] * 3, [0, 0, 0]])  # identity 0
        assemblies[f] = np.stack([left, right] if f % 2 else [right, left])
    tracklets = build_tracklets(assemblies, cfg, "ellipse", ["a", "b", "c"], [], "s", 6, identity_only=True)
    assert sorted(k for k in tracklets if k != "header") == [0, 1]
    assert all(v[0, 0] == 90.0 for v in tracklets[0].values())
    assert all(v[0, 0] == 0.0 for v in tracklets[1].values())
