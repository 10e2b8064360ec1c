"""Drawing: sub-pixel accurate, anti-aliased parts on a textured arena, fast."""

import time

import numpy as np
import pytest

from deeplabcut.synthetic import render
from deeplabcut.synthetic.body import CANONICAL_BODYPARTS, BodyState, body_keypoints, body_polygons, disc_polygon
from deeplabcut.synthetic.render import add_sensor_noise, draw_scene, render_background, to_fixed_point

INDEX = {name: i for i, name in enumerate(CANONICAL_BODYPARTS)}


def one_animal(center=(64.0, 64.0), heading=0.3, length=40.0, bend=0.3, tail_wag=0.2, gait=0.5) -> BodyState:
    return BodyState(
        center=np.array(center), heading=np.array(heading), bend=np.array(bend), tail_wag=np.array(tail_wag),
        gait_phase=np.array(gait), length=np.array(length),
    )


def draw_on_grey(states: list[BodyState], size=(128, 128)) -> np.ndarray:
    image = np.full(size + (3,), 200, dtype=np.uint8)
    draw_scene(image, [{k: to_fixed_point(v) for k, v in body_polygons(s).items()} for s in states])
    return image


def test_disc_is_drawn_with_sub_pixel_accuracy():
    # OpenCV's anti-aliased fill is exact to about 0.03 px across and 0.16 px down.
    for center in ([10.0, 12.0], [10.5, 12.25], [10.3, 11.8], [10.9, 12.95]):
        image = np.zeros((24, 24), dtype=np.uint8)
        render.fill(image, to_fixed_point(disc_polygon(np.array(center), np.array(4.0), 40)), 255)
        weights = image.astype(float)
        ys, xs = np.mgrid[:24, :24]
        centroid = [(weights * xs).sum() / weights.sum(), (weights * ys).sum() / weights.sum()]
        np.testing.assert_allclose(centroid, center, atol=0.2)
        assert 0 < np.count_nonzero((image > 0) & (image < 255))  # anti-aliased edge


@pytest.mark.parametrize(
    "heading, bend, tail_wag, gait",
    [(0.3, 0.3, 0.2, 0.5), (2.0, -1.1, 0.7, 2.0), (-1.2, 1.1, -0.7, 4.0), (3.0, 0.0, 0.0, np.pi / 2)],
)
def test_each_part_has_its_colour_at_its_keypoint(heading, bend, tail_wag, gait):
    s = one_animal(heading=heading, bend=bend, tail_wag=tail_wag, gait=gait)
    image = draw_on_grey([s]).astype(int)
    keypoints = body_keypoints(s)

    def colour(name):
        x, y = np.round(keypoints[INDEX[name]]).astype(int)
        return image[y, x]

    def close(a, b, tolerance=40):
        return np.abs(np.asarray(a) - np.asarray(b)).max() <= tolerance

    assert close(colour("snout"), render.NOSE_RGB)
    assert close(colour("leftear"), render.EAR_RGB) and close(colour("rightear"), render.EAR_RGB)
    assert close(colour("spine1"), render.SPOT_RGB) and close(colour("spine2"), render.SPOT_RGB)
    assert close(colour("neck"), render.COLLAR_RGB)
    assert close(colour("tail1"), render.TAIL_RING_RGB)
    for paw in ("leftpaw", "rightpaw", "lefthindpaw", "righthindpaw"):
        assert close(colour(paw), render.PAW_RGB), paw
    # tailbase is where the trunk ends and the tail starts: both colours meet there.
    x, y = np.round(keypoints[INDEX["tailbase"]]).astype(int)
    around = image[y - 2 : y + 3, x - 2 : x + 3].reshape(-1, 3)
    assert any(close(c, render.TAIL_RGB, 25) for c in around) and any(close(c, render.FUR_RGB, 25) for c in around)
    x, y = np.round(keypoints[INDEX["tailtip"]]).astype(int)
    assert np.abs(image[y - 1 : y + 2, x - 1 : x + 2] - 200).max() > 20  # the thin tip is visible


def test_tails_are_drawn_under_every_body():
    # Two animals whose first one's tail crosses the second one's trunk: the trunk stays on top.
    first = one_animal(center=(80.0, 64.0), heading=0.0, length=50.0)
    second = one_animal(center=(40.0, 64.0), heading=np.pi / 2, length=50.0)
    image = draw_on_grey([first, second]).astype(int)
    x, y = np.round(body_keypoints(second)[INDEX["spine1"]] + [4, 0]).astype(int)  # on the trunk, off the stripe
    assert np.abs(image[y, x] - render.FUR_RGB).max() <= 30


def test_background_is_textured_fixed_for_a_seed_and_has_walls():
    a = render_background((96, 128), 4, np.random.default_rng(1))
    b = render_background((96, 128), 4, np.random.default_rng(1))
    c = render_background((96, 128), 4, np.random.default_rng(2))
    assert a.shape == (96, 128, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c).mean() > 1
    floor = a[20:76, 20:108].astype(float)
    assert floor.std() > 2  # texture, not a flat colour
    assert a[:2].mean() < floor.mean() - 30  # darker wall band


def test_sensor_noise_has_the_asked_spread_and_is_seeded():
    image = np.full((64, 64, 3), 100, dtype=np.uint8)
    noisy = add_sensor_noise(image, 2.0, np.random.default_rng(0)).astype(float) - 100
    assert abs(noisy.std() - 2.0) < 0.1 and abs(noisy.mean()) < 0.1
    again = add_sensor_noise(image, 2.0, np.random.default_rng(5))
    np.testing.assert_array_equal(add_sensor_noise(image, 2.0, np.random.default_rng(5)), again)
    np.testing.assert_array_equal(add_sensor_noise(image, 0.0, np.random.default_rng(5)), image)
    saturated = add_sensor_noise(np.full((8, 8, 3), 255, np.uint8), 4.0, np.random.default_rng(0))
    assert saturated.dtype == np.uint8 and saturated.min() >= 240


def test_drawing_a_frame_takes_a_few_milliseconds():
    from deeplabcut.synthetic.scene import make_scene

    scene = make_scene(num_animals=3, num_frames=40, frame_size=(256, 256), seed=0, num_objects=2)
    scene.render(0)  # builds the polygons of every frame once
    times = []
    for frame in range(40):
        start = time.perf_counter()
        scene.render(frame)
        times.append(time.perf_counter() - start)
    assert np.median(times) < 0.010
