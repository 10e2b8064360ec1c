"""Prediction tables: ``analyze_videos``/``analyze_images`` results and evaluation predictions.

* ``<video><scorer>.h5`` (``analyze_videos``) and ``<folder><scorer>.h5``
  (``analyze_images``): HDF key ``df_with_missing``, ``format="table"``,
  optional ``.csv`` twin. Single-animal columns ``scorer/bodyparts/coords``,
  multi-animal ``scorer/individuals/bodyparts/coords`` (``single`` last for
  the unique bodyparts), coords ``x, y, likelihood`` in pixels; rows are the
  frame indices ``0..nframes-1`` (videos) or the image file names (images).
* ``<scorer>.h5`` in the evaluation folder: key ``df_with_missing``,
  ``format="fixed"``, 4-level columns, rows as in the merged labels.

A prediction whose likelihood is below 0 (the models' -1 padding) is stored
as NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from deeplabcut.formats.pose_table import PREDICTION_COORDS, poses_to_dataframe
from deeplabcut.utils.hdf import read_hdf, write_hdf_and_csv

HDF_KEY = "df_with_missing"


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
    if individuals is not None and unique_bodyparts:
        unique_poses = _missing_as_nan(np.asarray(unique_poses, dtype=np.float64))
    return poses_to_dataframe(
        scorer, bodyparts, poses, individuals, unique_bodyparts, unique_poses, index=index, coords=PREDICTION_COORDS
    )


def _missing_as_nan(poses: np.ndarray) -> np.ndarray:
    poses = poses.copy()
    poses[poses[..., 2] < 0] = np.nan
    return poses


def write_analysis(df: pd.DataFrame, path: str | Path, save_as_csv: bool = False) -> None:
    """Write video or image analysis results: key ``df_with_missing``, ``format="table"``, optional ``.csv``."""
    write_hdf_and_csv(df, path, key=HDF_KEY, format="table", csv=save_as_csv)


def write_evaluation_predictions(df: pd.DataFrame, path: str | Path) -> None:
    """Write evaluation predictions ``<scorer>.h5``: key ``df_with_missing``, ``format="fixed"``, no ``.csv``."""
    write_hdf_and_csv(df, path, key=HDF_KEY, format="fixed")


def read_analysis(path: str | Path, key: str = HDF_KEY) -> pd.DataFrame:
    """Read a pose table from an ``.h5`` file: under ``key``, else under the file's first key.

    The file cannot run code (:func:`deeplabcut.utils.hdf.read_hdf`).

    Raises:
        MissingFileError, CorruptFileError, UnsafeFileError: as :func:`~deeplabcut.utils.hdf.read_hdf`.
    """
    return read_hdf(path, key, first_key_if_missing=True)
