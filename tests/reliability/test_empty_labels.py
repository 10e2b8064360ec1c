"""Labels with nothing in them are refused by create_training_dataset, before anything is written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deeplabcut.errors import LabelError
from deeplabcut.formats.collected_data import read_collected_data, write_collected_data
from deeplabcut.training_dataset.create import create_training_dataset

from conftest import make_tiny_project
from reliability.tree import tree_digest


def labels_h5(config: Path) -> Path:
    return config.parent / "labeled-data" / "tiny" / "CollectedData_tester.h5"


def keep_labels_of_rows(config: Path, rows: list[int]) -> None:
    """Clear every label except those of ``rows`` (in both the .h5 and its .csv twin)."""
    df = read_collected_data(labels_h5(config))
    cleared = np.setdiff1d(np.arange(len(df)), rows)
    df.iloc[cleared, :] = np.nan
    write_collected_data(df, labels_h5(config))


@pytest.mark.parametrize("multianimal", [False, True])
def test_labels_that_are_all_nan_are_refused(tmp_path: Path, multianimal: bool):
    config = make_tiny_project(tmp_path, multianimal=multianimal)
    keep_labels_of_rows(config, [])
    before = tree_digest(tmp_path)

    with pytest.raises(LabelError) as info:
        create_training_dataset(config, net_type="dekr_16")

    message = str(info.value)
    assert "no labeled point" in message and "labeled-data/tiny/CollectedData_tester.h5" in message
    assert tree_digest(tmp_path) == before


def test_a_training_split_without_a_labeled_image_is_refused(tmp_path: Path):
    config = make_tiny_project(tmp_path, multianimal=True)
    keep_labels_of_rows(config, [9])
    before = tree_digest(tmp_path)

    with pytest.raises(LabelError) as info:
        create_training_dataset(config, net_type="dekr_16", Shuffles=[3], trainIndices=[list(range(8))], testIndices=[[8, 9]])

    message = str(info.value)
    assert "Shuffle 3" in message and "none of which has a labeled point" in message
    assert tree_digest(tmp_path) == before


def test_one_labeled_image_in_the_training_split_is_enough(tmp_path: Path):
    config = make_tiny_project(tmp_path, multianimal=False)
    keep_labels_of_rows(config, [0])
    (fraction, shuffle, (train, test)), = create_training_dataset(
        config, net_type="dekr_16", trainIndices=[list(range(8))], testIndices=[[8, 9]]
    )
    assert list(train) == list(range(8)) and shuffle == 1
