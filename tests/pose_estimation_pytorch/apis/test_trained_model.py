"""TrainedModel: DeepLabCut's (config, shuffle, trainingsetindex, modelprefix, snapshotindex) resolved once."""

import dataclasses
from pathlib import Path

import pytest
import torch

from deeplabcut.errors import MissingFileError
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel, parse_snapshot_index
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.project.config import read_config, write_config
from deeplabcut.training_dataset.create import create_training_dataset


def _snapshots(folder: Path, names=("snapshot-005.pt", "snapshot-010.pt", "snapshot-best-007.pt")) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        torch.save({"metadata": {"epoch": 0}, "model": {}}, folder / name)


def test_one_object_names_the_model_its_snapshots_and_scorer(tiny_multianimal_project: Path):
    create_training_dataset(tiny_multianimal_project, net_type="dekr_16")
    _snapshots(ShuffleData(tiny_multianimal_project).train_folder)

    model = TrainedModel.resolve(tiny_multianimal_project)
    cfg = model.cfg
    assert model.snapshot.path.name == "snapshot-best-007.pt"  # -1: the best sorts last
    assert model.scorer == f"DLC_DekrW18_{cfg['Task']}{cfg['date']}shuffle1_snapshot_best-7"
    assert model.pytorch_config["net_type"] == "dekr_16" and model.detector_snapshot is None  # the file says dekr_w18
    assert model.shuffle.model_folder.name.endswith("shuffle1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.scorer = "another"  # type: ignore[misc]

    every = TrainedModel.resolve(tiny_multianimal_project, snapshotindex="all", select="all")
    assert [s.epoch for s in every.snapshots] == [5, 10, 7]
    assert every.with_snapshot(every.snapshots[0]).scorer.endswith("_snapshot_5")
    assert TrainedModel.resolve(tiny_multianimal_project, snapshotindex="all").snapshots == (model.snapshot,)
    assert TrainedModel.resolve(tiny_multianimal_project, select="none").snapshots == ()

    cfg["snapshotindex"] = 0  # None takes config.yaml's snapshotindex
    write_config(tiny_multianimal_project, cfg)
    assert TrainedModel.resolve(tiny_multianimal_project).snapshot.path.name == "snapshot-005.pt"
    given = read_config(tiny_multianimal_project)
    assert TrainedModel.resolve(tiny_multianimal_project, snapshotindex=1, cfg=given).cfg is given


def test_a_shuffle_without_snapshots_says_to_train(tiny_multianimal_project: Path):
    create_training_dataset(tiny_multianimal_project, net_type="dekr_16")
    with pytest.raises(MissingFileError, match="Train the network first"):
        TrainedModel.resolve(tiny_multianimal_project)
    with pytest.raises(MissingFileError, match="pytorch_config.yaml' does not exist"):
        TrainedModel.resolve(tiny_multianimal_project, shuffle=2)


def test_snapshot_index_spellings():
    assert parse_snapshot_index("all") == "all" and parse_snapshot_index("best") == "best"
    assert parse_snapshot_index("-1") == -1
    with pytest.raises(ValueError):
        parse_snapshot_index("last")
