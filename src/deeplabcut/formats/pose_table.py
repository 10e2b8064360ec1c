"""DeepLabCut's pose tables: the column layout, and DataFrame <-> arrays.

Every DeepLabCut file that holds poses (labels ``CollectedData_<scorer>.h5``,
analysis ``<video><scorer>.h5``, evaluation ``<scorer>.h5``, stitched tracks
``<video><scorer>_el.h5``) is a pandas DataFrame whose columns are a MultiIndex:

* single-animal: levels ``scorer / bodyparts / coords``;
* multi-animal: levels ``scorer / individuals / bodyparts / coords``, the
  individuals in config order, each with every multi-animal bodypart, then
  the pseudo-individual ``single`` holding the unique bodyparts;
* coords ``x, y`` (labels) or ``x, y, likelihood`` (predictions); ``x, y`` are
  pixels of the image or video frame, NaN where a bodypart is missing.

:func:`build_columns` builds those columns, :func:`poses_to_dataframe` turns
arrays into such a table, :func:`select_poses` and :func:`poses_from_dataframe`
turn a table back into arrays. The format modules beside this one use these
and nothing else to lay out poses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from deeplabcut.errors import LabelError

#: The pseudo-individual that holds the unique bodyparts in multi-animal tables.
SINGLE_INDIVIDUAL = "single"
#: The individual name given to the one animal of a single-animal table in arrays.
SINGLE_ANIMAL = ""
SINGLE_ANIMAL_LEVELS = ["scorer", "bodyparts", "coords"]
MULTI_ANIMAL_LEVELS = ["scorer", "individuals", "bodyparts", "coords"]
#: Coords of labels and of predictions.
LABEL_COORDS = ("x", "y")
PREDICTION_COORDS = ("x", "y", "likelihood")


def build_columns(
    scorer: str,
    bodyparts: list[str],
    individuals: list[str] | None = None,
    unique_bodyparts: list[str] | None = None,
    coords: tuple[str, ...] = LABEL_COORDS,
) -> pd.MultiIndex:
    """DeepLabCut's column MultiIndex.

    ``individuals=None`` gives single-animal columns (scorer/bodyparts/coords);
    otherwise multi-animal columns, with ``single`` last for unique bodyparts.
    """
    if individuals is None:
        tuples = [(scorer, bp, c) for bp in bodyparts for c in coords]
        return pd.MultiIndex.from_tuples(tuples, names=SINGLE_ANIMAL_LEVELS)
    tuples = [(scorer, ind, bp, c) for ind in individuals for bp in bodyparts for c in coords]
    tuples += [(scorer, SINGLE_INDIVIDUAL, bp, c) for bp in unique_bodyparts or [] for c in coords]
    return pd.MultiIndex.from_tuples(tuples, names=MULTI_ANIMAL_LEVELS)


def poses_to_dataframe(
    scorer: str,
    bodyparts: Sequence[str],
    poses: np.ndarray,
    individuals: Sequence[str] | None = None,
    unique_bodyparts: Sequence[str] = (),
    unique_poses: np.ndarray | None = None,
    index: pd.Index | Sequence | None = None,
    coords: tuple[str, ...] = PREDICTION_COORDS,
) -> pd.DataFrame:
    """A pose table in DeepLabCut's layout (float64 values, stored as given).

    Args:
        poses: ``(rows, individuals, bodyparts, len(coords))`` in pixels.
        individuals: ``None`` for single-animal columns ``scorer/bodyparts/coords``
            (``poses`` then has one individual); otherwise ``scorer/individuals/
            bodyparts/coords`` with ``single`` last for the unique bodyparts.
        unique_poses: ``(rows, unique bodyparts, len(coords))``; used when
            ``individuals`` and ``unique_bodyparts`` are given.
        index: row labels (default ``0..rows-1``).
        coords: the coords level, ``x, y`` for labels.
    """
    poses = np.asarray(poses, dtype=np.float64)
    rows = len(poses)
    if individuals is None:
        columns = build_columns(scorer, list(bodyparts), coords=coords)
        data = poses[:, 0].reshape(rows, -1)
    else:
        columns = build_columns(scorer, list(bodyparts), list(individuals), list(unique_bodyparts), coords=coords)
        parts = [poses.reshape(rows, -1)]
        if unique_bodyparts:
            parts.append(np.asarray(unique_poses, dtype=np.float64).reshape(rows, -1))
        data = np.concatenate(parts, axis=1)
    return pd.DataFrame(data, index=index, columns=columns)


def select_poses(
    df: pd.DataFrame,
    individuals: Sequence[str],
    bodyparts: Sequence[str],
    coords: Sequence[str] = PREDICTION_COORDS,
) -> np.ndarray:
    """The named columns of a pose table as ``(rows, individuals, bodyparts, coords)`` float64.

    Columns the table lacks give NaN. A single-animal table has one
    individual, named :data:`SINGLE_ANIMAL`; the unique bodyparts of a
    multi-animal table are those of the individual ``single``. Only the first
    scorer's columns are read.

    Raises:
        LabelError: the columns are not in DeepLabCut's layout.
    """
    return _select(_animal_frame(df), individuals, bodyparts, coords)


def _animal_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The first scorer's columns as ``individuals / bodyparts / coords``."""
    columns = df.columns
    if not isinstance(columns, pd.MultiIndex) or columns.nlevels not in (3, 4):
        raise LabelError(
            "Expected DeepLabCut columns scorer/bodyparts/coords (single animal) or "
            f"scorer/individuals/bodyparts/coords (multi-animal); got {columns.nlevels} level(s) "
            f"named {list(columns.names)}."
        )
    frame = df.xs(columns.get_level_values(0)[0], axis=1, level=0, drop_level=True)
    if columns.nlevels == 3:
        frame = pd.concat({SINGLE_ANIMAL: frame}, axis=1)
    return frame


