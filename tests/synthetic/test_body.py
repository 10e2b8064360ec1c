"""The animal's geometry: keypoints sit where the drawn parts are, in float pixels."""

import numpy as np
import pytest

from deeplabcut.synthetic import body
from deeplabcut.synthetic.body import CANONICAL_BODYPARTS, BodyState, body_keypoints, body_polygons, cover_circles

INDEX = {name: i for i, name in enumerate(CANONICAL_BODYPARTS)}


def state(center=(100.0, 80.0), heading=0.0, bend=0.0, tail_wag=0.0, gait=0.0, length=50.0) -> BodyState:
    return BodyState(
        center=np.array(center, dtype=float),
        heading=np.array(heading, dtype=float),
        bend=np.array(bend, dtype=float),
        tail_wag=np.array(tail_wag, dtype=float),
        gait_phase=np.array(gait, dtype=float),
        length=np.array(length, dtype=float),
    )


def random_states(n: int, seed: int = 0) -> BodyState:
    rng = np.random.default_rng(seed)
    return BodyState(
        center=rng.uniform(50, 200, (n, 2)),
        heading=rng.uniform(-np.pi, np.pi, n),
        bend=rng.uniform(-1.1, 1.1, n),
        tail_wag=rng.uniform(-0.7, 0.7, n),
        gait_phase=rng.uniform(0, 2 * np.pi, n),
        length=rng.uniform(20, 60, n),
    )


def test_canonical_bodyparts_run_along_the_animal():
    assert CANONICAL_BODYPARTS[:11] == (
        "snout", "leftear", "rightear", "neck", "spine1", "spine2",
        "tailbase", "tail1", "tailtip", "leftpaw", "rightpaw",
    )
    assert len(set(CANONICAL_BODYPARTS)) == len(CANONICAL_BODYPARTS)


def test_straight_body_facing_east_has_spine_on_the_x_axis():
    keypoints = body_keypoints(state(center=(100, 80), heading=0.0, length=50))
    assert keypoints.shape == (len(CANONICAL_BODYPARTS), 2)
    # Snout is the tip of the head ellipse: half a body length ahead of the centre.
    np.testing.assert_allclose(keypoints[INDEX["snout"]], [125.0, 80.0], atol=1e-9)
    np.testing.assert_allclose(keypoints[INDEX["tailbase"]], [75.0, 80.0], atol=1e-9)
    np.testing.assert_allclose(keypoints[INDEX["neck"]], [100 + 50 * body.NECK, 80.0], atol=1e-9)
    np.testing.assert_allclose(keypoints[INDEX["tail1"]], [75 - 50 * body.TAIL_LENGTH / 2, 80.0], atol=1e-9)
    np.testing.assert_allclose(keypoints[INDEX["tailtip"]], [75 - 50 * body.TAIL_LENGTH, 80.0], atol=1e-9)
    # Facing east (+x) seen from above, the animal's left is up the image (smaller y).
    assert keypoints[INDEX["leftear"], 1] < 80 < keypoints[INDEX["rightear"], 1]
    assert keypoints[INDEX["leftpaw"], 1] < 80 < keypoints[INDEX["rightpaw"], 1]
    assert keypoints[INDEX["lefthindpaw"], 1] < 80 < keypoints[INDEX["righthindpaw"], 1]
    # Ears are mirror images of each other.
    np.testing.assert_allclose(keypoints[INDEX["leftear"], 0], keypoints[INDEX["rightear"], 0])
    np.testing.assert_allclose(keypoints[INDEX["leftear"], 1] - 80, 80 - keypoints[INDEX["rightear"], 1])


def test_keypoints_rotate_and_translate_with_the_body():
    base = body_keypoints(state(center=(0, 0), heading=0.0, bend=0.4, tail_wag=-0.3, gait=1.0))
    angle = 0.7
    moved = body_keypoints(state(center=(30, -12), heading=angle, bend=0.4, tail_wag=-0.3, gait=1.0))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    np.testing.assert_allclose(moved, base @ rotation.T + [30, -12], atol=1e-9)


