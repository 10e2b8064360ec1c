"""Training-set files round-trip with DeepLabCut's layouts (no torch needed)."""

import pickle

import numpy as np
import scipy.io

from deeplabcut.formats.training_data import (
    METADATA_HEADER,
    read_documentation,
    read_metadata,
    write_documentation,
    write_metadata,
    write_training_data_file,
)


def _entries():
    return [{"image": ("labeled-data", "v", "img000.png"), "size": np.array([3, 48, 64]), "joints": np.array([[0, 5.0, 6.0]])}]


def test_documentation_pickle_is_deeplabcuts_four_element_list(tmp_path):
    path = tmp_path / "Documentation_data-T_95shuffle1.pickle"
    write_documentation(path, _entries(), np.array([2, 0]), np.array([1]), 0.95)
    raw = pickle.loads(path.read_bytes())
    assert isinstance(raw, list) and len(raw) == 4 and raw[3] == 0.95
    data, train, test, fraction = read_documentation(path)
    np.testing.assert_array_equal(train, [2, 0])
    np.testing.assert_array_equal(test, [1])
    assert fraction == 0.95 and data[0]["image"] == ("labeled-data", "v", "img000.png")


def test_training_data_file_mat_and_pickle(tmp_path):
    write_training_data_file(tmp_path / "a.mat", _entries(), multianimal=False)
    dataset = scipy.io.loadmat(tmp_path / "a.mat")["dataset"]
    assert dataset.dtype.names == ("image", "size", "joints")
    write_training_data_file(tmp_path / "a.pickle", _entries(), multianimal=True)
    assert pickle.loads((tmp_path / "a.pickle").read_bytes())[0]["image"][2] == "img000.png"


def test_metadata_yaml_has_the_header_and_sorted_shuffles(tmp_path):
    path = tmp_path / "metadata.yaml"
    assert read_metadata(path) == {}
    shuffles = {
        "b": {"train_fraction": 0.95, "index": 2, "split": 1, "engine": "pytorch"},
        "a": {"train_fraction": 0.8, "index": 1, "split": 2, "engine": "pytorch"},
    }
    write_metadata(path, shuffles)
    text = path.read_text()
    assert text.startswith(METADATA_HEADER)
    assert list(read_metadata(path)) == ["a", "b"]
