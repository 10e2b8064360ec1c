"""Stitching tracklets into n_tracks tracks, and DeepLabCut's tracks file."""

import warnings

import numpy as np
import pandas as pd
import pytest

from deeplabcut.errors import ConfigError
from deeplabcut.tracking.evaluation import count_identity_switches, per_frame_error
from deeplabcut.formats.tracklets import frame_key, tracklet_header
from deeplabcut.formats.tracks import tracks_from_dataframe, write_tracks_h5
from deeplabcut.tracking.report import StitchingWarning, format_frame_ranges
from deeplabcut.tracking.stitch import TrackletStitcher, stitch_tracklet_dict
from deeplabcut.tracking.tracklet import Tracklet
from deeplabcut.tracking.tracklets import build_tracklets

INDIVIDUALS = ["mouse1", "mouse2", "mouse3"]


def _stitch_without_warning(tracklets, n_tracks, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", StitchingWarning)
        return stitch_tracklet_dict(tracklets, n_tracks, **kwargs)


@pytest.mark.parametrize("track_method, seed", [("ellipse", 0), ("ellipse", 7), ("box", 0), ("box", 5)])
def test_three_crossing_animals_give_three_tracks_without_identity_switches(
    scene_factory, bodyparts, inference_cfg, track_method, seed
):
    n_frames = 600
    scene = scene_factory(n_frames=n_frames, seed=seed, noise=1.0)
    tracklets = build_tracklets(scene.assemblies, inference_cfg, track_method, bodyparts, [], "DLC_s", n_frames)
    n_tracklets = len([k for k in tracklets if k != "header"])
    assert n_tracklets > 3  # dropouts broke the animals into pieces

    stitcher, report = _stitch_without_warning(tracklets, 3)
    assert report.ok and report.feasible
    df = stitcher.to_dataframe(individuals=INDIVIDUALS, num_frames=n_frames)
    tracks, individuals, parts = tracks_from_dataframe(df)
    assert tracks.shape == (n_frames, 3, len(bodyparts), 3)
    assert individuals == INDIVIDUALS and parts == bodyparts

    assert count_identity_switches(tracks[..., :2], scene.ground_truth) == 0
    errors = per_frame_error(tracks[..., :2], scene.ground_truth)
    # Gaussian noise of sd 1 px per axis: mean distance sd * sqrt(pi / 2) = 1.25 px.
    assert np.nanmean(errors) == pytest.approx(1.25, abs=0.1)
    assert np.nanmax(errors) < 7.0
    # Almost every detected animal ends up in a track (lost: each new track's first frame).
    detected = (~scene.absent).sum()
    in_tracks = np.isfinite(tracks[..., 0]).any(axis=-1).sum()
    assert in_tracks >= detected - 2 * n_tracklets


def test_dataframe_layout_and_tracks_h5_read_back(tmp_path, scene_factory, bodyparts, inference_cfg):
    n_frames = 120
    scene = scene_factory(n_frames=n_frames, seed=2)
    unique = {f: np.array([[5.0, 6.0, 0.8], [-1.0, -1.0, -1.0]]) for f in range(0, n_frames, 3)}
    tracklets = build_tracklets(
        scene.assemblies, inference_cfg, "ellipse", bodyparts, ["led", "corner"], "DLC_s", n_frames,
        unique_assemblies=unique,
    )
    stitcher, _ = _stitch_without_warning(tracklets, 3)
    df = stitcher.to_dataframe(num_frames=n_frames + 10)  # names from the header, default individuals

    assert df.columns.names == ["scorer", "individuals", "bodyparts", "coords"]
    assert df.index.tolist() == list(range(n_frames + 10))
    assert list(dict.fromkeys(df.columns.get_level_values("individuals"))) == ["ind1", "ind2", "ind3", "single"]
    assert set(df.columns.get_level_values("scorer")) == {"DLC_s"}
    assert df.columns[:3].tolist() == [
        ("DLC_s", "ind1", "snout", "x"), ("DLC_s", "ind1", "snout", "y"), ("DLC_s", "ind1", "snout", "likelihood")
    ]
    assert df.shape[1] == (3 * len(bodyparts) + 2) * 3
    single = df.xs("single", axis=1, level="individuals")
    assert single.loc[3, ("DLC_s", "led", "x")] == 5.0
    assert np.isnan(single.loc[4, ("DLC_s", "led", "x")])
    assert np.isnan(single.loc[3, ("DLC_s", "corner", "x")])  # padded -1 -> NaN
    assert df.iloc[n_frames:].isna().all().all()

    path = tmp_path / "videoDLC_s_el.h5"
    write_tracks_h5(df, path, save_as_csv=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["videoDLC_s_el.csv", "videoDLC_s_el.h5"]
    back = pd.read_hdf(path, "tracks")
    pd.testing.assert_frame_equal(back, df)
    csv = pd.read_csv(path.with_suffix(".csv"), header=[0, 1, 2, 3], index_col=0)
    np.testing.assert_allclose(csv.to_numpy(), df.to_numpy())


def test_given_individual_names_must_match_n_tracks_else_default_names(scene_factory, bodyparts, inference_cfg):
    scene = scene_factory(n_frames=60, seed=1)
    tracklets = build_tracklets(scene.assemblies, inference_cfg, "ellipse", bodyparts, [], "s", 60)
    stitcher, _ = _stitch_without_warning(tracklets, 3)
    names = stitcher.to_dataframe(individuals=["a", "b"]).columns.get_level_values("individuals")
    assert list(dict.fromkeys(names)) == ["ind1", "ind2", "ind3"]


def _tracklet_dict(pieces, n_bodyparts=3, scorer="s", num_frames=100):
    """{id: {frame key: (K, 4)}} with every keypoint near the given centre."""
    width = len(str(num_frames - 1))
    offsets = np.array([[-5.0, 0.0], [0.0, 0.0], [5.0, 2.0]])[:n_bodyparts]
    tracklets = {"header": tracklet_header(scorer, [f"bp{i}" for i in range(n_bodyparts)])}
    for tracklet_id, (frames, centre) in enumerate(pieces):
        entry = {}
        for f in frames:
            cx, cy = centre(f) if callable(centre) else centre
            data = np.zeros((n_bodyparts, 4))
            data[:, :2] = offsets + [cx, cy]
            data[:, 2] = 0.9
            data[:, 3] = -1
            entry[frame_key(f, width)] = data
        tracklets[tracklet_id] = entry
    return tracklets


def test_crowded_frames_warn_with_frames_and_still_give_n_tracks():
    pieces = [
        (range(0, 100), (10.0, 10.0)),
        (range(0, 100), (100.0, 10.0)),
        (range(0, 100), (200.0, 10.0)),
        (range(40, 60), (300.0, 10.0)),  # a fourth animal where only three exist
    ]
    with pytest.warns(StitchingWarning, match=r"Up to 4 tracklets overlap.*frames 40-59") as record:
        stitcher, report = stitch_tracklet_dict(_tracklet_dict(pieces), 3)
    assert "left out (20 frames: 40-59)" in str(record[0].message)
    assert not report.ok and not report.feasible
    assert report.crowded_frames.tolist() == list(range(40, 60))
    assert report.left_out == [(40, 59)]
    df = stitcher.to_dataframe()
    assert list(dict.fromkeys(df.columns.get_level_values("individuals"))) == ["ind1", "ind2", "ind3"]
    # The three real animals are kept, complete.
    tracks, _, _ = tracks_from_dataframe(df)
    assert np.isfinite(tracks[..., 0]).all()
    assert sorted(np.round(tracks[0, :, 1, 0])) == [10.0, 100.0, 200.0]


def test_too_few_tracklets_warn_and_give_empty_tracks():
    pieces = [(range(0, 50), (10.0, 10.0)), (range(0, 50), (100.0, 10.0))]
    with pytest.warns(StitchingWarning, match=r"Only 2 of 3 tracks.*track\(s\) \[3\] are all NaN") as record:
        stitcher, report = stitch_tracklet_dict(_tracklet_dict(pieces, num_frames=50), 3)
    message = str(record[0].message)
    assert "At most 2 animal(s) are detected in any one frame" in message
    assert "fewer than 3 tracks: 0-49" in message
    assert report.empty_tracks == [2] and report.too_few_animals
    tracks, individuals, _ = tracks_from_dataframe(stitcher.to_dataframe(num_frames=50))
    assert individuals == ["ind1", "ind2", "ind3"]
    assert np.isfinite(tracks[:, :2]).all() and np.isnan(tracks[:, 2]).all()


def test_more_tracks_than_animals_warns_even_when_the_flow_is_feasible():
    # Two animals, each in two pieces: four tracklets can form three chains, but a
    # third animal is never seen.
    pieces = [
        (range(0, 40), (10.0, 10.0)),
        (range(45, 90), (12.0, 10.0)),
        (range(0, 40), (200.0, 10.0)),
        (range(45, 90), (202.0, 10.0)),
    ]
    with pytest.warns(StitchingWarning, match="At most 2 animal"):
        _, report = stitch_tracklet_dict(_tracklet_dict(pieces), 3)
    assert report.feasible and not report.ok


def test_default_weight_links_nearest_and_custom_weight_func_is_used():
    pieces = [
        (range(0, 20), (0.0, 0.0)),  # A, first half
        (range(0, 20), (100.0, 0.0)),  # B, first half
        (range(25, 45), (2.0, 0.0)),  # near A
        (range(25, 45), (98.0, 0.0)),  # near B
    ]
    tracklets = _tracklet_dict(pieces, num_frames=45)
    stitcher, report = _stitch_without_warning(tracklets, 2)
    tracks = stitcher.tracks_array()
    assert report.ok
    np.testing.assert_allclose(tracks[30, :, 1, 0], [2.0, 98.0])  # ordered by start, then x

    calls = []

    def far_is_better(earlier, later):
        calls.append((earlier.start, later.start))
        assert earlier.end < later.start
        return 1000.0 - earlier.distance_to(later)

    stitcher, _ = _stitch_without_warning(tracklets, 2, weight_func=far_is_better)
    tracks = stitcher.tracks_array()
    assert sorted(set(calls)) == [(0, 25)]
    assert len(calls) == 4
    np.testing.assert_allclose(tracks[10, :, 1, 0], [0.0, 100.0])
    np.testing.assert_allclose(tracks[30, :, 1, 0], [98.0, 2.0])  # crossed over, as the weights ask


def test_identity_predictions_order_tracks_and_favour_same_identity_links():
    tracklets = _tracklet_dict(
        [
            (range(0, 20), (0.0, 0.0)),
            (range(0, 20), (60.0, 0.0)),
            (range(25, 45), (58.0, 0.0)),
            (range(25, 45), (2.0, 0.0)),
        ],
        num_frames=45,
    )
    identities = {0: 1, 1: 0, 2: 1, 3: 0}  # links against distance: 0 -> 2 and 1 -> 3
    for tracklet_id, identity in identities.items():
        for data in tracklets[tracklet_id].values():
            data[:, 3] = identity
    stitcher, _ = _stitch_without_warning(tracklets, 2)
    tracks = stitcher.tracks_array()
    # Track order follows identity: track 0 is identity 0 (tracklets 1 and 3).
    np.testing.assert_allclose(tracks[10, :, 1, 0], [60.0, 0.0])
    np.testing.assert_allclose(tracks[30, :, 1, 0], [2.0, 58.0])


def test_residuals_are_added_back_into_the_only_track_they_fit():
    pieces = [
        (range(0, 30), (0.0, 0.0)),
        (list(range(0, 12)) + list(range(16, 30)), (100.0, 0.0)),  # a gap of 4 frames
        (range(12, 16), (101.0, 0.0)),  # 4 frames: a residual, fits only track B
    ]
    stitcher, report = _stitch_without_warning(_tracklet_dict(pieces, num_frames=30), 2)
    assert report.n_residuals == 1 and report.left_out == []
    tracks = stitcher.tracks_array()
    assert np.isfinite(tracks[..., 0]).all()
    np.testing.assert_allclose(tracks[13, 1, 1, 0], 101.0)


def test_split_tracklets_cuts_at_gaps_and_min_length_makes_residuals():
    data = np.ones((30, 2, 3))
    inds = np.r_[0:10, 12:22, 25:35]
    with_split = TrackletStitcher([Tracklet(data, inds)], n_tracks=1, min_length=10, prestitch_residuals=False)
    assert [(t.start, t.end) for t in with_split.tracklets] == [(0, 9), (12, 21), (25, 34)]
    short = TrackletStitcher([Tracklet(data, inds)], n_tracks=1, min_length=11, prestitch_residuals=False)
    assert short.tracklets == [] and len(short.residuals) == 3
    unsplit = TrackletStitcher([Tracklet(data, inds)], n_tracks=1, split_tracklets=False)
    assert len(unsplit.tracklets) == 1 and len(unsplit.tracklets[0]) == 30


def test_all_nan_frames_are_dropped_and_bad_parameters_raise():
    data = np.ones((5, 2, 3))
    data[2, :, :2] = np.nan
    tracklet = Tracklet(data, np.arange(5)).without_empty_frames()
    assert tracklet.inds.tolist() == [0, 1, 3, 4]
    with pytest.raises(ConfigError, match="min_length"):
        TrackletStitcher([tracklet], n_tracks=1, min_length=2)
    with pytest.raises(ConfigError, match="n_tracks"):
        TrackletStitcher([tracklet], n_tracks=0)


def test_given_max_gap_is_a_hard_limit_unless_infeasible():
    pieces = [(range(0, 20), (0.0, 0.0)), (range(40, 60), (1.0, 0.0))]
    tracklets = _tracklet_dict(pieces, num_frames=60)
    _, report = _stitch_without_warning(tracklets, 1)  # default: int(1.5 * 21) frames
    assert report.long_links == [] and report.max_gap == 31
    with pytest.warns(StitchingWarning, match=r"longer than max_gap=5 frames \(last frame->first frame: 19->40\)"):
        stitcher, report = stitch_tracklet_dict(tracklets, 1, max_gap=5)
    assert not report.feasible
    assert np.isfinite(stitcher.tracks_array()[np.r_[0:20, 40:60], 0, 0, 0]).all()


def test_tracklet_geometry():
    data = np.zeros((3, 2, 3))
    data[:, 0, :2] = [[0, 0], [1, 0], [2, 0]]
    data[:, 1, :2] = [[0, 4], [1, 4], [2, 4]]
    data[:, 0, 2] = 0.75
    data[:, 1, 2] = 0.25
    tracklet = Tracklet(data, [7, 5, 6])  # sorted on construction
    assert tracklet.inds.tolist() == [5, 6, 7]
    np.testing.assert_allclose(tracklet.centroid[:, 1], [1.0, 1.0, 1.0])  # weighted towards y=0
    later = Tracklet(data + [10, 0, 0], [10, 11, 12])
    assert tracklet.time_gap_to(later) == 3 and later.time_gap_to(tracklet) == 3
    # Rows follow the sorted frames: frame 7 holds x=0 (tail), frame 10 x=10 (head).
    assert tracklet.distance_to(later) == pytest.approx(10.0)
    assert later.distance_to(tracklet) == pytest.approx(10.0)
    assert not tracklet.overlaps(later)
    assert len(tracklet + later) == 6


def test_format_frame_ranges():
    assert format_frame_ranges([3, 4, 5, 9, 11, 12]) == "3-5, 9, 11-12"
    assert format_frame_ranges([]) == "none"


def test_topktoretain_one_tracklets_stitch_into_one_track(scene_factory, bodyparts, inference_cfg):
    scene = scene_factory(n_frames=200, n_animals=1, seed=3)
    cfg = dict(inference_cfg, topktoretain=1)
    tracklets = build_tracklets(scene.assemblies, cfg, "ellipse", bodyparts, [], "s", 200)
    stitcher, report = _stitch_without_warning(tracklets, 1)
    tracks = stitcher.tracks_array(200)
    assert tracks.shape == (200, 1, len(bodyparts), 3)
    detected = ~scene.absent[:, 0]
    assert np.isfinite(tracks[detected, 0, :, 0]).any(axis=-1).all()  # every detected frame is kept
    assert np.isnan(tracks[~detected, 0]).all()
    assert np.nanmean(per_frame_error(tracks[..., :2], scene.ground_truth)) == pytest.approx(1.25, abs=0.15)


def test_no_detections_at_all_give_an_all_nan_frame_and_a_warning(bodyparts):
    tracklets = {"header": tracklet_header("s", bodyparts)}
    with pytest.warns(StitchingWarning, match="0 of 2 tracks"):
        stitcher, report = stitch_tracklet_dict(tracklets, 2)
    df = stitcher.to_dataframe(num_frames=5)
    assert df.shape == (5, 2 * len(bodyparts) * 3) and df.isna().all().all()


def test_a_long_sequence_is_tracked_and_stitched_quickly(scene_factory, bodyparts, inference_cfg):
    import time

    scene = scene_factory(n_frames=2000, seed=11, n_short_dropouts=12, n_long_absences=3)
    start = time.perf_counter()
    tracklets = build_tracklets(scene.assemblies, inference_cfg, "ellipse", bodyparts, [], "s", 2000)
    stitcher, report = _stitch_without_warning(tracklets, 3)
    elapsed = time.perf_counter() - start
    assert elapsed < 15  # about 0.5 s on one core; generous for shared machines
    assert count_identity_switches(stitcher.tracks_array(2000)[..., :2], scene.ground_truth) == 0