def test_bent_spine_lies_on_a_circle_of_radius_length_over_bend():
    bend, length = 0.8, 40.0
    keypoints = body_keypoints(state(center=(0, 0), heading=0.0, bend=bend, length=length))
    radius = length / bend
    # Positive bend turns towards the animal's left, i.e. up the image when facing east.
    circle_center = np.array([0.0, -radius])
    spine = keypoints[[INDEX[n] for n in ("neck", "spine1", "spine2", "tailbase")]]
    np.testing.assert_allclose(np.linalg.norm(spine - circle_center, axis=1), radius, rtol=1e-9)
    assert keypoints[INDEX["snout"], 1] < 0  # head curls to the left


def test_straight_limit_is_continuous():
    straight = body_keypoints(state(bend=0.0, tail_wag=0.0))
    almost = body_keypoints(state(bend=1e-9, tail_wag=-1e-9))
    np.testing.assert_allclose(straight, almost, atol=1e-6)


def test_gait_moves_only_the_paws():
    still = body_keypoints(state(gait=0.0))
    stepping = body_keypoints(state(gait=np.pi / 2))
    paws = [INDEX[n] for n in ("leftpaw", "rightpaw", "lefthindpaw", "righthindpaw")]
    others = [i for i in range(len(CANONICAL_BODYPARTS)) if i not in paws]
    np.testing.assert_allclose(still[others], stepping[others])
    assert np.all(np.linalg.norm(still[paws] - stepping[paws], axis=1) > 1.0)


def test_functions_broadcast_over_leading_shape():
    states = random_states(12).__getitem__(np.arange(12).reshape(3, 4))
    assert states.shape == (3, 4)
    assert body_keypoints(states).shape == (3, 4, len(CANONICAL_BODYPARTS), 2)
    polygons = body_polygons(states)
    assert polygons["paws"].shape[:3] == (3, 4, 4)
    assert polygons["ears"].shape[:3] == (3, 4, 2)
    centers, radii = cover_circles(states)
    assert centers.shape[:2] == (3, 4) and radii.shape == centers.shape[:-1]


def test_part_keypoints_are_centres_of_their_drawn_discs():
    s = random_states(20, seed=3)
    keypoints = body_keypoints(s)
    polygons = body_polygons(s)
    np.testing.assert_allclose(polygons["nose"].mean(-2), keypoints[:, INDEX["snout"]], atol=1e-9)
    ears = [INDEX["leftear"], INDEX["rightear"]]
    np.testing.assert_allclose(polygons["ears"].mean(-2), keypoints[:, ears], atol=1e-9)
    paws = [INDEX[n] for n in ("leftpaw", "rightpaw", "lefthindpaw", "righthindpaw")]
    np.testing.assert_allclose(polygons["paws"].mean(-2), keypoints[:, paws], atol=1e-9)
    np.testing.assert_allclose(polygons["spine1_spot"].mean(-2), keypoints[:, INDEX["spine1"]], atol=1e-9)
    np.testing.assert_allclose(polygons["tail_ring"].mean(-2), keypoints[:, INDEX["tail1"]], atol=1e-9)
    # The snout is the front-most vertex region of the head ellipse.
    head_tip = polygons["head"][:, 0]
    np.testing.assert_allclose(head_tip, keypoints[:, INDEX["snout"]], atol=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_cover_circles_contain_everything_drawn(seed):
    s = random_states(200, seed)
    centers, radii = cover_circles(s)
    for part, polygons in body_polygons(s).items():
        points = polygons.reshape(200, -1, 2)
        distance = np.linalg.norm(points[:, :, None, :] - centers[:, None, :, :], axis=-1)
        inside_any = (distance <= radii[:, None, :] + 1e-9).any(-1)
        assert inside_any.all(), f"{part} sticks out of the cover circles"
