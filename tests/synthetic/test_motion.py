"""Motion: smooth, seeded random walks that keep animals on the floor and apart."""

import numpy as np
import pytest

from deeplabcut.errors import ConfigError
from deeplabcut.synthetic.body import cover_circles
from deeplabcut.synthetic.motion import OBJECT_NAMES, Arena, MotionParameters, place_objects, simulate_animals

FPS = 30


def simulate(seed=0, num_frames=300, lengths=(50.0, 48.0, 52.0), size=(256, 256), objects=None):
    arena = Arena.for_frame(size)
    return arena, simulate_animals(num_frames, np.array(lengths), arena, FPS, np.random.default_rng(seed), objects)


@pytest.fixture(scope="module")
def walk():
    arena = Arena.for_frame((256, 256))
    objects = place_objects(OBJECT_NAMES[:2], arena, 300, FPS, np.random.default_rng(7))
    bodies = simulate_animals(300, np.array([50.0, 48.0, 52.0]), arena, FPS, np.random.default_rng(0), objects)
    return arena, objects, bodies


def gaps_between_animals(bodies):
    centers, radii = cover_circles(bodies)  # (F, A, C, 2), (F, A, C)
    distance = np.linalg.norm(centers[:, :, None, :, None, :] - centers[:, None, :, None, :, :], axis=-1)
    gap = (distance - radii[:, :, None, :, None] - radii[:, None, :, None, :]).min(axis=(3, 4))
    num_animals = gap.shape[1]
    gap[:, np.arange(num_animals), np.arange(num_animals)] = np.inf
    return gap  # (F, A, A)


def test_seeded_motion_is_reproducible_and_differs_between_seeds():
    _, a = simulate(seed=3, num_frames=60)
    _, b = simulate(seed=3, num_frames=60)
    _, c = simulate(seed=4, num_frames=60)
    np.testing.assert_array_equal(a.center, b.center)
    np.testing.assert_array_equal(a.heading, b.heading)
    assert np.abs(a.center - c.center).max() > 10


def test_everything_drawn_stays_on_the_floor(walk):
    arena, _, bodies = walk
    centers, radii = cover_circles(bodies)
    x_min, y_min, x_max, y_max = arena.floor_box
    assert (centers[..., 0] - radii).min() >= x_min - 1e-9
    assert (centers[..., 1] - radii).min() >= y_min - 1e-9
    assert (centers[..., 0] + radii).max() <= x_max + 1e-9
    assert (centers[..., 1] + radii).max() <= y_max + 1e-9


def test_animals_never_overlap_but_pass_close(walk):
    _, _, bodies = walk
    gap = gaps_between_animals(bodies)
    min_gap = MotionParameters().min_gap_lengths * bodies.length[0].min()
    assert gap.min() >= min_gap - 1e-6
    # Some pair comes within a quarter body length of touching at some point.
    assert gap.min() < 0.25 * bodies.length[0].mean()


def test_animals_keep_clear_of_objects(walk):
    _, objects, bodies = walk
    centers, radii = cover_circles(bodies)
    distance = np.linalg.norm(centers[..., None, :] - objects.keep_out_centers, axis=-1)
    gap = distance - radii[..., None] - objects.keep_out_radii
    assert gap.min() >= MotionParameters().min_gap_lengths * bodies.length.min() - 1e-6


def test_motion_is_smooth_and_keeps_going(walk):
    _, _, bodies = walk
    p = MotionParameters()
    lengths = bodies.length[0]
    step = np.linalg.norm(np.diff(bodies.center, axis=0), axis=-1)
    # Never faster than the top speed plus the small sideways push away from a neighbour.
    assert (step <= (p.max_speed_lengths_per_s + 2 * p.social_push_lengths_per_s) * lengths / FPS + 1e-9).all()
    turn = np.abs(np.diff(np.unwrap(bodies.heading, axis=0), axis=0))
    assert (turn <= p.max_turn_rate_per_s / FPS + 1e-9).all()
    # Each animal walks several body lengths in 10 s and is rarely stuck.
    assert (step.sum(0) > 3 * lengths).all()
    assert ((step < 1e-9).mean(0) < 0.2).all()
    # Bodies bend and tails wag, within their limits.
    assert np.abs(bodies.bend).max() <= p.max_bend + 1e-9
    assert np.abs(bodies.bend).max() > 0.2
    assert np.ptp(bodies.tail_wag) > 0.5


def test_objects_are_static_or_drift_slowly():
    arena = Arena.for_frame((256, 256))
    objects = place_objects(OBJECT_NAMES, arena, 300, FPS, np.random.default_rng(0))
    assert objects.positions.shape == (300, len(OBJECT_NAMES), 2)
    moved = np.linalg.norm(objects.positions - objects.positions[0], axis=-1).max(0)
    for name, distance in zip(OBJECT_NAMES, moved):
        if name in ("toy", "ball"):
            assert distance > 2
        else:
            assert distance == 0
    speed = np.linalg.norm(np.diff(objects.positions, axis=0), axis=-1)
    assert speed.max() < 0.5  # pixels per frame
    inside = np.linalg.norm(objects.positions - objects.keep_out_centers, axis=-1) + objects.radius
    assert (inside <= objects.keep_out_radii + 1e-9).all()
    with pytest.raises(ConfigError, match="unique bodyparts"):
        place_objects(tuple(f"o{i}" for i in range(9)), arena, 10, FPS, np.random.default_rng(0))


def test_too_many_animals_for_the_frame_is_a_clear_error():
    with pytest.raises(ConfigError, match="Cannot fit 12 animals"):
        simulate(num_frames=2, lengths=[60.0] * 12, size=(128, 128))
