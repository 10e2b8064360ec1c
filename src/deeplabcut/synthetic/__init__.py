"""Synthetic DeepLabCut projects: walking cartoon animals with exact ground truth.

:func:`create_synthetic_project` writes a complete project (config, video,
labeled frames, CollectedData) plus ``ground-truth/<video>.h5`` for scoring;
:func:`load_ground_truth` reads the latter back. :func:`make_scene` gives the
same scene in memory (render any frame, exact keypoints) without files.

Modules: ``body`` (an animal's geometry and keypoints), ``motion`` (random
walks in the arena), ``render`` (drawing), ``scene`` (a whole video in
memory), ``project`` (writing the project).
"""

from deeplabcut.synthetic.body import CANONICAL_BODYPARTS
from deeplabcut.synthetic.motion import OBJECT_NAMES
from deeplabcut.synthetic.project import (
    GroundTruth,
    SyntheticProjectExistsError,
    create_synthetic_project,
    load_ground_truth,
)
from deeplabcut.synthetic.scene import SyntheticScene, make_scene

__all__ = [
    "CANONICAL_BODYPARTS",
    "OBJECT_NAMES",
    "GroundTruth",
    "SyntheticProjectExistsError",
    "SyntheticScene",
    "create_synthetic_project",
    "load_ground_truth",
    "make_scene",
]
