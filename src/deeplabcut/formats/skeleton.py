"""Bone lengths and orientations: ``<analysis file stem>_skeleton.h5`` (``analyzeskeleton``).

The file DeepLabCut's ``analyzeskeleton`` writes:

* HDF key ``df_with_missing``, ``format="table"``, optional ``.csv`` twin;
* two unnamed column levels: the bone, then ``length``, ``orientation``,
  ``likelihood``. A bone is named ``<bodypart1>_<bodypart2>`` (single animal)
  or ``<individual>_<bodypart1>_<bodypart2>`` (multi-animal), one per
  ``skeleton`` pair of config.yaml;
* rows: the frames of the analysis file;
* ``length`` in pixels, ``orientation`` in degrees in ``[0, 360)``:
  ``atan2(y2 - y1, x2 - x1)`` from bodypart 1 to bodypart 2 in image
  coordinates (x right, y down, so angles grow clockwise on screen);
  ``likelihood`` the smaller of the two bodyparts' likelihoods. NaN where
  either bodypart is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from deeplabcut.utils.hdf import read_hdf, write_hdf_and_csv

HDF_KEY = "df_with_missing"
BONE_COLUMNS = ("length", "orientation", "likelihood")


def bones_dataframe(bones: Sequence[str], values: np.ndarray, index: pd.Index | Sequence | None = None) -> pd.DataFrame:
    """The skeleton table: ``values`` ``(frames, bones, 3)`` (length, orientation, likelihood) per bone."""
    values = np.asarray(values, dtype=np.float64)
    columns = pd.MultiIndex.from_tuples([(bone, name) for bone in bones for name in BONE_COLUMNS])
    return pd.DataFrame(values.reshape(len(values), -1), index=index, columns=columns)


def write_skeleton(df: pd.DataFrame, path: str | Path, save_as_csv: bool = False) -> None:
    """Write a skeleton table as DeepLabCut does (key ``df_with_missing``, ``format="table"``), atomically."""
    write_hdf_and_csv(df, path, key=HDF_KEY, format="table", csv=save_as_csv)


def read_skeleton(path: str | Path) -> pd.DataFrame:
    """Read a ``_skeleton.h5`` (without letting the file run code)."""
    return read_hdf(path, HDF_KEY, first_key_if_missing=True)
