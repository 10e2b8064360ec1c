"""Identity switches and keypoint errors against hand-made ground truth."""

import numpy as np
import pytest

from deeplabcut.tracking.evaluation import count_identity_switches, match_tracks, per_frame_error


def _ground_truth(n_frames=10):
    """Two animals of two keypoints, at x=0 and x=100, moving down 1 px per frame."""
    truth = np.zeros((n_frames, 2, 2, 2))
    for f in range(n_frames):
        truth[f, 0] = [[0, f], [5, f]]
        truth[f, 1] = [[100, f], [105, f]]
    return truth


def test_perfect_tracks_have_no_switches_and_zero_error():
    truth = _ground_truth()
    assert count_identity_switches(truth, truth) == 0
    np.testing.assert_allclose(per_frame_error(truth, truth), 0.0)
    assert match_tracks(truth, truth).tolist() == [[0, 1]] * 10


def test_a_swap_counts_once_per_track():
    truth = _ground_truth()
    predicted = truth.copy()
    predicted[5:] = truth[5:, ::-1]  # tracks exchange animals from frame 5 on
    assert count_identity_switches(predicted, truth) == 2
    predicted[8:] = truth[8:]  # and back at frame 8
    assert count_identity_switches(predicted, truth) == 4


def test_track_order_does_not_matter_only_changes_do():
    truth = _ground_truth()
    predicted = truth[:, ::-1].copy()  # track 0 follows animal 1 throughout
    assert count_identity_switches(predicted, truth) == 0
    assert match_tracks(predicted, truth)[0].tolist() == [1, 0]


def test_missing_frames_are_skipped_not_switches():
    truth = _ground_truth()
    predicted = truth.copy()
    predicted[3:6, 0] = np.nan  # track 0 lost for three frames, back on the same animal
    assert count_identity_switches(predicted, truth) == 0
    predicted[6:, 0] = truth[6:, 1]  # ...but when it comes back on the other animal:
    predicted[6:, 1] = np.nan
    assert count_identity_switches(predicted, truth) == 1


def test_nan_aware_matching_uses_shared_keypoints_and_extra_tracks():
    truth = _ground_truth(4)
    predicted = np.full((4, 3, 2, 2), np.nan)
    predicted[:, 0, 0] = truth[:, 1, 0] + [3, 4]  # only the first keypoint, 5 px off animal 1
    predicted[:, 2] = truth[:, 0]  # a third track on animal 0
    matches = match_tracks(predicted, truth)
    assert matches.tolist() == [[1, -1, 0]] * 4
    errors = per_frame_error(predicted, truth)
    assert errors.shape == (4, 2, 2)
    np.testing.assert_allclose(errors[:, 1, 0], 5.0)
    assert np.isnan(errors[:, 1, 1]).all()
    np.testing.assert_allclose(errors[:, 0], 0.0)


def test_max_distance_leaves_far_tracks_unmatched():
    truth = _ground_truth(3)
    predicted = truth + [50.0, 0.0]
    assert match_tracks(predicted, truth, max_distance=10).tolist() == [[-1, -1]] * 3
    assert np.isnan(per_frame_error(predicted, truth, max_distance=10)).all()
    assert count_identity_switches(predicted, truth, max_distance=10) == 0


def test_shape_mismatch_is_reported():
    with pytest.raises(ValueError, match="same number of frames"):
        count_identity_switches(np.zeros((3, 1, 2, 2)), np.zeros((4, 1, 2, 2)))
