"""Pickle files: atomic writes, a clear error for a missing file."""

from __future__ import annotations

import os

import pytest

from deeplabcut.errors import MissingFileError
from deeplabcut.utils.pickles import read_pickle, write_dict_stream, write_pickle


def test_failed_write_leaves_previous_file(tmp_path):
    path = tmp_path / "x.pickle"
    write_pickle(path, {"a": 1})

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_pickle(path, {"b": Unpicklable()})
    assert read_pickle(path) == {"a": 1}
    assert os.listdir(tmp_path) == ["x.pickle"]


def test_missing_pickle_is_named(tmp_path):
    with pytest.raises(MissingFileError, match="missing.pickle"):
        read_pickle(tmp_path / "missing.pickle")


def test_a_streamed_dict_reads_back_whole(tmp_path):
    items = [(f"frame{i:03d}", {"values": list(range(i))}) for i in range(600)] + [("single", {0: 1})]
    write_dict_stream(tmp_path / "big.pickle", iter(items), chunk=64)
    assert read_pickle(tmp_path / "big.pickle") == dict(items)
