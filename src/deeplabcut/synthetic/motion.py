"""Smooth, deterministic random motion of animals and objects in a rectangular arena.

Each animal walks with an Ornstein-Uhlenbeck (OU) turning rate and speed, so
its heading changes smoothly and it speeds up, slows down and sometimes
pauses. It steers away from the walls and from other animals ahead of it,
and a hard constraint keeps every drawn part inside the arena and at least
``min_gap`` away from other animals and objects: a step that would break it
is replaced by a smaller one (turn on the spot, go straight, slide away,
back off) or skipped. When crowded (near a wall, an object or another
animal) an animal also slides gently away from it. Animals therefore never overlap but do pass close to each other.
The body bends with the turning rate and the tail wags; the paws follow a
stepping cycle driven by the distance walked.

Everything is drawn from the ``numpy.random.Generator`` passed in, so a seed
fixes the whole motion. Units: pixels, seconds and radians unless a name says
otherwise (``*_per_s``, ``*_lengths`` for body lengths).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deeplabcut.errors import ConfigError
from deeplabcut.synthetic.body import BodyState, cover_circles

#: Names of the objects that unique bodyparts mark, in the order a project takes them.
OBJECT_NAMES: tuple[str, ...] = ("food", "toy", "lamp", "water", "nest", "ball")
#: Objects that drift slowly around their place; the others never move.
MOVING_OBJECTS = frozenset({"toy", "ball"})


@dataclass(frozen=True)
class Arena:
    """The frame and the walkable floor inside its walls.

    Attributes:
        frame_size: ``(height, width)`` of the video, pixels.
        wall_width: thickness of the wall band drawn along the frame border, pixels.
    """

    frame_size: tuple[int, int]
    wall_width: float

    @property
    def floor_box(self) -> tuple[float, float, float, float]:
        """``(x_min, y_min, x_max, y_max)`` of the floor, pixels (pixel centres)."""
        height, width = self.frame_size
        return (self.wall_width, self.wall_width, width - 1 - self.wall_width, height - 1 - self.wall_width)

    @classmethod
    def for_frame(cls, frame_size: tuple[int, int]) -> Arena:
        """An arena whose walls are about 3% of the shorter side."""
        return cls(frame_size=frame_size, wall_width=max(2.0, round(0.03 * min(frame_size))))


@dataclass(frozen=True)
class MotionParameters:
    """How animals move. Speeds and distances are in body lengths so the motion scales with the frame."""

    mean_speed_lengths_per_s: float = 0.9
    speed_std_lengths_per_s: float = 0.6
    max_speed_lengths_per_s: float = 2.5
    speed_time_constant_s: float = 1.0
    turn_rate_std_per_s: float = 1.6
    turn_time_constant_s: float = 0.5
    max_turn_rate_per_s: float = 5.0
    bend_per_turn_rate_s: float = 0.3
    max_bend: float = 1.1
    bend_smoothing_s: float = 0.15
    tail_wag_amplitude: float = 0.7
    tail_wag_frequency_hz: float = 0.7
    stride_lengths: float = 0.45
    min_gap_lengths: float = 0.05
    wall_lookahead_lengths: float = 0.8
    wall_steer_gain_per_s: float = 6.0
    social_range_lengths: float = 0.4
    social_steer_gain_per_s: float = 4.0
    social_push_lengths_per_s: float = 0.5


@dataclass(frozen=True)
class ObjectTracks:
    """Positions of the arena objects (unique bodyparts) over the video.

    Attributes:
        names: object names (``OBJECT_NAMES`` prefix).
        positions: ``(frames, objects, 2)`` centres, pixels.
        radius: drawn radius of every object, pixels.
        keep_out_centers: ``(objects, 2)`` centre of the disc each object stays within.
        keep_out_radii: ``(objects,)`` radius of that disc (object radius plus drift), pixels.
    """

    names: tuple[str, ...]
    positions: np.ndarray
    radius: float
    keep_out_centers: np.ndarray
    keep_out_radii: np.ndarray


def place_objects(
    names: tuple[str, ...] | list[str],
    arena: Arena,
    num_frames: int,
    fps: float,
    rng: np.random.Generator,
) -> ObjectTracks:
    """Put each named object near a corner (then a wall's middle); moving ones drift on a slow circle.

    Raises:
        ConfigError: more objects than the arena has places for.
    """
    names = tuple(names)
    x_min, y_min, x_max, y_max = arena.floor_box
    short_side = min(arena.frame_size)
    radius = 0.045 * short_side
    drift = 0.035 * short_side
    inset = radius + drift + 0.02 * short_side
    left, right, top, bottom = x_min + inset, x_max - inset, y_min + inset, y_max - inset
    middle_x, middle_y = (left + right) / 2, (top + bottom) / 2
    places = [
        (left, top), (right, bottom), (right, top), (left, bottom),  # corners first
        (middle_x, top), (middle_x, bottom), (left, middle_y), (right, middle_y),
    ]
    if len(names) > len(places):
        raise ConfigError(f"At most {len(places)} unique bodyparts (arena objects) are supported, not {len(names)}.")
    anchors = np.array(places[: len(names)], dtype=np.float64).reshape(-1, 2)
    anchors += rng.uniform(-0.5, 0.5, anchors.shape) * 0.03 * short_side
    times = np.arange(num_frames) / fps
    positions = np.repeat(anchors[None], num_frames, axis=0)
    keep_out = np.full(len(names), radius)
    for j, name in enumerate(names):
        if name in MOVING_OBJECTS:
            period_s = rng.uniform(7.0, 11.0)
            start = rng.uniform(0, 2 * np.pi)
            angle = start + 2 * np.pi * times / period_s
            positions[:, j] = anchors[j] + drift * np.stack([np.cos(angle), np.sin(angle)], axis=-1)
            keep_out[j] = radius + drift
    return ObjectTracks(names, positions, radius, anchors, keep_out)


def _ou_step(value: np.ndarray, mean: float, std: float, decay: float, rng: np.random.Generator) -> np.ndarray:
    """One step of an OU process with stationary ``mean``/``std`` and per-step ``decay`` = exp(-dt/tau)."""
    return mean + (value - mean) * decay + std * np.sqrt(1 - decay**2) * rng.standard_normal(value.shape)


def _wrap(angle: np.ndarray | float) -> np.ndarray:
    """Angle wrapped to ``[-pi, pi)``."""
    return (np.asarray(angle) + np.pi) % (2 * np.pi) - np.pi


class _Constraints:
    """Checks that an animal's cover circles are on the floor and clear of the others and the objects."""

    def __init__(self, arena: Arena, objects: ObjectTracks | None, min_gaps: np.ndarray) -> None:
        self.box = np.array(arena.floor_box)
        self.min_gaps = min_gaps
        if objects is None or len(objects.names) == 0:
            self.obstacle_centers = np.zeros((0, 2))
            self.obstacle_radii = np.zeros(0)
        else:
            self.obstacle_centers = objects.keep_out_centers
            self.obstacle_radii = objects.keep_out_radii

    def ok(
        self, animal: int, centers: np.ndarray, radii: np.ndarray, others: list[tuple[np.ndarray, np.ndarray]]
    ) -> np.ndarray:
        """Which candidate postures of ``animal`` fit on the floor next to ``others`` and the objects.

        Args:
            centers, radii: cover circles of ``N`` candidate postures, ``(N, C, 2)`` and ``(N, C)``.
            others: cover circles ``((C, 2), (C,))`` of the other animals.

        Returns:
            ``(N,)`` booleans.
        """
        x_min, y_min, x_max, y_max = self.box
        low = centers - radii[..., None]
        high = centers + radii[..., None]
        inside = (low[..., 0].min(-1) >= x_min) & (low[..., 1].min(-1) >= y_min)
        inside &= (high[..., 0].max(-1) <= x_max) & (high[..., 1].max(-1) <= y_max)
        blockers = [(self.obstacle_centers, self.obstacle_radii)] + list(others)
        other_centers = np.concatenate([c for c, _ in blockers], axis=0)
        if other_centers.shape[0] == 0:
            return inside
        other_radii = np.concatenate([r for _, r in blockers], axis=0)
        difference = centers[:, :, None, :] - other_centers[None, None, :, :]
        distance = np.sqrt((difference**2).sum(-1))
        gaps = (distance - radii[:, :, None] - other_radii[None, None, :]).min(axis=(1, 2))
        return inside & (gaps >= self.min_gaps[animal])


def _body_state(
    center: np.ndarray,
    heading: np.ndarray,
    bend: np.ndarray,
    tail_wag: np.ndarray,
    gait: np.ndarray,
    length: np.ndarray,
) -> BodyState:
    return BodyState(
        center=np.asarray(center, dtype=np.float64),
        heading=np.asarray(heading, dtype=np.float64),
        bend=np.asarray(bend, dtype=np.float64),
        tail_wag=np.asarray(tail_wag, dtype=np.float64),
        gait_phase=np.asarray(gait, dtype=np.float64),
        length=np.asarray(length, dtype=np.float64),
    )


def _place_animals(
    lengths: np.ndarray,
    tail_wag: np.ndarray,
    gait: np.ndarray,
    arena: Arena,
    constraints: _Constraints,
    rng: np.random.Generator,
    batch: int = 64,
    max_batches: int = 50,
) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Random straight postures that fit together, by rejection sampling.

    Returns:
        ``(centers (A, 2), headings (A,), cover circles per animal)``.
    """
    num_animals = len(lengths)
    x_min, y_min, x_max, y_max = arena.floor_box
    centers = np.zeros((num_animals, 2))
    headings = np.zeros(num_animals)
    covers: list[tuple[np.ndarray, np.ndarray]] = []
    ones = np.ones(batch)
    for i in range(num_animals):
        for _ in range(max_batches):
            candidate_centers = rng.uniform([x_min, y_min], [x_max, y_max], (batch, 2))
            candidate_headings = rng.uniform(-np.pi, np.pi, batch)
            straight = _body_state(
                candidate_centers, candidate_headings, 0 * ones, tail_wag[i] * ones, gait[i] * ones, lengths[i] * ones
            )
            circles = cover_circles(straight)
            fits = np.flatnonzero(constraints.ok(i, *circles, covers))
            if fits.size:
                centers[i], headings[i] = candidate_centers[fits[0]], candidate_headings[fits[0]]
                covers.append((circles[0][fits[0]], circles[1][fits[0]]))
                break
        else:
            height, width = arena.frame_size
            raise ConfigError(
                f"Cannot fit {num_animals} animals (body length {lengths.max():.0f} px) into a "
                f"{height}x{width} frame. Use fewer individuals or a larger frame_size."
            )
    return centers, headings, covers


def simulate_animals(
    num_frames: int,
    body_lengths: np.ndarray,
    arena: Arena,
    fps: float,
    rng: np.random.Generator,
    objects: ObjectTracks | None = None,
    parameters: MotionParameters = MotionParameters(),
) -> BodyState:
    """Simulate ``len(body_lengths)`` animals walking for ``num_frames`` frames.

    Args:
        num_frames: number of video frames.
        body_lengths: ``(animals,)`` snout-to-tailbase length of each animal, pixels.
        arena: the floor the animals must stay on.
        fps: frames per second (speeds and time constants are per second).
        rng: the source of randomness; the same generator state gives the same motion.
        objects: arena objects the animals walk around.
        parameters: speeds, turning and spacing.

    Returns:
        The posture of every animal in every frame, a :class:`BodyState` of shape ``(frames, animals)``.

    Raises:
        ConfigError: the animals do not fit in the arena (use fewer or a bigger frame).
    """
    p = parameters
    lengths = np.asarray(body_lengths, dtype=np.float64)
    num_animals = lengths.shape[0]
    dt = 1.0 / fps
    constraints = _Constraints(arena, objects, p.min_gap_lengths * lengths)

    gait = rng.uniform(0, 2 * np.pi, num_animals)
    wag_phase = rng.uniform(0, 2 * np.pi, num_animals)
    tail_wag = p.tail_wag_amplitude * np.sin(wag_phase)
    bend = np.zeros(num_animals)
    center, heading, covers = _place_animals(lengths, tail_wag, gait, arena, constraints, rng)

    speed = np.clip(rng.normal(p.mean_speed_lengths_per_s, p.speed_std_lengths_per_s, num_animals), 0, None) * lengths
    turn = rng.normal(0, p.turn_rate_std_per_s, num_animals)
    speed_decay = np.exp(-dt / p.speed_time_constant_s)
    turn_decay = np.exp(-dt / p.turn_time_constant_s)
    bend_decay = np.exp(-dt / p.bend_smoothing_s)
    wag_frequency = p.tail_wag_frequency_hz * rng.uniform(0.8, 1.2, num_animals)
    per_candidate = np.ones((1, 5))

    out = {name: np.zeros((num_frames, num_animals)) for name in ("heading", "bend", "tail_wag", "gait_phase")}
    out_center = np.zeros((num_frames, num_animals, 2))
    for frame in range(num_frames):
        if frame > 0:
            # Intended motion: OU turning and speed, steering away from walls and crowding.
            turn = _ou_step(turn, 0.0, p.turn_rate_std_per_s, turn_decay, rng)
            relative_speed = _ou_step(
                speed / lengths, p.mean_speed_lengths_per_s, p.speed_std_lengths_per_s, speed_decay, rng
            )
            speed = np.clip(relative_speed, 0, p.max_speed_lengths_per_s) * lengths
            away, crowding = _crowding(covers, constraints, lengths, p)
            forward = np.stack([np.cos(heading), np.sin(heading)], axis=-1)
            crowded_ahead = (away * forward).sum(-1) < 0
            away_angle = np.arctan2(away[:, 1], away[:, 0])
            steer = _wall_steering(center, heading, lengths, arena, p)
            steer += np.where(crowded_ahead, p.social_steer_gain_per_s * crowding * _wrap(away_angle - heading), 0.0)
            turn_rate = np.clip(turn + steer, -p.max_turn_rate_per_s, p.max_turn_rate_per_s)
            new_heading = heading + turn_rate * dt
            target_bend = np.clip(-turn_rate * p.bend_per_turn_rate_s, -p.max_bend, p.max_bend)
            new_bend = target_bend + (bend - target_bend) * bend_decay
            wag_speed = 0.5 + speed / (lengths * p.mean_speed_lengths_per_s)
            new_wag_phase = wag_phase + 2 * np.pi * wag_frequency * dt * wag_speed
            new_wag = p.tail_wag_amplitude * np.sin(new_wag_phase)
            step = (speed * dt)[:, None]
            push = (p.social_push_lengths_per_s * dt * lengths * crowding)[:, None] * away
            direction = np.stack([np.cos(new_heading), np.sin(new_heading)], axis=-1)

            # Candidate moves, best first, shapes (animals, 5, ...): the intended
            # step (plus a small push away from crowding), turning on the spot,
            # going straight on, sliding away from the crowding without changing
            # posture, and backing off a little.
            candidate_center = np.stack(
                [
                    center + step * direction + push,
                    center + push,
                    center + step * forward + push,
                    center + 2 * push,
                    center - 0.5 * step * direction,
                ],
                axis=1,
            )
            candidate_heading = np.stack([new_heading, new_heading, heading, heading, new_heading], axis=1)
            candidate_bend = np.stack([new_bend, new_bend, new_bend, bend, new_bend], axis=1)
            candidate_wag = np.stack([new_wag, new_wag, new_wag, tail_wag, new_wag], axis=1)
            candidate_centers, candidate_radii = cover_circles(
                _body_state(
                    candidate_center,
                    candidate_heading,
                    candidate_bend,
                    candidate_wag,
                    gait[:, None] * per_candidate,
                    lengths[:, None] * per_candidate,
                )
            )

            # Animals move one after the other, each against the others' latest
            # posture, so the constraints hold for every frame as a whole.
            for i in range(num_animals):
                fit = constraints.ok(i, candidate_centers[i], candidate_radii[i], covers[:i] + covers[i + 1 :])
                fit[3] &= crowding[i] > 0  # without a push, "slide away" would be standing still
                fits = np.flatnonzero(fit)
                if fits.size == 0:
                    # Blocked: stay put this frame, slow down, and turn harder next time.
                    speed[i] *= 0.5
                    turn[i] += np.sign(turn[i] or 1.0) * p.turn_rate_std_per_s
                    continue
                k = fits[0]
                moved = float(np.hypot(*(candidate_center[i, k] - center[i])))
                center[i] = candidate_center[i, k]
                heading[i] = candidate_heading[i, k]
                bend[i] = candidate_bend[i, k]
                tail_wag[i] = candidate_wag[i, k]
                if candidate_wag[i, k] == new_wag[i]:
                    wag_phase[i] = new_wag_phase[i]
                gait[i] += 2 * np.pi * moved / (p.stride_lengths * lengths[i])
                covers[i] = (candidate_centers[i, k], candidate_radii[i, k])
        out_center[frame] = center
        out["heading"][frame] = heading
        out["bend"][frame] = bend
        out["tail_wag"][frame] = tail_wag
        out["gait_phase"][frame] = gait

    return BodyState(center=out_center, length=np.broadcast_to(lengths, (num_frames, num_animals)).copy(), **out)


def _wall_steering(
    center: np.ndarray, heading: np.ndarray, lengths: np.ndarray, arena: Arena, p: MotionParameters
) -> np.ndarray:
    """Turning rate ``(animals,)`` in rad/s that turns each animal away from a wall ahead of it."""
    forward = np.stack([np.cos(heading), np.sin(heading)], axis=-1)
    x_min, y_min, x_max, y_max = arena.floor_box
    lookahead = center + forward * ((0.5 + p.wall_lookahead_lengths) * lengths)[:, None]
    margin = 0.6 * lengths[:, None]
    low = np.array([x_min, y_min])
    high = np.array([x_max, y_max])
    push = np.maximum(0.0, low + margin - lookahead) - np.maximum(0.0, lookahead - (high - margin))
    strength = np.minimum(np.hypot(push[:, 0], push[:, 1]) / margin[:, 0], 1.5)
    away_from_wall = np.arctan2(push[:, 1], push[:, 0])
    return p.wall_steer_gain_per_s * strength * _wrap(away_from_wall - heading)


def _crowding(
    covers: list[tuple[np.ndarray, np.ndarray]],
    constraints: _Constraints,
    lengths: np.ndarray,
    p: MotionParameters,
) -> tuple[np.ndarray, np.ndarray]:
    """Which way each animal should slide to get clear of its neighbours, the objects and the walls.

    Every neighbour, object and wall closer than ``social_range_lengths`` body
    lengths pushes the animal away from its nearest point, harder the closer it
    is (0 at that range, 1 touching); the pushes add up.

    Returns:
        ``(away (animals, 2) unit vectors, crowding (animals,))``; crowding is
        the length of the summed push, at most 1 (0: nothing near).
    """
    num_animals = len(covers)
    centers = np.stack([c for c, _ in covers])  # (A, C, 2)
    radii = np.stack([r for _, r in covers])  # (A, C)
    num_circles = centers.shape[1]
    reach = (p.social_range_lengths * lengths)[:, None]

    # Other animals: the nearest pair of circles per pair of animals.
    difference = centers[:, :, None, None, :] - centers[None, None, :, :, :]  # (A, C, A, C, 2)
    gap = np.sqrt((difference**2).sum(-1)) - radii[:, :, None, None] - radii[None, None, :, :]
    gap = np.moveaxis(gap, 2, 1).reshape(num_animals, num_animals, -1)  # (A, A, C*C)
    nearest = gap.argmin(-1)
    own, other = np.unravel_index(nearest, (num_circles, num_circles))
    rows, columns = np.meshgrid(np.arange(num_animals), np.arange(num_animals), indexing="ij")
    animal_gap = gap[rows, columns, nearest]
    animal_vector = difference[rows, own, columns, other]  # (A, A, 2)
    animal_gap[np.arange(num_animals), np.arange(num_animals)] = np.inf

    # Objects: nearest circle of the animal to each object's keep-out disc.
    object_difference = centers[:, :, None, :] - constraints.obstacle_centers[None, None]  # (A, C, O, 2)
    object_gaps = np.sqrt((object_difference**2).sum(-1)) - radii[..., None] - constraints.obstacle_radii
    object_nearest = object_gaps.argmin(1)  # (A, O)
    object_gap = np.take_along_axis(object_gaps, object_nearest[:, None, :], axis=1)[:, 0]
    object_vector = np.take_along_axis(object_difference, object_nearest[:, None, :, None], axis=1)[:, 0]

    # Walls: gap from the circles to each side of the floor, pushing inwards.
    x_min, y_min, x_max, y_max = constraints.box
    wall_gap = np.stack(
        [
            (centers[..., 0] - radii - x_min).min(-1),
            (centers[..., 1] - radii - y_min).min(-1),
            (x_max - centers[..., 0] - radii).min(-1),
            (y_max - centers[..., 1] - radii).min(-1),
        ],
        axis=-1,
    )
    wall_vector = np.broadcast_to(np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]]), (num_animals, 4, 2))

    gaps = np.concatenate([animal_gap, object_gap, wall_gap], axis=1)
    vectors = np.concatenate([animal_vector, object_vector, wall_vector], axis=1)
    units = vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-9)
    weights = np.clip(1 - gaps / reach, 0, 1)
    push = (weights[..., None] * units).sum(1)
    strength = np.linalg.norm(push, axis=-1)
    away = push / np.maximum(strength, 1e-9)[:, None]
    return away, np.minimum(strength, 1.0)
