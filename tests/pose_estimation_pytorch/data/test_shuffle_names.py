"""A shuffle's recorded names must be config.yaml's; DeepLabCut 3's single-animal names are accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config, write_pytorch_config
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.project.config import read_config, write_config
from deeplabcut.training_dataset.create import create_training_dataset


def _recorded_individuals(config: Path, individuals: list[str]) -> ShuffleData:
    create_training_dataset(config, net_type="dekr_16")
    project = ShuffleData(config)
    pose_cfg = read_pytorch_config(project.pose_config_path)
    pose_cfg["metadata"]["individuals"] = individuals
    write_pytorch_config(project.pose_config_path, pose_cfg)
    return project


@pytest.mark.parametrize("individuals", [["animal"], ["individual_1"]])
def test_single_animal_shuffles_of_deeplabcut_3_0_0_and_3_0_2_are_read(tiny_single_animal_project: Path, individuals):
    """3.0.0 wrote ``[animal]``; 3.0.2 writes its ``PoseMetadata`` default ``[individual_1]``."""
    project = _recorded_individuals(tiny_single_animal_project, individuals)
    assert project.pytorch_config()["metadata"]["individuals"] == individuals
    assert project.individuals == ["animal"]


def test_a_single_animal_shuffle_may_record_config_yamls_own_individuals(tiny_single_animal_project: Path):
    """DeepLabCut 3.0.2 copies config.yaml's ``individuals`` when the file has the key."""
    cfg = read_config(tiny_single_animal_project)
    cfg["individuals"] = ["mouse"]
    write_config(tiny_single_animal_project, cfg)
    project = _recorded_individuals(tiny_single_animal_project, ["mouse"])
    assert project.pytorch_config()["metadata"]["individuals"] == ["mouse"]


def test_other_single_animal_individuals_are_refused(tiny_single_animal_project: Path):
    project = _recorded_individuals(tiny_single_animal_project, ["individual_1", "individual_2"])
    with pytest.raises(ConfigError, match="was made for individuals"):
        project.pytorch_config()


def test_multi_animal_individuals_must_be_config_yamls(tiny_multianimal_project: Path):
    individuals = read_config(tiny_multianimal_project)["individuals"]
    project = _recorded_individuals(tiny_multianimal_project, ["individual_1"] + list(individuals[1:]))
    with pytest.raises(ConfigError, match="was made for individuals"):
        project.pytorch_config()
