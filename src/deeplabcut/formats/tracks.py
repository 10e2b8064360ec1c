"""Stitched tracks: ``<video><scorer>_el.h5`` (``_bx`` for the box tracker), HDF key ``tracks``.

The file ``stitch_tracklets`` writes, as DeepLabCut's ``write_tracks`` does:

* HDF key ``tracks``, ``format="table"``, optional ``.csv`` twin;
* columns ``scorer / individuals / bodyparts / coords``, coords ``x, y,
  likelihood`` in pixels of the analysed frame; the individuals are the
  config's (or ``ind1..indN``), then ``single`` for the unique bodyparts;
* rows: the frame indices ``0..nframes-1``; NaN where a track has no data.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from deeplabcut.errors import TrackingDataError
from deeplabcut.formats.pose_table import PREDICTION_COORDS, SINGLE_INDIVIDUAL, poses_to_dataframe, select_poses
from deeplabcut.utils.hdf import read_hdf, write_hdf_and_csv

HDF_KEY = "tracks"


def tracks_dataframe(
    scorer: str,
    bodyparts: Sequence[str],
    tracks: np.ndarray,
    individuals: Sequence[str],
    unique_bodyparts: Sequence[str] = (),
    unique: np.ndarray | None = None,
) -> pd.DataFrame:
    """The tracks as DeepLabCut's ``tracks`` DataFrame.

    Args:
        tracks: ``(frames, tracks, bodyparts, 3)`` x, y, likelihood in pixels,
            NaN where a track has no data; row ``i`` is frame ``i``.
        individuals: one name per track.
        unique: ``(frames, unique bodyparts, 3)``; points whose likelihood is
            not >= 0 (the -1 padding, or NaN) get NaN x, y.
    """
    unique_bodyparts = list(unique_bodyparts)
    if unique_bodyparts:
        unique = np.array(unique, dtype=np.float64, copy=True)
        unique[~(unique[..., 2] >= 0), :2] = np.nan
    return poses_to_dataframe(
        scorer,
        bodyparts,
        tracks,
        list(individuals),
        unique_bodyparts,
        unique,
        index=pd.RangeIndex(len(tracks)),
        coords=PREDICTION_COORDS,
    )


def write_tracks_h5(df: pd.DataFrame, path: str | Path, save_as_csv: bool = False) -> Path:
    """Write a tracks DataFrame as DeepLabCut does: HDF key ``tracks``, ``format="table"``.

    Written atomically (temporary file beside ``path``, then renamed); with
    ``save_as_csv`` a ``.csv`` twin is written too. Returns ``path``.
    """
    path = Path(path)
    write_hdf_and_csv(df, path, key=HDF_KEY, format="table", csv=save_as_csv)
    return path


def read_tracks_h5(path: str | Path) -> pd.DataFrame:
    """The DataFrame stored under key ``tracks`` (read without letting the file run code)."""
    return read_hdf(path, HDF_KEY)


def tracks_from_dataframe(df: pd.DataFrame) -> tuple[np.ndarray, list[str], list[str]]:
    """A ``tracks`` DataFrame -> (frames, individuals, bodyparts, 3) array.

    ``single`` (unique bodyparts) is left out. Returns the array, the
    individuals and the bodyparts, in column order.
    """
    columns = df.columns
    if columns.nlevels != 4:
        raise TrackingDataError(
            f"Expected columns scorer/individuals/bodyparts/coords, got {columns.nlevels} levels."
        )
    animals = columns.get_level_values("individuals") != SINGLE_INDIVIDUAL
    individuals = list(dict.fromkeys(columns.get_level_values("individuals")[animals]))
    bodyparts = list(dict.fromkeys(columns.get_level_values("bodyparts")[animals]))
    return select_poses(df, individuals, bodyparts, PREDICTION_COORDS), individuals, bodyparts