def _select(
    frame: pd.DataFrame, individuals: Sequence[str], bodyparts: Sequence[str], coords: Sequence[str]
) -> np.ndarray:
    shape = (len(frame), len(individuals), len(bodyparts), len(coords))
    if not (len(individuals) and len(bodyparts) and len(coords)):
        return np.zeros(shape)
    wanted = pd.MultiIndex.from_product([list(individuals), list(bodyparts), list(coords)])
    return frame.reindex(columns=wanted).to_numpy(dtype=np.float64, na_value=np.nan).reshape(shape)


@dataclass
class PoseTable:
    """Poses of a whole video (or image set) as one array.

    Attributes:
        poses: ``(T, N, K, 3)`` ``(x, y, likelihood)`` in pixels; NaN where an
            individual has no such bodypart (e.g. unique bodyparts, which only
            the ``single`` individual has) or nothing was predicted. The
            likelihood is 1 where the DataFrame has no likelihood column
            (labels).
        individuals: the ``N`` individual names, in DataFrame order
            (``[""]`` for a single-animal DataFrame).
        bodyparts: the ``K`` bodypart names, in order of first appearance.
        frame_indices: ``(T,)`` the frame number of each row: the row index
            when it is integer (as in analysis output), else ``0..T-1``.
        scorer: the scorer (first column level).
    """

    poses: np.ndarray
    individuals: list[str]
    bodyparts: list[str]
    frame_indices: np.ndarray
    scorer: str

    @property
    def multi_animal(self) -> bool:
        return self.individuals != [SINGLE_ANIMAL]


def poses_from_dataframe(
    dataframe: pd.DataFrame,
    bodyparts: Sequence[str] | None = None,
    individuals: Sequence[str] | None = None,
) -> PoseTable:
    """Read a DeepLabCut pose DataFrame into a :class:`PoseTable`.

    Accepts single-animal columns ``scorer/bodyparts/coords`` and multi-animal
    columns ``scorer/individuals/bodyparts/coords``, coords ``x, y`` and
    optionally ``likelihood``. Only the first scorer is used.

    Args:
        dataframe: analysis output (``<video><scorer>.h5``) or labels.
        bodyparts: keep only these bodyparts (in this order).
        individuals: keep only these individuals (in this order).

    Raises:
        LabelError: the columns are not in DeepLabCut's layout, or a requested
            bodypart/individual is absent.
    """
    frame = _animal_frame(dataframe)
    sub = frame.columns
    available_coords = set(sub.get_level_values(2))
    if not {"x", "y"} <= available_coords:
        raise LabelError(f"The DataFrame's coords level holds {sorted(available_coords)}; expected x, y (and likelihood).")

    all_individuals = [str(name) for name in pd.unique(sub.get_level_values(0))]
    all_bodyparts = [str(name) for name in pd.unique(sub.get_level_values(1))]
    for wanted, present, what in ((bodyparts, all_bodyparts, "bodypart"), (individuals, all_individuals, "individual")):
        if wanted is not None:
            missing = [name for name in wanted if name not in present]
            if missing:
                raise LabelError(f"{what.capitalize()}(s) {missing} are not in the DataFrame; it has {present}.")
    chosen_individuals = list(individuals) if individuals is not None else all_individuals
    chosen_bodyparts = list(bodyparts) if bodyparts is not None else all_bodyparts
    poses = _select(frame, chosen_individuals, chosen_bodyparts, PREDICTION_COORDS)

    present_pairs = set(zip(sub.get_level_values(0), sub.get_level_values(1)))
    has_likelihood = {
        (individual, bodypart)
        for individual, bodypart, coord in zip(sub.get_level_values(0), sub.get_level_values(1), sub.get_level_values(2))
        if coord == "likelihood"
    }
    for i, individual in enumerate(chosen_individuals):
        for k, bodypart in enumerate(chosen_bodyparts):
            if (individual, bodypart) in present_pairs and (individual, bodypart) not in has_likelihood:
                labeled = np.isfinite(poses[:, i, k, :2]).all(axis=-1)
                poses[:, i, k, 2] = np.where(labeled, 1.0, np.nan)

    index = dataframe.index
    if not isinstance(index, pd.MultiIndex) and pd.api.types.is_integer_dtype(index.dtype):
        frame_indices = index.to_numpy(dtype=np.int64)
    else:
        frame_indices = np.arange(len(dataframe), dtype=np.int64)
    return PoseTable(
        poses=poses,
        individuals=chosen_individuals,
        bodyparts=chosen_bodyparts,
        frame_indices=frame_indices,
        scorer=scorer_of(dataframe),
    )


def scorer_of(df: pd.DataFrame) -> str:
    """The scorer of a pose table (its first column level's first value)."""
    return str(df.columns.get_level_values(0)[0])
