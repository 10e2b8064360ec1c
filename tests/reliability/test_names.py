"""Project names are names: Task, scorer, date, bodyparts and individuals that cannot be part of a
file name are refused when config.yaml is read, before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from deeplabcut.errors import ConfigError
from deeplabcut.project.config import read_config, write_config
from deeplabcut.project.create import create_new_project
from deeplabcut.training_dataset.create import create_training_dataset

from conftest import make_tiny_project, write_video
from reliability.tree import tree_digest

BAD_VALUES = ["../../../escape", "a/b", "a\\b", "up..", "nul\x00byte", "tab\there", "colon:name", "star*", "pipe|", ""]


def _edit(config: Path, key: str, value, index: int | None = None) -> None:
    cfg = read_config(config)
    if index is None:
        cfg[key] = value
    else:
        cfg[key][index] = value
    write_config(config, cfg)


@pytest.mark.parametrize("value", BAD_VALUES)
def test_a_task_that_is_not_a_name_is_refused_before_anything_is_written(tmp_path: Path, value: str):
    config = make_tiny_project(tmp_path, multianimal=False)
    _edit(config, "Task", value)
    before = tree_digest(tmp_path)  # the project and everything around it

    with pytest.raises(ConfigError) as info:
        create_training_dataset(config, net_type="dekr_16")

    message = str(info.value)
    assert "config.yaml" in message and "'Task'" in message
    assert repr(value) in message or (not value and "non-empty" in message)
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize(
    ("key", "index", "multianimal"),
    [
        ("scorer", None, False),
        ("date", None, False),
        ("bodyparts", 1, False),
        ("multianimalbodyparts", 0, True),
        ("uniquebodyparts", 0, True),
        ("individuals", 1, True),
    ],
)
@pytest.mark.parametrize("value", ["../escape", "back\\slash", "..", "a\x00b", "q?"])
def test_every_name_key_is_checked(tmp_path: Path, key: str, index: int | None, multianimal: bool, value: str):
    config = make_tiny_project(tmp_path, multianimal=multianimal)
    _edit(config, key, value, index)
    before = tree_digest(tmp_path)

    with pytest.raises(ConfigError, match=f"'{key}' value") as info:
        create_training_dataset(config, net_type="dekr_16")

    assert str(config) in str(info.value) and repr(value) in str(info.value)
    assert tree_digest(tmp_path) == before


def test_ordinary_names_with_spaces_dots_and_dashes_are_accepted(tmp_path: Path):
    config = make_tiny_project(tmp_path, multianimal=False)
    _edit(config, "Task", "open field v1.2_a-b")
    cfg = read_config(config)
    assert cfg["Task"] == "open field v1.2_a-b"
    create_training_dataset(config, net_type="dekr_16")
    assert list((config.parent / "training-datasets" / "iteration-0").glob("UnaugmentedDataSet_open field v1.2_a-b*"))


@pytest.mark.parametrize(("project", "experimenter"), [("../up", "me"), ("ok", "a:b"), ("ok", "..")])
def test_create_new_project_refuses_names_before_creating_a_folder(tmp_path: Path, project: str, experimenter: str):
    video = write_video(tmp_path / "v.mp4")
    before = tree_digest(tmp_path)
    with pytest.raises(ConfigError, match="cannot be used in file and folder names"):
        create_new_project(project, experimenter, [video], working_directory=tmp_path / "work")
    assert tree_digest(tmp_path) == before
