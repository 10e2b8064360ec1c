"""The tracklet pickle: ``<video><scorer>_el.pickle`` (ellipse tracker), ``_bx.pickle`` (box).

``convert_detections2tracklets`` writes, and ``stitch_tracklets`` reads, a
pickled dict::

    {
        "header": MultiIndex scorer/bodyparts/coords (x, y, likelihood per joint,
                  joints = bodyparts then unique bodyparts),
        "single": {frame_index: (n_unique, 3) array},   # only with unique bodyparts
        0: {"frame0000": (n_bodyparts, 4) [x, y, likelihood, id], ...},
        1: {...},                                        # one entry per tracklet id
    }

Frame keys are ``"frame"`` plus the frame index zero-padded to
``ceil(log10(num_frames))`` digits (at least one), as in ``_full.pickle``;
DeepLabCut also stores some tracklets keyed by the plain frame index (an int).
Coordinates are pixels of the analysed video frame.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from deeplabcut.errors import ConfigError, TrackingDataError
from deeplabcut.formats.pose_table import PREDICTION_COORDS, SINGLE_INDIVIDUAL, build_columns
from deeplabcut.utils.pickles import read_pickle, write_pickle

HEADER_KEY = "header"
#: Key of the unique bodyparts' entry, the pseudo-individual of pose tables.
SINGLE_KEY = SINGLE_INDIVIDUAL


def frame_key_width(num_frames: int) -> int:
    """Digits of the zero-padded frame keys: ``ceil(log10(num_frames))``, at least 1."""
    if num_frames < 1:
        raise ConfigError(f"num_frames must be at least 1, got {num_frames}.")
    return max(1, int(math.ceil(math.log10(num_frames))))


def frame_key(index: int, width: int) -> str:
    """``"frame"`` + ``index`` zero-padded to ``width`` digits, e.g. ``frame0042``."""
    return f"frame{int(index):0{width}d}"


def frame_index(key: str | int) -> int:
    """Frame index of a tracklet key (``"frame0042"`` -> 42; an int is returned as is)."""
    if isinstance(key, (int, np.integer)):
        return int(key)
    digits = "".join(ch for ch in str(key) if ch.isdigit())
    if not digits:
        raise TrackingDataError(
            f"Tracklet frame key {key!r} holds no frame number; expected 'frame<digits>' or an int."
        )
    return int(digits)


def tracklet_header(
    scorer: str, bodyparts: list[str], unique_bodyparts: list[str] | None = None
) -> pd.MultiIndex:
    """The ``header`` of a tracklet pickle: scorer/bodyparts/coords over all joints.

    Its levels hold plain Python strings (object dtype): a pickled pandas-3
    string index cannot be unpickled by pandas 2, which DeepLabCut uses.
    """
    joints = list(bodyparts) + list(unique_bodyparts or [])
    columns = build_columns(scorer, joints, coords=PREDICTION_COORDS)
    arrays = [pd.Index(columns.get_level_values(level).tolist(), dtype=object) for level in range(columns.nlevels)]
    return pd.MultiIndex.from_arrays(arrays, names=columns.names)


def write_tracklets(path: str | Path, tracklets: dict[Any, Any]) -> None:
    """Pickle a tracklet dict to ``path`` atomically."""
    write_pickle(path, tracklets)


def read_tracklets(path: str | Path) -> dict[Any, Any]:
    """Load a tracklet dict written by DeepLabCut or :func:`write_tracklets` (plain data only: a crafted file cannot run code).

    Raises:
        MissingFileError: there is no file at ``path``.
        UnsafeFileError, CorruptFileError: as :func:`deeplabcut.utils.pickles.read_pickle`.
        TrackingDataError: the pickle does not hold a dict.
    """
    tracklets = read_pickle(path)
    if not isinstance(tracklets, dict):
        raise TrackingDataError(
            f"'{path}' holds a {type(tracklets).__name__}, not a tracklet dict; is it a tracklet pickle?"
        )
    return tracklets
