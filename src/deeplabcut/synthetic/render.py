"""Drawing the arena, the animals and the objects with anti-aliased OpenCV polygons.

Images are RGB ``uint8`` arrays ``(height, width, 3)``. Shapes are drawn with
sub-pixel precision (OpenCV fixed point with :data:`SHIFT` fractional bits,
anti-aliased), so a keypoint at a float position is the centre of the drawn
part to within about 0.2 pixel (OpenCV's anti-aliased fill is off by up to
0.04 px horizontally and 0.16 px vertically). Every animal looks the same (identity is not visible); only the
body length differs a little between animals.
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np

from deeplabcut.synthetic.body import disc_polygon

#: Fractional bits of the fixed-point coordinates given to OpenCV (1/16 pixel).
SHIFT = 4
_SCALE = float(1 << SHIFT)

FLOOR_RGB = (192, 186, 172)
WALL_RGB = (112, 110, 104)
FUR_RGB = (108, 88, 72)
HEAD_RGB = (124, 102, 84)
EAR_RGB = (58, 42, 38)
NOSE_RGB = (238, 128, 150)
PAW_RGB = (232, 172, 164)
TAIL_RGB = (180, 138, 130)
TAIL_RING_RGB = (112, 76, 72)
STRIPE_RGB = (82, 64, 52)
COLLAR_RGB = (176, 158, 136)
SPOT_RGB = (48, 36, 30)

#: Fill colour of each body polygon (keys of :func:`deeplabcut.synthetic.body.body_polygons`), in drawing order.
BODY_COLORS: dict[str, tuple[int, int, int]] = {
    "trunk": FUR_RGB,
    "paws": PAW_RGB,
    "stripe": STRIPE_RGB,
    "collar": COLLAR_RGB,
    "spine1_spot": SPOT_RGB,
    "spine2_spot": SPOT_RGB,
    "head": HEAD_RGB,
    "ears": EAR_RGB,
    "nose": NOSE_RGB,
}
#: Drawn for every animal before any body, so a tail never covers another animal.
TAIL_COLORS: dict[str, tuple[int, int, int]] = {"tail": TAIL_RGB, "tail_ring": TAIL_RING_RGB}


def to_fixed_point(polygons: np.ndarray) -> np.ndarray:
    """Float pixel polygons ``(..., n, 2)`` as OpenCV fixed-point ``int32`` (use with ``shift=SHIFT``)."""
    return np.round(polygons * _SCALE).astype(np.int32)


def fill(image: np.ndarray, polygon: np.ndarray, color: tuple[int, int, int]) -> None:
    """Fill one fixed-point polygon ``(n, 2)`` (or a stack ``(m, n, 2)``, one by one) in place, anti-aliased."""
    if polygon.ndim == 3:
        for single in polygon:
            cv2.fillPoly(image, [single], color, cv2.LINE_AA, SHIFT)
    else:
        cv2.fillPoly(image, [polygon], color, cv2.LINE_AA, SHIFT)


def render_background(frame_size: tuple[int, int], wall_width: float, rng: np.random.Generator) -> np.ndarray:
    """A textured arena floor: smooth multi-scale noise, floor tiles, a vignette and a wall band.

    Args:
        frame_size: ``(height, width)`` pixels.
        wall_width: width of the darker wall band along the border, pixels.
        rng: randomness for the texture.

    Returns:
        RGB ``uint8`` image ``(height, width, 3)``.
    """
    height, width = frame_size
    short_side = min(height, width)
    texture = np.zeros((height, width), dtype=np.float32)
    for cell_fraction, amplitude in ((0.25, 9.0), (0.07, 5.0), (0.02, 3.0)):
        cell = max(2.0, cell_fraction * short_side)
        grid = rng.standard_normal((int(np.ceil(height / cell)) + 2, int(np.ceil(width / cell)) + 2)).astype(np.float32)
        texture += amplitude * cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
    # Faint tile seams.
    tile = max(8, short_side // 4)
    seams = np.zeros((height, width), dtype=np.float32)
    for x in range(tile // 2, width, tile):
        cv2.line(seams, (x, 0), (x, height - 1), 1.0, 1, cv2.LINE_AA)
    for y in range(tile // 2, height, tile):
        cv2.line(seams, (0, y), (width - 1, y), 1.0, 1, cv2.LINE_AA)
    texture -= 7.0 * seams
    # Vignette: darker towards the corners.
    ys = np.linspace(-1, 1, height, dtype=np.float32)[:, None]
    xs = np.linspace(-1, 1, width, dtype=np.float32)[None, :]
    vignette = 1.0 - 0.12 * (xs**2 + ys**2)
    floor = np.asarray(FLOOR_RGB, dtype=np.float32)
    tint = rng.normal(0, 3, 3).astype(np.float32)
    image = floor[None, None, :] * vignette[..., None] + texture[..., None] + tint
    # Wall band with a soft shadow on the floor side.
    columns = np.arange(width, dtype=np.float32)
    rows = np.arange(height, dtype=np.float32)
    distance_to_border = np.minimum(
        np.minimum(columns, width - 1 - columns)[None, :], np.minimum(rows, height - 1 - rows)[:, None]
    )
    wall = np.clip(wall_width + 0.5 - distance_to_border, 0, 1)[..., None]
    shadow = np.clip(1 - (distance_to_border - wall_width) / (0.6 * wall_width + 1), 0, 1)[..., None]
    image = image * (1 - 0.15 * shadow * (1 - wall))
    wall_color = np.asarray(WALL_RGB, dtype=np.float32) + 0.5 * texture[..., None]
    image = image * (1 - wall) + wall_color * wall
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def _disc(center: np.ndarray, radius: float) -> np.ndarray:
    """Fixed-point polygon of a disc (pixels in, OpenCV fixed point out)."""
    return to_fixed_point(disc_polygon(np.asarray(center, dtype=np.float64), np.asarray(radius, dtype=np.float64), 28))


def draw_object(image: np.ndarray, name: str, center: np.ndarray, radius: float, angle: float = 0.0) -> None:
    """Draw the arena object ``name`` centred on ``center`` (its keypoint), in place.

    ``radius`` (pixels) is the object's extent; ``angle`` (radians) turns shapes that have an orientation.
    """
    center = np.asarray(center, dtype=np.float64)
    if name == "food":
        fill(image, _disc(center, radius), (206, 164, 64))
        for k in range(5):
            phi = angle + 2 * np.pi * k / 5
            pellet = center + 0.55 * radius * np.array([np.cos(phi), np.sin(phi)])
            fill(image, _disc(pellet, 0.22 * radius), (150, 104, 40))
    elif name == "toy":
        k = np.arange(10)
        r = np.where(k % 2 == 0, radius, 0.45 * radius)
        phi = angle + np.pi * k / 5 - np.pi / 2
        star = center + np.stack([r * np.cos(phi), r * np.sin(phi)], axis=-1)
        fill(image, to_fixed_point(star), (200, 44, 48))
        fill(image, _disc(center, 0.2 * radius), (250, 214, 80))
    elif name == "lamp":
        fill(image, _disc(center, radius), (70, 70, 76))
        fill(image, _disc(center, 0.72 * radius), (252, 250, 226))
    elif name == "water":
        corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float64) * 0.8 * radius
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        fill(image, to_fixed_point(center + corners @ rotation.T), (56, 104, 196))
        fill(image, _disc(center, 0.3 * radius), (210, 230, 250))
    elif name == "nest":
        fill(image, _disc(center, radius), (146, 116, 62))
        fill(image, _disc(center, 0.5 * radius), (92, 70, 36))
    elif name == "ball":
        fill(image, _disc(center, 0.85 * radius), (58, 164, 78))
        fill(image, _disc(center, 0.25 * radius), (236, 246, 236))
    else:
        raise ValueError(f"Unknown arena object '{name}'.")


def draw_scene(
    image: np.ndarray,
    animal_polygons: list[Mapping[str, np.ndarray]],
    objects: list[tuple[str, np.ndarray, float, float]] = (),
) -> None:
    """Draw objects, then every tail, then every body onto ``image`` (RGB ``uint8``), in place.

    Args:
        animal_polygons: per animal, fixed-point polygons keyed as
            :data:`TAIL_COLORS` and :data:`BODY_COLORS` (see :func:`to_fixed_point`).
        objects: ``(name, center, radius, angle)`` of each arena object.
    """
    for name, center, radius, angle in objects:
        draw_object(image, name, center, radius, angle)
    for polygons in animal_polygons:
        for part, color in TAIL_COLORS.items():
            fill(image, polygons[part], color)
    for polygons in animal_polygons:
        for part, color in BODY_COLORS.items():
            fill(image, polygons[part], color)


#: Number of set bits of every 16-bit value: sums of random bits give fast binomial noise.
_POPCOUNT16 = np.unpackbits(np.arange(1 << 16, dtype=">u2").view(np.uint8)).reshape(-1, 16).sum(1).astype(np.int16)


def add_sensor_noise(image: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    """``image`` plus independent, nearly Gaussian noise per pixel and channel (a new array).

    The noise is binomial: the number of set bits among ``16 k`` random bits,
    centred, whose standard deviation is ``2 sqrt(k)`` grey levels; ``k`` is
    chosen so that this is as close to ``std`` as possible (``std = 2`` is exact).
    This is four times faster than drawing normal numbers. ``std <= 0`` adds none.
    """
    if std <= 0:
        return image.copy()
    words = max(1, round(std**2 / 4))
    bits = np.frombuffer(rng.bytes(2 * image.size * words), dtype=np.uint16).reshape((words,) + image.shape)
    noisy = _POPCOUNT16.take(bits[0])
    for extra in bits[1:]:
        noisy += _POPCOUNT16.take(extra)
    noisy += image
    noisy -= 8 * words
    np.clip(noisy, 0, 255, out=noisy)
    return noisy.astype(np.uint8)
