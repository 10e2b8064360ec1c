"""Ellipse and box geometry, and the SORT track life cycle."""

import numpy as np
import pytest

from deeplabcut.errors import ConfigError
from deeplabcut.geometry import box_iou, keypoint_boxes
from deeplabcut.tracking.trackers import (
    SORTBox,
    SORTEllipse,
    boxes_to_measurements,
    ellipse_similarity,
    fit_ellipses,
    measurements_to_boxes,
)


def test_fit_ellipse_of_points_along_a_tilted_line_and_cross():
    # Four points on a 45-degree line plus two off it: covariance known in closed form.
    xy = np.array([[[0, 0], [1, 1], [2, 2], [3, 3], [1, 2], [2, 1]]], dtype=float)
    params, valid = fit_ellipses(xy)
    assert valid.tolist() == [True]
    cov = np.cov(xy[0].T)
    eigenvalues = np.linalg.eigvalsh(cov)
    np.testing.assert_allclose(params[0, :2], [1.5, 1.5])
    np.testing.assert_allclose(params[0, 2], 4 * np.sqrt(eigenvalues[1]))
    np.testing.assert_allclose(params[0, 3], 4 * np.sqrt(eigenvalues[0]))
    np.testing.assert_allclose(params[0, 4], np.pi / 4)


def test_fit_ellipse_ignores_nan_and_needs_three_points():
    xy = np.array(
        [
            [[0, 0], [10, 0], [20, 0], [np.nan, np.nan]],  # horizontal, 3 points
            [[0, 0], [0, 10], [np.nan, 5], [np.nan, np.nan]],  # only 2 finite points
        ]
    )
    params, valid = fit_ellipses(xy)
    assert valid.tolist() == [True, False]
    np.testing.assert_allclose(params[0], [10, 0, 4 * 10, 0, 0], atol=1e-12)
    assert np.isnan(params[1]).all()


def test_ellipse_similarity_known_values():
    a = np.array([[0, 0, 40, 20, 0.0]])
    b = np.array([[0, 0, 40, 20, 0.0], [20, 0, 40, 20, np.pi / 2], [100, 0, 40, 20, 0.0]])
    similarity = ellipse_similarity(a, b)[0]
    # identical -> 1; half an axis away and perpendicular -> c = 0.5, 0.8 * 0.5 + 0; far -> 0
    np.testing.assert_allclose(similarity, [1.0, 0.4, 0.0], atol=1e-12)


def test_box_helpers():
    xy = np.array([[[10, 20], [30, 60], [np.nan, np.nan]]])
    boxes = keypoint_boxes(xy, margin=5)
    np.testing.assert_allclose(boxes, [[5, 15, 35, 65]])
    z = boxes_to_measurements(boxes)
    np.testing.assert_allclose(z, [[20, 40, 30 * 50, 30 / 50]])
    np.testing.assert_allclose(measurements_to_boxes(z), boxes)
    iou = box_iou(np.array([[0, 0, 10, 10]]), np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]]))
    np.testing.assert_allclose(iou, [[1.0, 50 / 150, 0.0]])


def _pose(cx, cy):
    template = np.array([[20, 0], [10, -6], [10, 6], [0, 0], [-20, 0]], dtype=float)
    return template + [cx, cy]


def test_sort_ellipse_keeps_ids_for_moving_animals_in_shuffled_order():
    tracker = SORTEllipse(max_age=1, min_hits=1, iou_threshold=0.6)
    ids_of_animal = {0: set(), 1: set()}
    for t in range(30):
        poses = np.stack([_pose(100 + 2 * t, 100), _pose(300 - 2 * t, 300)])
        order = [1, 0] if t % 2 else [0, 1]
        rows = tracker.track(poses[order])
        assert len(rows) == 2
        for track_id, detection in rows:
            ids_of_animal[order[detection]].add(int(track_id))
    assert ids_of_animal == {0: {0}, 1: {1}}


def test_sort_track_life_cycle_follows_deeplabcut_rules():
    tracker = SORTEllipse(max_age=1, min_hits=1, iou_threshold=0.6)
    a, b = _pose(100, 100), _pose(400, 400)
    # Frame 1: reported at once (frame count <= min_hits).
    assert tracker.track(a[None]).tolist() == [[0, 0]]
    # Frame 2: a second animal appears; its new track is not reported yet (hit streak 0).
    assert tracker.track(np.stack([a, b])).tolist() == [[0, 0]]
    # Frame 3: both reported.
    assert tracker.track(np.stack([a, b])).tolist() == [[0, 0], [1, 1]]
    # Frames 4-5: b is missing; its track survives one frame (max_age=1), then is deleted.
    assert tracker.track(a[None]).tolist() == [[0, 0]]
    assert tracker.track(a[None]).tolist() == [[0, 0]]
    assert tracker.track_ids.tolist() == [0]
    # b comes back: a new id, reported from its second frame.
    assert tracker.track(np.stack([a, b])).tolist() == [[0, 0]]
    assert tracker.track(np.stack([a, b])).tolist() == [[0, 0], [2, 1]]


def test_track_survives_a_one_frame_dropout_with_its_id():
    tracker = SORTEllipse(max_age=1, min_hits=1, iou_threshold=0.6)
    for t in range(5):
        tracker.track(_pose(100 + t, 100)[None])
    assert tracker.track(np.zeros((0, 5, 2))).tolist() == []
    assert tracker.track(_pose(106, 100)[None]).tolist() == [[0, 0]]


def test_animals_with_too_few_points_are_skipped_but_indices_stay_right():
    tracker = SORTEllipse(max_age=1, min_hits=0, iou_threshold=0.6)
    sparse = np.full((5, 2), np.nan)
    sparse[:2] = [[0, 0], [1, 1]]
    rows = tracker.track(np.stack([sparse, _pose(50, 50)]))
    assert rows.tolist() == [[0, 1]]


def test_sort_box_tracks_boxes_and_is_deterministic():
    def run():
        tracker = SORTBox(max_age=1, min_hits=1, iou_threshold=0.3)
        out = []
        for t in range(20):
            boxes = np.array([[10 + t, 10, 50 + t, 40], [200 - t, 100, 240 - t, 140]], dtype=float)
            out.append(tracker.track(boxes[::-1] if t % 3 == 1 else boxes))
        return out

    first, second = run(), run()
    assert all(np.array_equal(x, y) for x, y in zip(first, second))
    # Track 0 always follows the box starting at x=10.
    for t, rows in enumerate(first):
        detection_of_track0 = dict(rows.tolist())[0]
        assert detection_of_track0 == (1 if t % 3 == 1 else 0)


def test_invalid_parameters_raise_config_errors():
    with pytest.raises(ConfigError, match="max_age"):
        SORTEllipse(max_age=-1, min_hits=1, iou_threshold=0.6)
    with pytest.raises(ConfigError, match="min_hits"):
        SORTBox(max_age=1, min_hits=1.5, iou_threshold=0.3)
