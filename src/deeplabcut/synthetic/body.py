"""Geometry of a synthetic animal: where each bodypart is, and the shapes drawn for it.

An animal is seen from above. Its spine is a circular arc through the body
centre; every part hangs off that arc, so the keypoints are *defined* by the
drawn geometry (the snout is the tip of the head ellipse, an ear keypoint is
the centre of the ear disc, a paw keypoint is the centre of the paw disc...).

Conventions:

* Coordinates are float pixels, ``x`` to the right and ``y`` down, with pixel
  (row ``r``, column ``c``) centred at ``(x=c, y=r)`` (OpenCV's drawing and
  napari's labeling convention).
* ``heading`` is the angle of the body's forward direction at its centre,
  ``(cos heading, sin heading)``, in radians.
* The animal's *left* is its left as seen from above: for the forward
  direction ``(dx, dy)`` it is ``(dy, -dx)`` in image coordinates.
* Proportions below are in units of the body length ``L`` (snout to
  tailbase, in pixels, per animal).

Every function here takes a :class:`BodyState` whose arrays share a leading
shape ``S`` (e.g. ``(frames, animals)``) and returns arrays of shape
``S + (...)``; nothing loops over animals or frames.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

#: Bodypart names along the animal, in the order a project takes them (the first ``num_bodyparts``).
CANONICAL_BODYPARTS: tuple[str, ...] = (
    "snout",
    "leftear",
    "rightear",
    "neck",
    "spine1",
    "spine2",
    "tailbase",
    "tail1",
    "tailtip",
    "leftpaw",
    "rightpaw",
    "lefthindpaw",
    "righthindpaw",
)

# Positions along the spine (arc length from the body centre, forward positive), in L.
NECK = 0.15
SPINE1 = -0.07
SPINE2 = -0.28
TAILBASE = -0.50
# Trunk: an elongated ellipse-profiled body from the rump (tailbase) to the shoulders.
TRUNK_FRONT = 0.30
TRUNK_BACK = TAILBASE
TRUNK_HALF_WIDTH = 0.17
# Head: an ellipse whose front tip is the snout.
HEAD_CENTER = 0.34
HEAD_HALF_LENGTH = 0.16
HEAD_HALF_WIDTH = 0.105
# Ears: discs at the back corners of the head.
EAR_BACK = 0.35  # behind the head centre, as a fraction of HEAD_HALF_LENGTH
EAR_SIDE = 0.90  # sideways, as a fraction of HEAD_HALF_WIDTH
EAR_RADIUS = 0.055
NOSE_RADIUS = 0.032
# Paws: discs at the trunk's edge (drawn over it, so always visible), swinging with the gait.
FRONT_PAW = 0.10
HIND_PAW = -0.32
PAW_SWING = 0.06
PAW_RADIUS = 0.042
PAW_OUTSIDE = 0.5  # paw centre sits this many paw radii outside the trunk's edge
# Tail: a tapering band continuing the spine behind the tailbase.
TAIL_LENGTH = 0.80
TAIL_BASE_HALF_WIDTH = 0.045
TAIL_TIP_HALF_WIDTH = 0.015
TAIL1 = 0.5  # tail1 is half-way along the tail
# Fur markings that make the spine keypoints visible: a dorsal stripe, a light
# collar at the neck, a dark elongated saddle spot at spine1 and a smaller one at spine2.
STRIPE_HALF_WIDTH = 0.022
COLLAR_HALF_LENGTH = 0.03
SPINE1_SPOT_HALF_AXES = (0.065, 0.036)  # along and across the spine
SPINE2_SPOT_HALF_AXES = (0.05, 0.028)
TAIL_RING_RADIUS = 0.04

# Circles that cover the whole drawn animal (used to keep animals apart and inside the arena).
_COVER_SPINE = np.array([-0.42, -0.28, -0.12, 0.05, 0.22, 0.38])
_COVER_SPINE_RADIUS = np.array([0.23, 0.23, 0.23, 0.23, 0.23, 0.17])
_COVER_TAIL = np.linspace(0.1, 1.0, 8)
_COVER_TAIL_RADIUS = 0.06

_N_TRUNK = 24
_N_TAIL = 14
_N_ELLIPSE = 36
_N_DISC = 20


@dataclass
class BodyState:
    """Posture of one or many animals; every field shares the leading shape ``S``.

    Attributes:
        center: ``S + (2,)`` body centre (middle of the spine) in pixels.
        heading: ``S`` forward direction at the centre, radians.
        bend: ``S`` total bend of the spine over the body length, radians;
            positive bends the body towards the animal's left.
        tail_wag: ``S`` extra bend of the tail over its length, radians.
        gait_phase: ``S`` phase of the stepping cycle, radians (moves the paws).
        length: ``S`` body length snout-to-tailbase, pixels.
    """

    center: np.ndarray
    heading: np.ndarray
    bend: np.ndarray
    tail_wag: np.ndarray
    gait_phase: np.ndarray
    length: np.ndarray

    def __getitem__(self, index: object) -> BodyState:
        """Index every field along the leading shape (``state[t]`` is frame ``t``)."""
        return BodyState(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @property
    def shape(self) -> tuple[int, ...]:
        """The leading shape ``S``."""
        return tuple(self.heading.shape)


def _direction(angle: np.ndarray) -> np.ndarray:
    """Unit vector ``(cos, sin)`` along ``angle``: ``angle.shape + (2,)``."""
    return np.stack([np.cos(angle), np.sin(angle)], axis=-1)


def _left(angle: np.ndarray) -> np.ndarray:
    """Unit vector to the animal's left of direction ``angle``: ``(sin, -cos)``."""
    return np.stack([np.sin(angle), -np.cos(angle)], axis=-1)


