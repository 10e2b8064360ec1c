"""Untrusted files never execute code: every DeepLabCut pickle (and every HDF object column or
pickled attribute) is read with a restricted unpickler that builds plain data only.

Each crafted file below would create ``created-by-pickle`` when unpickled with ``pickle.load``;
each reader refuses it, names the file and the forbidden global, and the file is not created.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tables
import torch

import deeplabcut.pose_estimation_pytorch.apis as api
from deeplabcut.errors import UnsafeFileError
from deeplabcut.formats.collected_data import read_collected_data, write_collected_data
from deeplabcut.formats.tracklets import read_tracklets, tracklet_header, write_tracklets
from deeplabcut.formats.training_data import read_documentation, read_training_data_pickle, write_documentation
from deeplabcut.formats.video_pickles import (
    VideoAnalysisMetadata,
    read_assemblies_pickle,
    read_full_pickle,
    read_meta_pickle,
    write_assemblies_pickle,
    write_full_pickle,
    write_meta_pickle,
)
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.runtime.checkpoints import load_checkpoint
from deeplabcut.project.paths import AnalysisFiles
from deeplabcut.synthetic import create_synthetic_project
from deeplabcut.training_dataset.create import create_training_dataset
from deeplabcut.utils.hdf import read_hdf
from deeplabcut.utils.pickles import read_pickle, restricted_loads

from conftest import make_tiny_project
from reliability.tree import CreatesFile, tree_digest

FORBIDDEN = "io.open"  # how pickle names the built-in open()
pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.PerformanceWarning")  # object columns, on purpose


def with_cell(df: pd.DataFrame, row: int, column: int, value: object) -> pd.DataFrame:
    """``df`` as object dtype with one cell replaced by ``value``."""
    values = df.to_numpy(dtype=object, copy=True)
    values[row, column] = value
    return pd.DataFrame(values, index=df.index, columns=df.columns)


def assert_refused(info: pytest.ExceptionInfo, path: Path, target: Path) -> None:
    message = str(info.value)
    assert str(path) in message and FORBIDDEN in message
    assert not target.exists()


@pytest.fixture
def target(tmp_path: Path) -> Path:
    return tmp_path / "created-by-pickle"


# -- the readers, one by one ---------------------------------------------------------------------


def test_documentation_pickle_via_shuffle_data_and_train_network(tmp_path: Path, target: Path):
    config = make_tiny_project(tmp_path, multianimal=True)
    create_training_dataset(config, net_type="dekr_16")
    documentation = next(config.parent.glob("training-datasets/iteration-0/*/Documentation_data-*.pickle"))
    data, train, test, fraction = read_documentation(documentation)  # the legitimate file reads
    assert len(data) == len(train) and fraction == 0.95
    documentation.write_bytes(pickle.dumps([data, train, test, fraction, CreatesFile(target)]))
    before = tree_digest(tmp_path)

    with pytest.raises(UnsafeFileError) as info:
        ShuffleData(config).split_indices
    assert_refused(info, documentation, target)
    with pytest.raises(UnsafeFileError) as info:
        api.train_network(config, epochs=1)
    assert_refused(info, documentation, target)
    assert tree_digest(tmp_path) == before


def test_training_data_pickle(tmp_path: Path, target: Path):
    config = make_tiny_project(tmp_path, multianimal=True)
    create_training_dataset(config, net_type="dekr_16")
    data_file = next(config.parent.glob("training-datasets/iteration-0/*/tiny_tester95shuffle1.pickle"))
    entries = read_training_data_pickle(data_file)
    assert entries and set(entries[0]) == {"image", "size", "joints"}

    data_file.write_bytes(pickle.dumps(entries + [CreatesFile(target)]))
    with pytest.raises(UnsafeFileError) as info:
        read_training_data_pickle(data_file)
    assert_refused(info, data_file, target)


def test_meta_pickle_via_convert_detections2tracklets(tmp_path: Path, target: Path):
    config = Path(
        create_synthetic_project(
            tmp_path / "project", multianimal=True, num_individuals=2, num_bodyparts=3,
            num_frames=12, num_labeled_frames=6, frame_size=(64, 64), seed=1,
        )
    )
    create_training_dataset(config, net_type="dekr_16")
    shuffle = ShuffleData(config)
    shuffle.train_folder.mkdir(parents=True, exist_ok=True)
    torch.save({"metadata": {"epoch": 3}, "model": {}}, shuffle.train_folder / "snapshot-003.pt")
    video = next((config.parent / "videos").glob("*.mp4"))
    files = AnalysisFiles.of(video, TrainedModel.resolve(config).scorer)
    files.meta.write_bytes(pickle.dumps({"data": {"nframes": 12, "Scorer": CreatesFile(target)}}))
    before = tree_digest(tmp_path)

    with pytest.raises(UnsafeFileError) as info:
        api.convert_detections2tracklets(config, [video])
    assert_refused(info, files.meta, target)
    with pytest.raises(UnsafeFileError) as info:
        read_meta_pickle(files.meta)
    assert_refused(info, files.meta, target)
    assert tree_digest(tmp_path) == before


def test_collected_data_object_column_via_create_training_dataset(tmp_path: Path, target: Path):
    config = make_tiny_project(tmp_path, multianimal=False)
    h5 = config.parent / "labeled-data" / "tiny" / "CollectedData_tester.h5"
    df = with_cell(read_collected_data(h5), 2, 1, CreatesFile(target))
    df.to_hdf(h5, key="df_with_missing", mode="w", format="fixed")  # object block: pickled by PyTables
    before = tree_digest(tmp_path)

    with pytest.raises(UnsafeFileError) as info:
        create_training_dataset(config, net_type="dekr_16")
    assert_refused(info, h5, target)
    assert tree_digest(tmp_path) == before


def test_hdf_attribute_pickles_are_restricted_too(tmp_path: Path, target: Path):
    """PyTables unpickles attribute values by itself; pandas stores index names that way."""
    config = make_tiny_project(tmp_path, multianimal=False)
    h5 = config.parent / "labeled-data" / "tiny" / "CollectedData_tester.h5"
    with tables.open_file(h5, mode="a") as handle:
        handle.get_node("/df_with_missing")._v_attrs.note = CreatesFile(target)
    assert not target.exists()
    before = tree_digest(tmp_path)

    with pytest.raises(UnsafeFileError) as info:
        create_training_dataset(config, net_type="dekr_16")
    assert_refused(info, h5, target)
    assert tree_digest(tmp_path) == before


def test_object_columns_that_are_not_text_are_refused(tmp_path: Path):
    config = make_tiny_project(tmp_path, multianimal=False)
    h5 = config.parent / "labeled-data" / "tiny" / "CollectedData_tester.h5"
    df = with_cell(read_collected_data(h5), 2, 1, {"x": 1.0})  # plain data, so it unpickles, but not a label
    df.to_hdf(h5, key="df_with_missing", mode="w", format="fixed")
    with pytest.raises(Exception, match=r"labeled-data/tiny/img002.png' column 'tester/snout/y' holds a dict") as info:
        read_collected_data(h5)
    assert "LabelError" in type(info.value).__name__


@pytest.mark.parametrize("kind", ["full", "assemblies", "tracklets", "plain"])
def test_the_other_video_pickles(tmp_path: Path, target: Path, kind: str):
    path = tmp_path / f"video_{kind}.pickle"
    path.write_bytes(pickle.dumps({"metadata": {}, "frame0": CreatesFile(target), "header": None}))
    reader = {"full": read_full_pickle, "assemblies": read_assemblies_pickle, "tracklets": read_tracklets, "plain": read_pickle}[kind]
    with pytest.raises(UnsafeFileError) as info:
        reader(path)
    assert_refused(info, path, target)


def test_a_snapshot_holding_code_is_refused(tmp_path: Path, target: Path):
    path = tmp_path / "snapshot-001.pt"
    torch.save({"model": {}, "metadata": {"epoch": 1}, "extra": CreatesFile(target)}, path)
    with pytest.raises(UnsafeFileError) as info:
        load_checkpoint(path)
    assert_refused(info, path, target)


# -- legitimate files still read -----------------------------------------------------------------


def test_our_files_of_every_kind_read_back(tmp_path: Path):
    poses = np.random.default_rng(0).uniform(0, 50, (4, 2, 3, 3))
    unique = np.random.default_rng(1).uniform(0, 50, (4, 1, 3))
    write_full_pickle(tmp_path / "a_full.pickle", poses, unique, ["a", "b", "c", "u"])
    full = read_full_pickle(tmp_path / "a_full.pickle")
    assert full["metadata"]["nframes"] == 4 and full["frame0"]["coordinates"][0][0].shape == (2, 2)

    write_assemblies_pickle(tmp_path / "a_assemblies.pickle", poses, unique)
    assemblies = read_assemblies_pickle(tmp_path / "a_assemblies.pickle")
    np.testing.assert_allclose(assemblies[0][..., :3], poses[0])

    meta = VideoAnalysisMetadata(
        scorer="DLC_x", pytorch_config={"net_type": "dekr_16", "metadata": {"bodyparts": ["a"]}}, fps=30.0,
        batch_size=8, frame_dimensions=(64, 48), nframes=4, iteration=0, train_fraction=0.95,
        cropping_parameters=None, individuals=["i1", "i2"], bodyparts=["a", "b", "c"], unique_bodyparts=["u"],
    )
    write_meta_pickle(tmp_path / "a_meta.pickle", meta)
    assert read_meta_pickle(tmp_path / "a_meta.pickle") == meta

    header = tracklet_header("DLC_x", ["a", "b", "c"], ["u"])
    tracklets = {"header": header, "single": {0: unique[0]}, 0: {"frame0": np.zeros((3, 4))}}
    write_tracklets(tmp_path / "a_el.pickle", tracklets)
    read = read_tracklets(tmp_path / "a_el.pickle")
    assert read["header"].equals(header) and set(read) == {"header", "single", 0}

    write_documentation(tmp_path / "doc.pickle", [{"image": ("labeled-data", "v", "i.png"), "size": np.array([3, 4, 5]), "joints": {0: np.zeros((1, 3))}}], np.array([0]), np.array([], int), 0.8)
    data, train, test, fraction = read_documentation(tmp_path / "doc.pickle")
    assert data[0]["image"] == ("labeled-data", "v", "i.png") and train.tolist() == [0] and fraction == 0.8


def test_deeplabcut_2_and_3_pickles_read(tmp_path: Path):
    # pandas 2 names its index classes by their defining modules.
    header = tracklet_header("DLC_x", ["a", "b"])
    data = pickle.dumps({"header": header}, protocol=0)
    data = data.replace(b"cpandas\nMultiIndex\n", b"cpandas.core.indexes.multi\nMultiIndex\n")
    data = data.replace(b"cpandas\nIndex\n", b"cpandas.core.indexes.base\nIndex\n")
    assert b"pandas.core.indexes.multi" in data
    assert restricted_loads(data, "tracklets.pickle")["header"].equals(header)

    # NumPy 1 names numpy.core.*; Python-2-era pickles name __builtin__ and encode bytes with _codecs.
    array = pickle.dumps(np.arange(6.0).reshape(2, 3), protocol=2).replace(b"numpy._core", b"numpy.core")
    np.testing.assert_array_equal(restricted_loads(array, "x.pickle"), np.arange(6.0).reshape(2, 3))
    assert restricted_loads(b"c__builtin__\nset\n((lp0\nI1\natR.", "x.pickle") == {1}

    # DeepLabCut 3's enums in _meta.pickle's config become their plain value, without importing DeepLabCut.
    engine = b"cdeeplabcut.core.engine\nEngine\n(Vpytorch\ntR."
    task = b"cdeeplabcut.pose_estimation_pytorch.task\nTask\n(((VBU\nVBottomUp\ntVsnapshot\nttR."
    meta = b"(dp0\nVengine\n" + engine[:-1] + b"sVmethod\n" + task[:-1] + b"s."
    assert restricted_loads(meta, "a_meta.pickle") == {"engine": "pytorch", "method": "BU"}
    other = b"cdeeplabcut.pose_estimation_pytorch.runners\nInferenceRunner\n(tR."
    with pytest.raises(UnsafeFileError, match="deeplabcut.pose_estimation_pytorch.runners.InferenceRunner"):
        restricted_loads(other, "a_meta.pickle")


def test_a_legitimate_collected_data_with_text_index_reads(tmp_path: Path):
    config = make_tiny_project(tmp_path, multianimal=True)
    h5 = config.parent / "labeled-data" / "tiny" / "CollectedData_tester.h5"
    df = read_collected_data(h5)
    df.index = ["/".join(row) for row in df.index]  # older DeepLabCut: one string per row
    write_collected_data(df, h5)
    pd.testing.assert_frame_equal(read_hdf(h5, "df_with_missing"), df)
    create_training_dataset(config, net_type="dekr_16")
