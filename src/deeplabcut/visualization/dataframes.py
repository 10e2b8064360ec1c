"""Turn DeepLabCut analysis DataFrames into pose arrays for drawing and plotting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from deeplabcut.errors import LabelError

SINGLE_ANIMAL = ""
"""The individual name used for single-animal (3-level) DataFrames."""


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


def _level(columns: pd.MultiIndex, name: str, position: int) -> int | str:
    return name if name in columns.names else position


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
    columns = dataframe.columns
    if not isinstance(columns, pd.MultiIndex) or columns.nlevels not in (3, 4):
        raise LabelError(
            "Expected DeepLabCut columns scorer/bodyparts/coords (single animal) or "
            f"scorer/individuals/bodyparts/coords (multi-animal); got {columns.nlevels} level(s) "
            f"named {list(columns.names)}."
        )
    scorer = str(columns.get_level_values(0)[0])
    frame = dataframe.xs(scorer, axis=1, level=0, drop_level=True)
    sub = frame.columns
    multi = sub.nlevels == 3
    if not multi:
        frame = pd.concat({SINGLE_ANIMAL: frame}, axis=1)
        sub = frame.columns
    coords_level = sub.nlevels - 1
    available_coords = set(sub.get_level_values(coords_level))
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

    full = pd.MultiIndex.from_product([chosen_individuals, chosen_bodyparts, ["x", "y", "likelihood"]])
    values = frame.reindex(columns=full).to_numpy(dtype=float, na_value=np.nan)
    poses = values.reshape(len(frame), len(chosen_individuals), len(chosen_bodyparts), 3)

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
        scorer=scorer,
    )


def skeleton_indices(
    skeleton: Sequence[Sequence[str | int]] | None, bodyparts: Sequence[str]
) -> list[tuple[int, int]]:
    """Map skeleton pairs given by bodypart name (config.yaml ``skeleton``) or index to index pairs.

    Pairs naming a bodypart that is not in ``bodyparts`` are skipped (as
    DeepLabCut does when some bodyparts are not displayed).
    """
    if not skeleton:
        return []
    position = {name: index for index, name in enumerate(bodyparts)}
    pairs = []
    for pair in skeleton:
        if len(pair) != 2:
            raise LabelError(f"Skeleton entry {pair!r} must be a pair of bodyparts.")
        resolved = []
        for end in pair:
            if isinstance(end, (int, np.integer)):
                resolved.append(int(end) if 0 <= int(end) < len(bodyparts) else None)
            else:
                resolved.append(position.get(str(end)))
        if None not in resolved:
            pairs.append((resolved[0], resolved[1]))
    return pairs
