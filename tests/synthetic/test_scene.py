"""A synthetic video in memory: reproducible frames and exact keypoints."""

import numpy as np
import pytest

from deeplabcut.errors import ConfigError
from deeplabcut.synthetic import CANONICAL_BODYPARTS, make_scene


@pytest.fixture(scope="module")
def scene():
    return make_scene(num_animals=2, num_frames=20, frame_size=(96, 128), seed=5, num_objects=1)


def test_scene_shapes(scene):
    assert scene.num_frames == 20 and scene.num_animals == 2
    assert scene.keypoints.shape == (20, 2, len(CANONICAL_BODYPARTS), 2)
    assert scene.objects.positions.shape == (20, 1, 2)
    image = scene.render(0)
    assert image.shape == (96, 128, 3) and image.dtype == np.uint8


def test_frames_do_not_depend_on_rendering_order(scene):
    forward = list(scene.frames([3, 7]))
    backward = list(scene.frames([7, 3]))
    np.testing.assert_array_equal(forward[0], backward[1])
    np.testing.assert_array_equal(forward[1], backward[0])
    # Sensor noise differs between frames even where nothing moves.
    assert not np.array_equal(scene.render(3)[:8, :8], scene.render(4)[:8, :8])


def test_same_seed_same_scene_other_seed_other_scene(scene):
    again = make_scene(num_animals=2, num_frames=20, frame_size=(96, 128), seed=5, num_objects=1)
    other = make_scene(num_animals=2, num_frames=20, frame_size=(96, 128), seed=6, num_objects=1)
    np.testing.assert_array_equal(again.keypoints, scene.keypoints)
    np.testing.assert_array_equal(again.render(11), scene.render(11))
    assert np.abs(other.keypoints - scene.keypoints).max() > 5


def test_animal_sizes_vary_mildly(scene):
    lengths = make_scene(num_animals=4, num_frames=2, frame_size=(256, 256), seed=0).bodies.length[0]
    assert lengths.std() > 0
    assert lengths.max() / lengths.min() < 1.2


def test_frame_outside_the_video_is_an_error(scene):
    with pytest.raises(IndexError):
        scene.render(20)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(num_animals=0), "num_individuals"),
        (dict(num_frames=0), "num_frames"),
        (dict(frame_size=(16, 16)), "too small"),
        (dict(num_objects=7), "num_unique_bodyparts"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    arguments = dict(num_animals=1, num_frames=2, frame_size=(64, 64))
    arguments.update(kwargs)
    with pytest.raises(ConfigError, match=message):
        make_scene(**arguments)


def test_frames_render_the_same_across_polygon_chunks():
    long = make_scene(num_animals=1, num_frames=300, frame_size=(64, 64), seed=0)
    late = long.render(280)
    long.render(3)
    np.testing.assert_array_equal(long.render(280), late)
    fresh = make_scene(num_animals=1, num_frames=300, frame_size=(64, 64), seed=0)
    np.testing.assert_array_equal(fresh.render(3), long.render(3))
