"""Corrupt files get our errors: damaged labels fall back to their .csv twin or are named, damaged
images and snapshots are named, a coordinate that is not a number is located, and a snapshot of
another net type is summarised in one sentence."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from deeplabcut.errors import CorruptFileError, DLCError, LabelError, ModelError
from deeplabcut.formats.collected_data import read_collected_data
from deeplabcut.formats.training_data import read_documentation
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.runtime.checkpoints import load_checkpoint, load_snapshot, save_checkpoint
from deeplabcut.training_dataset.create import create_training_dataset
from deeplabcut.utils.pickles import read_pickle

from conftest import make_tiny_project
from reliability.tree import tree_digest, truncate


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_tiny_project(tmp_path, multianimal=True)


def labels_h5(config: Path) -> Path:
    return config.parent / "labeled-data" / "tiny" / "CollectedData_tester.h5"


DAMAGES = {
    "truncated": lambda path: truncate(path, 0.5),
    "empty": lambda path: path.write_bytes(b""),
    "garbage": lambda path: path.write_bytes(np.random.default_rng(0).bytes(5000)),
}


# -- CollectedData ------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", DAMAGES)
def test_damaged_labels_h5_falls_back_to_its_csv_twin_and_says_so(project: Path, damage: str):
    h5 = labels_h5(project)
    expected = read_collected_data(h5)
    DAMAGES[damage](h5)

    with pytest.warns(UserWarning, match=r"CollectedData_tester.h5' cannot be read; using 'CollectedData_tester.csv'") as record:
        labels = read_collected_data(h5)
    assert len(record) == 1
    pd.testing.assert_frame_equal(labels, expected, check_names=False)
    with pytest.warns(UserWarning, match="using 'CollectedData_tester.csv'"):
        create_training_dataset(project, net_type="dekr_16")


@pytest.mark.parametrize("damage", DAMAGES)
def test_damaged_labels_h5_without_twin_is_named(project: Path, damage: str):
    h5 = labels_h5(project)
    h5.with_suffix(".csv").unlink()
    DAMAGES[damage](h5)
    before = tree_digest(project.parent)

    with pytest.raises(CorruptFileError) as info:
        create_training_dataset(project, net_type="dekr_16")

    message = str(info.value)
    assert str(h5) in message and "no 'CollectedData_tester.csv' beside it" in message
    assert "\n" not in message and "H5F.c" not in message  # one sentence, not HDF5's back trace
    assert tree_digest(project.parent) == before


@pytest.mark.filterwarnings("ignore::pandas.errors.PerformanceWarning")
@pytest.mark.parametrize("where", ["csv", "h5"])
def test_a_coordinate_that_is_not_a_number_names_file_row_and_column(project: Path, where: str):
    h5 = labels_h5(project)
    df = read_collected_data(h5).astype(object)
    column = ("tester", "mouse2", "leftear", "y")
    df.loc[("labeled-data", "tiny", "img004.png"), column] = "abc"
    if where == "csv":
        h5.unlink()
        h5.with_suffix(".csv").write_text(df.to_csv())
        path = h5.with_suffix(".csv")
    else:
        df.to_hdf(h5, key="df_with_missing", mode="w", format="fixed")  # an object column of text
        path = h5
    before = tree_digest(project.parent)

    with pytest.raises(LabelError) as info:
        create_training_dataset(project, net_type="dekr_16")

    message = str(info.value)
    assert str(path) in message and "labeled-data/tiny/img004.png" in message
    assert "tester/mouse2/leftear/y" in message and "'abc'" in message
    assert tree_digest(project.parent) == before


# -- labeled images -----------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_an_image_that_does_not_decode_is_refused_when_the_dataset_is_created(project: Path, damage: str):
    image = project.parent / "labeled-data" / "tiny" / "img003.png"
    if damage == "empty":
        image.write_bytes(b"")
    else:
        truncate(image, 0.6)  # the header (and size) still read; the pixels do not
    before = tree_digest(project.parent)

    with pytest.raises(CorruptFileError) as info:
        create_training_dataset(project, net_type="dekr_16")

    message = str(info.value)
    assert str(image) in message and "cannot be decoded" in message and "CollectedData" in message
    assert tree_digest(project.parent) == before


# -- snapshots ----------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_snapshot_is_named(tmp_path: Path, damage: str):
    path = tmp_path / "snapshot-005.pt"
    model = torch.nn.Linear(8, 4)
    save_checkpoint(path, {"metadata": {"epoch": 5}, "model": model.state_dict()})
    DAMAGES[damage](path)

    for load in (lambda: load_checkpoint(path), lambda: load_snapshot(model, path)):
        with pytest.raises(CorruptFileError) as info:
            load()
        assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_a_snapshot_of_another_net_type_is_summarised(tmp_path: Path):
    def net(width: int) -> torch.nn.Module:
        return torch.nn.Sequential(*[torch.nn.Conv2d(width, width, 3) for _ in range(300)])

    path = tmp_path / "snapshot-010.pt"
    save_checkpoint(path, {"metadata": {"epoch": 10, "net_type": "dekr_48"}, "model": net(6).state_dict()})

    with pytest.raises(ModelError) as info:
        load_snapshot(net(4), path)

    message = str(info.value)
    assert str(path) in message and "net_type dekr_48" in message
    assert "600 weight(s) of another shape" in message and "0.weight [6, 6, 3, 3] in the snapshot vs [4, 4, 3, 3]" in message
    assert "597 more" in message and len(message) < 1200 and "\n" not in message


def test_a_snapshot_with_other_layers_is_summarised(tmp_path: Path):
    path = tmp_path / "snapshot-010.pt"
    save_checkpoint(path, {"metadata": {"epoch": 10}, "model": torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)).state_dict()})

    with pytest.raises(ModelError, match=r"2 weight\(s\) the model does not have \(e.g. 1.weight; 1.bias\)"):
        load_snapshot(torch.nn.Sequential(torch.nn.Linear(2, 2)), path)


# -- pickles ------------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_documentation_pickle_is_named(project: Path, damage: str):
    create_training_dataset(project, net_type="dekr_16")
    documentation = next(project.parent.glob("training-datasets/iteration-0/*/Documentation_data-*.pickle"))
    DAMAGES[damage](documentation)

    for read in (lambda: read_documentation(documentation), lambda: ShuffleData(project).split_indices):
        with pytest.raises(CorruptFileError) as info:
            read()
        assert str(documentation) in str(info.value)


def test_a_pickle_of_something_else_is_not_a_documentation_file(tmp_path: Path):
    path = tmp_path / "Documentation_data-x_95shuffle1.pickle"
    path.write_bytes(__import__("pickle").dumps({"not": "a list"}))
    with pytest.raises(CorruptFileError, match="does not hold DeepLabCut's split list"):
        read_documentation(path)


def test_errors_of_damaged_files_are_all_ours(tmp_path: Path):
    """Every damage above raises from the one family scripts can catch."""
    path = tmp_path / "x.pickle"
    for damage in DAMAGES.values():
        path.write_bytes(os.urandom(64))
        damage(path)
        with pytest.raises(DLCError):
            read_pickle(path)
