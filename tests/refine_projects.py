"""Small projects for the refinement-loop tests: a synthetic video with a hand-made analysis file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from deeplabcut.formats.analysis import predictions_dataframe, write_analysis
from deeplabcut.synthetic import create_synthetic_project, load_ground_truth

#: The model name the hand-made analysis files carry (tests patch the scorer lookup to return it).
SCORER = "DLC_DekrW16_synthNov30shuffle1_snapshot_002"


def make_analysed_project(root: Path) -> tuple[Path, Path]:
    """A single-animal synthetic project (40 frames, 8 labeled: 0, 6, 11, 17, 22, 28, 33, 39) and its video.

    The video's analysis ``<video><SCORER>.h5`` is the ground truth (likelihood
    0.95) with two planted jumps: frames 11 (labeled) and 12, and 26 and 27.
    Returns ``(config path, video path)``.
    """
    config = Path(create_synthetic_project(
        root, multianimal=False, num_bodyparts=3, num_frames=40, num_labeled_frames=8, frame_size=(64, 64), seed=2
    ))  # fmt: skip
    video = next((config.parent / "videos").glob("*.mp4"))
    truth = load_ground_truth(config)
    poses = np.concatenate([truth.keypoints, np.full(truth.keypoints.shape[:-1] + (1,), 0.95)], axis=-1)
    poses[11, 0, 1, :2] += [25, 0]
    poses[26, 0, 0, :2] += [0, 25]
    write_analysis(predictions_dataframe(SCORER, truth.bodyparts, poses), video.parent / f"{video.stem}{SCORER}.h5")
    return config, video


def tree_digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}
