"""Synthetic multi-animal scenes for the tracking tests.

Three animals of six keypoints (snout, ears, centre, tail base, tail tip;
about 52 pixels long) walk along crossing elliptical paths in a 640x480
arena, facing the direction of motion; their paths cross, but the animals
stay at least 65 pixels apart. Detections add Gaussian noise, low-confidence
and padded keypoints, short dropouts of whole animals and a few longer
absences, and come in a shuffled order each frame, padded with -1 rows, as
in DeepLabCut's ``_assemblies.pickle``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

BODYPARTS = ["snout", "leftear", "rightear", "centre", "tailbase", "tailtip"]
TEMPLATE = np.array([[24, 0], [12, -9], [12, 9], [0, 0], [-14, 0], [-28, 0]], dtype=float)
PHASES = np.array([[5.1, 4.3], [2.4, 2.1], [0.2, 3.1]])
PERIODS = np.array([830.0, 830.0, 790.0])


@dataclass
class Scene:
    ground_truth: np.ndarray  # (F, A, K, 2) noise-free keypoints, pixels
    assemblies: dict  # {frame: (n, K, 4)} [x, y, score, id], -1 padded
    absent: np.ndarray  # (F, A) bool, animal not detected in that frame
    noise: float


def ground_truth_poses(n_frames: int, n_animals: int = 3) -> np.ndarray:
    t = np.arange(n_frames)[:, None]
    omega = 2 * np.pi / PERIODS[:n_animals]
    x = 320 + 220 * np.sin(omega * t + PHASES[:n_animals, 0])
    y = 240 + 160 * np.sin(omega * t + PHASES[:n_animals, 1])
    heading = np.arctan2(
        160 * omega * np.cos(omega * t + PHASES[:n_animals, 1]),
        220 * omega * np.cos(omega * t + PHASES[:n_animals, 0]),
    )
    cos, sin = np.cos(heading)[..., None], np.sin(heading)[..., None]
    px = TEMPLATE[:, 0] * cos - TEMPLATE[:, 1] * sin
    py = TEMPLATE[:, 0] * sin + TEMPLATE[:, 1] * cos
    return np.stack([x[..., None] + px, y[..., None] + py], axis=-1)


def make_scene(
    n_frames: int = 600,
    n_animals: int = 3,
    noise: float = 1.0,
    seed: int = 0,
    n_short_dropouts: int = 4,
    n_long_absences: int = 1,
    long_absence: int = 6,
) -> Scene:
    rng = np.random.default_rng(seed)
    truth = ground_truth_poses(n_frames, n_animals)
    n_bodyparts = truth.shape[2]
    absent = np.zeros((n_frames, n_animals), dtype=bool)
    margin = 20  # the first and last frames see every animal
    for animal in range(n_animals if n_frames > 2 * margin + long_absence else 0):
        for _ in range(n_short_dropouts):
            start = rng.integers(margin, n_frames - margin)
            absent[start : start + rng.integers(1, 3), animal] = True
        for _ in range(n_long_absences):
            start = rng.integers(margin, n_frames - margin - long_absence)
            absent[start : start + long_absence, animal] = True
    observed = truth + rng.normal(0, noise, truth.shape)
    scores = rng.uniform(0.5, 1.0, truth.shape[:3])
    low = rng.random(truth.shape[:3]) < 0.05
    scores[low] = 0.03
    padded = rng.random(truth.shape[:3]) < 0.02
    assemblies = {}
    for frame in range(n_frames):
        rows = []
        for animal in rng.permutation(n_animals):
            if absent[frame, animal]:
                continue
            row = np.concatenate(
                [observed[frame, animal], scores[frame, animal, :, None], -np.ones((n_bodyparts, 1))], axis=1
            )
            row[padded[frame, animal]] = -1
            rows.append(row)
        while len(rows) < n_animals:
            rows.append(-np.ones((n_bodyparts, 4)))
        assemblies[frame] = np.stack(rows)
    return Scene(truth, assemblies, absent, noise)


@pytest.fixture
def scene_factory():
    return make_scene


@pytest.fixture
def bodyparts():
    return list(BODYPARTS)


@pytest.fixture
def inference_cfg():
    return {
        "variant": 0,
        "pafthreshold": 0.1,
        "method": "m1",
        "pcutoff": 0.1,
        "boundingboxslack": 0,
        "iou_threshold": 0.6,
        "max_age": 1,
        "min_hits": 1,
        "topktoretain": 3,
        "minimalnumberofconnections": 3,
        "withid": False,
    }
