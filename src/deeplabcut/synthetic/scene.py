"""A synthetic video in memory: animals, objects, a fixed arena, and exact keypoints for every frame."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from deeplabcut.errors import ConfigError
from deeplabcut.synthetic.body import BodyState, body_keypoints, body_polygons
from deeplabcut.synthetic.motion import (
    MOVING_OBJECTS,
    OBJECT_NAMES,
    Arena,
    MotionParameters,
    ObjectTracks,
    place_objects,
    simulate_animals,
)
from deeplabcut.synthetic.render import add_sensor_noise, draw_scene, render_background, to_fixed_point

#: Body length (snout to tailbase) of an average animal, as a fraction of the frame's shorter side.
BODY_LENGTH_FRACTION = 0.2
#: Animals differ in size by up to this fraction either way.
SIZE_VARIATION = 0.08
#: Standard deviation of the per-frame sensor noise, grey levels.
SENSOR_NOISE_STD = 2.0

#: Frames whose polygons are built together when rendering.
_POLYGON_CHUNK_FRAMES = 256

# Independent random streams drawn from one seed, so that e.g. changing the
# number of objects does not change the floor texture.
_SIZES, _BACKGROUND, _OBJECTS, _MOTION, _NOISE = range(5)


@dataclass
class SyntheticScene:
    """Everything needed to render any frame of a synthetic video and to score predictions on it.

    Attributes:
        frame_size: ``(height, width)`` pixels.
        fps: frames per second.
        arena: the floor and walls.
        bodies: posture of every animal, :class:`BodyState` of shape ``(frames, animals)``.
        keypoints: ``(frames, animals, len(CANONICAL_BODYPARTS), 2)`` exact keypoints, pixels.
        objects: arena objects; their centres are the unique bodyparts.
        background: RGB ``uint8`` ``(height, width, 3)`` arena image, the same in every frame.
        noise_std: per-frame sensor noise, grey levels.
        seed: the seed everything was drawn from (also seeds each frame's noise).
    """

    frame_size: tuple[int, int]
    fps: float
    arena: Arena
    bodies: BodyState
    keypoints: np.ndarray
    objects: ObjectTracks
    background: np.ndarray
    noise_std: float
    seed: int
    _polygon_chunk: int = field(init=False, repr=False, default=-1)
    _polygons: dict[str, np.ndarray] = field(init=False, repr=False, default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.keypoints.shape[0])

    @property
    def num_animals(self) -> int:
        return int(self.keypoints.shape[1])

    def object_angles(self, frame: int) -> np.ndarray:
        """Orientation (radians) of each object in ``frame``: moving objects also spin slowly."""
        seconds = frame / self.fps
        return np.array([0.6 * seconds if name in MOVING_OBJECTS else 0.0 for name in self.objects.names])

    def render(self, frame: int) -> np.ndarray:
        """Frame ``frame`` as an RGB ``uint8`` image ``(height, width, 3)``.

        The result depends only on the scene and ``frame`` (each frame's sensor
        noise has its own seed), so frames can be rendered in any order.
        """
        if not 0 <= frame < self.num_frames:
            raise IndexError(f"Frame {frame} is outside the video (0..{self.num_frames - 1}).")
        chunk, row = divmod(frame, _POLYGON_CHUNK_FRAMES)
        if chunk != self._polygon_chunk:
            # Polygons are built for a chunk of frames at once (fast, and memory stays flat for long videos).
            bodies = self.bodies[chunk * _POLYGON_CHUNK_FRAMES : (chunk + 1) * _POLYGON_CHUNK_FRAMES]
            self._polygons = {part: to_fixed_point(polygons) for part, polygons in body_polygons(bodies).items()}
            self._polygon_chunk = chunk
        image = self.background.copy()
        animals = [
            {part: polygons[row, animal] for part, polygons in self._polygons.items()}
            for animal in range(self.num_animals)
        ]
        angles = self.object_angles(frame)
        objects = [
            (name, self.objects.positions[frame, j], self.objects.radius, angles[j])
            for j, name in enumerate(self.objects.names)
        ]
        draw_scene(image, animals, objects)
        noise_rng = np.random.default_rng([self.seed, _NOISE, frame])
        return add_sensor_noise(image, self.noise_std, noise_rng)

    def frames(self, indices: Iterable[int] | None = None) -> Iterator[np.ndarray]:
        """Render ``indices`` (default: every frame, in order) one by one."""
        for frame in range(self.num_frames) if indices is None else indices:
            yield self.render(int(frame))


def make_scene(
    *,
    num_animals: int,
    num_frames: int,
    frame_size: tuple[int, int],
    fps: float = 30,
    seed: int = 0,
    num_objects: int = 0,
    noise_std: float = SENSOR_NOISE_STD,
    motion: MotionParameters = MotionParameters(),
) -> SyntheticScene:
    """Simulate a synthetic video: ``num_animals`` walking animals and ``num_objects`` arena objects.

    Args:
        num_animals: number of animals (>= 1).
        num_frames: number of frames (>= 1).
        frame_size: ``(height, width)`` pixels.
        fps: frames per second.
        seed: fixes the animals' sizes and motion, the objects, the floor and the noise.
        num_objects: number of arena objects (the first names of ``OBJECT_NAMES``).
        noise_std: per-frame sensor noise, grey levels (0 for none).
        motion: how the animals move.

    Raises:
        ConfigError: bad counts or sizes, or the animals do not fit in the frame.
    """
    height, width = (int(v) for v in frame_size)
    if num_animals < 1:
        raise ConfigError(f"num_individuals must be at least 1, not {num_animals}.")
    if num_frames < 1:
        raise ConfigError(f"num_frames must be at least 1, not {num_frames}.")
    if min(height, width) < 32:
        raise ConfigError(f"frame_size {frame_size} is too small; use at least 32 pixels per side (e.g. (256, 256)).")
    if not 0 <= num_objects <= len(OBJECT_NAMES):
        raise ConfigError(
            f"num_unique_bodyparts must be between 0 and {len(OBJECT_NAMES)} (objects {list(OBJECT_NAMES)}), "
            f"not {num_objects}."
        )
    if fps <= 0:
        raise ConfigError(f"fps must be positive, not {fps}.")
    streams = [np.random.default_rng([seed, stream]) for stream in range(_NOISE)]
    arena = Arena.for_frame((height, width))
    base_length = BODY_LENGTH_FRACTION * min(height, width) * min(1.0, np.sqrt(3.0 / num_animals))
    lengths = base_length * streams[_SIZES].uniform(1 - SIZE_VARIATION, 1 + SIZE_VARIATION, num_animals)
    background = render_background((height, width), arena.wall_width, streams[_BACKGROUND])
    objects = place_objects(OBJECT_NAMES[:num_objects], arena, num_frames, fps, streams[_OBJECTS])
    bodies = simulate_animals(num_frames, lengths, arena, fps, streams[_MOTION], objects, motion)
    return SyntheticScene(
        frame_size=(height, width),
        fps=float(fps),
        arena=arena,
        bodies=bodies,
        keypoints=body_keypoints(bodies),
        objects=objects,
        background=background,
        noise_std=float(noise_std),
        seed=int(seed),
    )
