"""Hand-made DeepLabCut analysis DataFrames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

SCORER = "DLC_DekrW32_testNov24shuffle1_snapshot_10"


def single_animal_dataframe(xy_likelihood: np.ndarray, bodyparts: list[str]) -> pd.DataFrame:
    """``xy_likelihood``: (T, K, 3) -> 3-level columns scorer/bodyparts/coords."""
    columns = pd.MultiIndex.from_product(
        [[SCORER], bodyparts, ["x", "y", "likelihood"]], names=["scorer", "bodyparts", "coords"]
    )
    return pd.DataFrame(xy_likelihood.reshape(len(xy_likelihood), -1), columns=columns)


def multi_animal_dataframe(
    poses: dict[str, np.ndarray], bodyparts: dict[str, list[str]]
) -> pd.DataFrame:
    """``poses[individual]``: (T, K_i, 3) -> 4-level columns scorer/individuals/bodyparts/coords."""
    tuples, blocks = [], []
    for individual, array in poses.items():
        for bodypart in bodyparts[individual]:
            for coord in ("x", "y", "likelihood"):
                tuples.append((SCORER, individual, bodypart, coord))
        blocks.append(array.reshape(len(array), -1))
    columns = pd.MultiIndex.from_tuples(tuples, names=["scorer", "individuals", "bodyparts", "coords"])
    return pd.DataFrame(np.concatenate(blocks, axis=1), columns=columns)


@pytest.fixture
def dataframes():
    class Factory:
        single = staticmethod(single_animal_dataframe)
        multi = staticmethod(multi_animal_dataframe)

    return Factory