def _arc(
    origin: np.ndarray, angle: np.ndarray, curvature: np.ndarray, arclength: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Points on a circular arc that leaves ``origin`` along ``angle``, turning left.

    Args:
        origin: ``S + (2,)`` start point.
        angle: ``S`` start direction, radians.
        curvature: ``S`` inverse radius, 1/pixels (positive turns left).
        arclength: ``S + (n,)`` or ``(n,)`` signed arc lengths, pixels.

    Returns:
        ``(points S + (n, 2), directions S + (n,))``: position and travel direction
        at each arc length.
    """
    arclength = np.asarray(arclength, dtype=np.float64)
    turned = curvature[..., None] * arclength
    half = turned / 2
    # sin(ks)/k and (1 - cos(ks))/k written with sinc so that k = 0 is exact.
    forward = arclength * np.sinc(turned / np.pi)
    sideways = arclength * np.sin(half) * np.sinc(half / np.pi)
    points = (
        origin[..., None, :]
        + forward[..., None] * _direction(angle)[..., None, :]
        + sideways[..., None] * _left(angle)[..., None, :]
    )
    return points, angle[..., None] - turned


def _spine(state: BodyState, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points and directions on the spine at ``positions`` (arc length in body lengths, ``S+(n,)`` or ``(n,)``)."""
    length = state.length
    arclength = np.asarray(positions, dtype=np.float64) * length[..., None]
    return _arc(state.center, state.heading, state.bend / length, arclength)


def _tail(state: BodyState, fractions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points and travel directions along the tail at ``fractions`` (0 tailbase .. 1 tip) of its length."""
    base, base_direction = _spine(state, np.array([TAILBASE]))
    tail_length = TAIL_LENGTH * state.length
    # Walking backwards along the body arc turns the other way; the wag adds on top.
    curvature = -state.bend / state.length + state.tail_wag / tail_length
    return _arc(base[..., 0, :], base_direction[..., 0] + np.pi, curvature, fractions * tail_length[..., None])


def trunk_half_width(positions: np.ndarray) -> np.ndarray:
    """Half-width of the trunk (in body lengths) at spine ``positions`` (body lengths); 0 outside it."""
    middle = (TRUNK_FRONT + TRUNK_BACK) / 2
    half_span = (TRUNK_FRONT - TRUNK_BACK) / 2
    t = (np.asarray(positions, dtype=np.float64) - middle) / half_span
    return TRUNK_HALF_WIDTH * np.sqrt(np.clip(1 - t**2, 0, None))


def _head(state: BodyState) -> tuple[np.ndarray, np.ndarray]:
    """Head ellipse centre ``S+(2,)`` and its axis direction ``S``."""
    center, direction = _spine(state, np.array([HEAD_CENTER]))
    return center[..., 0, :], direction[..., 0]


def _paws(state: BodyState) -> np.ndarray:
    """Paw centres ``S + (4, 2)``: left front, right front, left hind, right hind."""
    swing = PAW_SWING * np.sin(state.gait_phase)
    # Diagonal gait: left-front moves with right-hind, right-front with left-hind.
    along = np.stack([FRONT_PAW + swing, FRONT_PAW - swing, HIND_PAW - swing, HIND_PAW + swing], axis=-1)
    side = np.array([1.0, -1.0, 1.0, -1.0])
    points, directions = _spine(state, along)
    outward = trunk_half_width(along) + PAW_OUTSIDE * PAW_RADIUS
    offset = (side * outward * state.length[..., None])[..., None] * _left(directions)
    return points + offset


def body_keypoints(state: BodyState) -> np.ndarray:
    """Every canonical keypoint, ``S + (len(CANONICAL_BODYPARTS), 2)`` pixels, in that order."""
    length = state.length[..., None]
    head_center, head_angle = _head(state)
    head_axis = _direction(head_angle)
    head_left = _left(head_angle)
    snout = head_center + HEAD_HALF_LENGTH * length * head_axis
    ear_root = head_center - EAR_BACK * HEAD_HALF_LENGTH * length * head_axis
    ear_side = EAR_SIDE * HEAD_HALF_WIDTH * length * head_left
    spine, _ = _spine(state, np.array([NECK, SPINE1, SPINE2, TAILBASE]))
    tail, _ = _tail(state, np.array([TAIL1, 1.0]))
    paws = _paws(state)
    return np.concatenate(
        [
            snout[..., None, :],
            (ear_root + ear_side)[..., None, :],
            (ear_root - ear_side)[..., None, :],
            spine,
            tail,
            paws,
        ],
        axis=-2,
    )


def _ellipse(
    center: np.ndarray, angle: np.ndarray, half_length: np.ndarray, half_width: np.ndarray, n: int
) -> np.ndarray:
    """Polygon ``S + (n, 2)`` of an ellipse with semi-axes (pixels, ``S``) along ``angle`` and across it."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    along = np.cos(t) * half_length[..., None]
    across = np.sin(t) * half_width[..., None]
    return (
        center[..., None, :]
        + along[..., None] * _direction(angle)[..., None, :]
        + across[..., None] * _left(angle)[..., None, :]
    )


def disc_polygon(center: np.ndarray, radius: np.ndarray, n: int = _N_DISC) -> np.ndarray:
    """Polygon ``S + (n, 2)`` of a disc of ``radius`` (pixels, ``S``) around ``center`` (``S + (2,)``)."""
    radius = np.asarray(radius, dtype=np.float64)
    return _ellipse(center, np.zeros(radius.shape), radius, radius, n)


def _band(points: np.ndarray, directions: np.ndarray, half_width: np.ndarray) -> np.ndarray:
    """Polygon around a centre line: ``points S+(n,2)`` widened by ``half_width`` (pixels, ``S+(n,)``)."""
    side = half_width[..., None] * _left(directions)
    return np.concatenate([points + side, (points - side)[..., ::-1, :]], axis=-2)


def body_polygons(state: BodyState) -> dict[str, np.ndarray]:
    """The shapes to draw for each animal, as polygons ``S + (n, 2)`` in pixels.

    Keys: ``tail``, ``tail_ring``, ``trunk``, ``paws`` (``S + (4, n, 2)``),
    ``stripe``, ``collar``, ``spine1_spot``, ``spine2_spot``, ``head``,
    ``ears`` (``S + (2, n, 2)``), ``nose``; :mod:`deeplabcut.synthetic.render`
    draws them in that order (later shapes cover earlier ones).
    """
    length = state.length
    keypoints = body_keypoints(state)
    index = {name: i for i, name in enumerate(CANONICAL_BODYPARTS)}

    tail_points, tail_directions = _tail(state, np.linspace(0, 1, _N_TAIL))
    taper = np.linspace(TAIL_BASE_HALF_WIDTH, TAIL_TIP_HALF_WIDTH, _N_TAIL)
    tail = _band(tail_points, tail_directions, taper * length[..., None])

    # Cosine spacing puts more vertices near the rounded ends of the trunk.
    trunk_positions = TRUNK_BACK + (TRUNK_FRONT - TRUNK_BACK) * (1 - np.cos(np.linspace(0, np.pi, _N_TRUNK))) / 2
    trunk_points, trunk_directions = _spine(state, trunk_positions)
    trunk = _band(trunk_points, trunk_directions, trunk_half_width(trunk_positions) * length[..., None])

    stripe_positions = np.linspace(TAILBASE + 0.04, NECK, 10)
    stripe_points, stripe_directions = _spine(state, stripe_positions)
    stripe_half_width = np.broadcast_to(STRIPE_HALF_WIDTH * length[..., None], stripe_points.shape[:-1])
    stripe = _band(stripe_points, stripe_directions, stripe_half_width)

    neck_point, neck_direction = _spine(state, np.array([NECK]))
    collar = _ellipse(
        neck_point[..., 0, :],
        neck_direction[..., 0],
        COLLAR_HALF_LENGTH * length,
        trunk_half_width(np.array(NECK)) * length,
        _N_ELLIPSE,
    )

    spots, spot_directions = _spine(state, np.array([SPINE1, SPINE2]))

    head_center, head_angle = _head(state)
    head = _ellipse(head_center, head_angle, HEAD_HALF_LENGTH * length, HEAD_HALF_WIDTH * length, _N_ELLIPSE)

    ones = np.ones(state.shape + (1,))
    ears = disc_polygon(keypoints[..., [index["leftear"], index["rightear"]], :], EAR_RADIUS * length[..., None] * ones)
    paw_index = [index[name] for name in ("leftpaw", "rightpaw", "lefthindpaw", "righthindpaw")]
    paws = disc_polygon(keypoints[..., paw_index, :], PAW_RADIUS * length[..., None] * np.ones(state.shape + (4,)))
    return {
        "tail": tail,
        "tail_ring": disc_polygon(keypoints[..., index["tail1"], :], TAIL_RING_RADIUS * length),
        "trunk": trunk,
        "paws": paws,
        "stripe": stripe,
        "collar": collar,
        "spine1_spot": _ellipse(
            spots[..., 0, :], spot_directions[..., 0], *(axis * length for axis in SPINE1_SPOT_HALF_AXES), _N_ELLIPSE
        ),
        "spine2_spot": _ellipse(
            spots[..., 1, :], spot_directions[..., 1], *(axis * length for axis in SPINE2_SPOT_HALF_AXES), _N_ELLIPSE
        ),
        "head": head,
        "ears": ears,
        "nose": disc_polygon(keypoints[..., index["snout"], :], NOSE_RADIUS * length),
    }


def cover_circles(state: BodyState) -> tuple[np.ndarray, np.ndarray]:
    """Circles that together cover everything drawn for the animal.

    Returns:
        ``(centers S + (C, 2), radii S + (C,))`` in pixels.
    """
    spine, _ = _spine(state, _COVER_SPINE)
    tail, _ = _tail(state, _COVER_TAIL)
    centers = np.concatenate([spine, tail], axis=-2)
    radii = np.concatenate(
        [
            _COVER_SPINE_RADIUS * state.length[..., None],
            np.broadcast_to(_COVER_TAIL_RADIUS * state.length[..., None], tail.shape[:-1]),
        ],
        axis=-1,
    )
    return centers, radii
