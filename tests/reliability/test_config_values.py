"""Every value of pytorch_config.yaml, of train_network's overrides and of the inference APIs'
arguments is checked before anything is written: one ConfigValueError naming the file (or call),
the key path, the value and what is allowed; the project tree stays byte-identical."""

from __future__ import annotations

from pathlib import Path

import pytest

from deeplabcut.errors import ConfigValueError
from deeplabcut.pose_estimation_pytorch.apis import analyze_images, analyze_videos, evaluate_network, train_network
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.utils.yaml_io import read_yaml, write_yaml

from reliability.tree import tree_digest


@pytest.fixture
def trained_looking_project(tiny_dekr_project: Path) -> tuple[Path, ShuffleData]:
    """A tiny DEKR shuffle with a (fake) earlier run's snapshot that a new run would set aside."""
    project = ShuffleData(tiny_dekr_project)
    (project.train_folder / "snapshot-005.pt").write_bytes(b"an earlier run's weights")
    return tiny_dekr_project, project


def refused(root: Path, call, match: str) -> ConfigValueError:
    before = tree_digest(root)
    with pytest.raises(ConfigValueError, match=match) as error:
        call()
    assert tree_digest(root) == before, "a refused call changed the project"
    return error.value


def test_override_of_a_bad_type_is_refused_before_the_config_is_saved_or_runs_set_aside(trained_looking_project):
    config, project = trained_looking_project
    error = refused(
        config.parent,
        lambda: train_network(config, pytorch_cfg_updates={"data.train.crop_sampling.width": "big"}),
        r"pytorch_config.yaml' with the overrides of train_network: data.train.crop_sampling.width = 'big'.*integer >= 1",
    )
    assert (error.key, error.value) == ("data.train.crop_sampling.width", "big")
    assert (project.train_folder / "snapshot-005.pt").exists()


@pytest.mark.parametrize(
    "kwargs, key, allowed",
    [
        ({"epochs": -1}, "train_settings.epochs", "integer >= 0"),
        ({"batch_size": 0}, "train_settings.batch_size", "integer >= 1"),
        ({"save_epochs": "often"}, "runner.snapshots.save_epochs", "integer >= 1"),
        ({"device": "gpu0"}, "device", "'cuda:N'"),
        ({"dataloader_workers": -3}, "train_settings.dataloader_workers", "'auto'"),
    ],
)
def test_shortcut_overrides_are_checked(trained_looking_project, kwargs, key, allowed):
    config, _ = trained_looking_project
    error = refused(config.parent, lambda: train_network(config, **kwargs), f"{key} = .*{allowed}")
    assert error.key == key


@pytest.mark.parametrize(
    "section, key, value, allowed",
    [
        ("train_settings", "epochs", "ten", "an integer >= 0"),
        ("train_settings", "batch_size", -2, "an integer >= 1"),
        ("train_settings", "epochz", 5, "Unknown config key .*Did you mean 'epochs'\\?"),
    ],
)
def test_bad_values_in_the_file_name_the_file_and_key(trained_looking_project, section, key, value, allowed):
    config, project = trained_looking_project
    pose_cfg = read_yaml(project.pose_config_path)
    pose_cfg[section][key] = value
    write_yaml(project.pose_config_path, pose_cfg)
    error = refused(config.parent, lambda: train_network(config), f"pytorch_config.yaml'.*: {section}.{key} = .*{allowed}")
    assert error.key == f"{section}.{key}" and str(project.pose_config_path) in str(error)


@pytest.mark.parametrize(
    "call, key",
    [
        (lambda config: analyze_videos(config, [str(config.parent / "videos")], batch_size=-1), "batch_size"),
        (lambda config: analyze_videos(config, [str(config.parent / "videos")], device="gpu0"), "device"),
        (lambda config: evaluate_network(config, shuffles=[1], batch_size=0), "batch_size"),
        (lambda config: analyze_images(config, str(config.parent / "labeled-data"), device="cuda0"), "device"),
    ],
)
def test_inference_arguments_are_checked(tiny_dekr_project, call, key):
    error = refused(tiny_dekr_project.parent, lambda: call(tiny_dekr_project), f"\\(\\): {key} = ")
    assert error.key == key


def test_config_yaml_batch_size_is_checked_when_analyze_videos_uses_it(tiny_dekr_project):
    from deeplabcut.project.config import read_config, write_config

    cfg = read_config(tiny_dekr_project)
    cfg["batch_size"] = -4
    write_config(tiny_dekr_project, cfg)
    project = ShuffleData(tiny_dekr_project)
    (project.train_folder / "snapshot-005.pt").write_bytes(b"weights")  # never loaded: the check comes first
    error = refused(
        tiny_dekr_project.parent,
        lambda: analyze_videos(tiny_dekr_project, [str(tiny_dekr_project.parent / "videos")]),
        "config.yaml': batch_size = -4 is not allowed; expected an integer >= 1",
    )
    assert error.key == "batch_size"
