"""Predicted poses as DeepLabCut's DataFrames (x, y, likelihood per bodypart)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from deeplabcut.labels.collected_data import build_columns


def predictions_dataframe(
    scorer: str,
    bodyparts: Sequence[str],
    poses: np.ndarray,
    individuals: Sequence[str] | None = None,
    unique_bodyparts: Sequence[str] = (),
    unique_poses: np.ndarray | None = None,
    index: pd.Index | Sequence | None = None,
) -> pd.DataFrame:
    """Predictions in DeepLabCut's layout.

    Args:
        poses: ``(rows, individuals, bodyparts, 3)`` x, y, likelihood in pixels;
            a likelihood below 0 marks a prediction that does not exist (the
            models' -1 padding) and gives NaN. Coordinates themselves may be
            negative (a point just outside the frame).
        individuals: ``None`` for single-animal columns ``scorer/bodyparts/coords``
            (``poses`` then has one individual); otherwise ``scorer/individuals/
            bodyparts/coords`` with ``single`` last for the unique bodyparts.
        unique_poses: ``(rows, unique bodyparts, 3)``.
        index: row labels (default ``0..rows-1``).
    """
    poses = _missing_as_nan(np.asarray(poses, dtype=np.float64))
    rows = len(poses)
    if individuals is None:
        columns = build_columns(scorer, list(bodyparts), coords=("x", "y", "likelihood"))
        data = poses[:, 0].reshape(rows, -1)
    else:
        columns = build_columns(scorer, list(bodyparts), list(individuals), list(unique_bodyparts), coords=("x", "y", "likelihood"))
        parts = [poses.reshape(rows, -1)]
        if unique_bodyparts:
            parts.append(_missing_as_nan(np.asarray(unique_poses, dtype=np.float64)).reshape(rows, -1))
        data = np.concatenate(parts, axis=1)
    return pd.DataFrame(data, index=index, columns=columns)


def _missing_as_nan(poses: np.ndarray) -> np.ndarray:
    poses = poses.copy()
    poses[poses[..., 2] < 0] = np.nan
    return poses
