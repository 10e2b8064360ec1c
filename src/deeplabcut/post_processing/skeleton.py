"""Bone lengths and orientations per frame (``analyzeskeleton``), from a pose table.

The table layout is :mod:`deeplabcut.formats.skeleton`'s. Bones are the
``skeleton`` pairs of config.yaml; in a multi-animal table each individual
(not ``single``, the unique bodyparts) gets every bone whose two bodyparts it
has.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from deeplabcut.errors import ConfigError, CorruptFileError
from deeplabcut.formats.pose_table import SINGLE_ANIMAL, SINGLE_INDIVIDUAL, select_poses
from deeplabcut.formats import analysis
from deeplabcut.formats.skeleton import bones_dataframe, write_skeleton


def bone_measures(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Length, orientation and likelihood of the bone from ``first`` to ``second``.

    Args:
        first, second: ``(frames, 3)`` x, y, likelihood of the two bodyparts, in pixels.

    Returns:
        ``(frames, 3)``: length in pixels; orientation in degrees in ``[0, 360)``,
        ``atan2(dy, dx)`` of the vector from ``first`` to ``second``; the
        smaller likelihood. NaN where either point is NaN.
    """
    dx = second[:, 0] - first[:, 0]
    dy = second[:, 1] - first[:, 1]
    length = np.hypot(dx, dy)
    orientation = np.mod(np.degrees(np.arctan2(dy, dx)), 360.0)
    likelihood = np.fmin(first[:, 2], second[:, 2])
    likelihood[np.isnan(first[:, 2]) | np.isnan(second[:, 2])] = np.nan
    return np.stack([length, orientation, likelihood], axis=1)


def skeleton_table(df: pd.DataFrame, skeleton: Sequence[Sequence[str]]) -> pd.DataFrame:
    """Every bone of ``skeleton`` in every animal of the pose table ``df``, per frame.

    Raises:
        ConfigError: ``skeleton`` is empty or not pairs, or names a bodypart no animal of ``df`` has.
        CorruptFileError: ``df`` is not a pose table.
    """
    pairs = [tuple(pair) for pair in skeleton or []]
    if not pairs:
        raise ConfigError("config.yaml defines no 'skeleton'. Add pairs of bodyparts under 'skeleton:', e.g. [[snout, tailbase]].")
    if any(len(pair) != 2 for pair in pairs):
        raise ConfigError(f"config.yaml's 'skeleton' must be a list of bodypart pairs; got {skeleton!r}.")
    columns = df.columns
    if not isinstance(columns, pd.MultiIndex) or columns.nlevels not in (3, 4) or "bodyparts" not in columns.names:
        raise CorruptFileError(f"Expected a pose table (scorer/[individuals/]bodyparts/coords); got columns {list(columns.names)}.")
    if columns.nlevels == 3:
        animals = {SINGLE_ANIMAL: list(dict.fromkeys(columns.get_level_values("bodyparts")))}
    else:
        animals = {}
        for individual, bodypart in zip(columns.get_level_values("individuals"), columns.get_level_values("bodyparts")):
            if individual != SINGLE_INDIVIDUAL:
                animals.setdefault(individual, {})[bodypart] = None
        animals = {individual: list(parts) for individual, parts in animals.items()}
    known = {bodypart for parts in animals.values() for bodypart in parts}
    unknown = sorted({bodypart for pair in pairs for bodypart in pair} - known)
    if unknown:
        raise ConfigError(
            f"config.yaml's 'skeleton' names {unknown}, which the analysis file does not have "
            f"(it has {sorted(known)}). Fix the skeleton pairs."
        )
    names, blocks = [], []
    for individual, bodyparts in animals.items():
        poses = select_poses(df, [individual], bodyparts)[:, 0]  # (frames, bodyparts, 3)
        for first, second in pairs:
            if first in bodyparts and second in bodyparts:
                prefix = f"{individual}_" if individual != SINGLE_ANIMAL else ""
                names.append(f"{prefix}{first}_{second}")
                blocks.append(bone_measures(poses[:, bodyparts.index(first)], poses[:, bodyparts.index(second)]))
    values = np.stack(blocks, axis=1) if blocks else np.zeros((len(df), 0, 3))
    return bones_dataframe(names, values, index=df.index)


def skeleton_of_analysis_file(
    source: str | Path, destination: str | Path, skeleton: Sequence[Sequence[str]], save_as_csv: bool = False
) -> pd.DataFrame:
    """The bones of the poses or tracks in ``source``, written to ``destination`` (``..._skeleton.h5``).

    Raises:
        ConfigError: as :func:`skeleton_table`, before anything is written.
    """
    table = skeleton_table(analysis.read_analysis(source), skeleton)
    write_skeleton(table, destination, save_as_csv=save_as_csv)
    return table
