"""train_network: a tiny DEKR learns; killed runs resume exactly; overrides are checked and recorded."""

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import deeplabcut.pose_estimation_pytorch.train_module.trainer as trainer_module
from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.apis import train_network
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config
from deeplabcut.pose_estimation_pytorch.data import Project


def stats(project: Project) -> list[dict[str, str]]:
    with (project.train_folder / "learning_stats.csv").open() as stream:
        return list(csv.DictReader(stream))


@pytest.mark.slow
def test_tiny_dekr_learns_the_synthetic_animals(tiny_dekr_factory):
    config = tiny_dekr_factory(multianimal=False, epochs=30)
    result = train_network(config, shuffle=1, eval_interval=5, save_epochs=10)
    project = Project(config)
    rows = stats(project)
    assert [int(r["step"]) for r in rows] == list(range(1, 31))
    first, last = float(rows[0]["losses/train.total_loss"]), float(rows[-1]["losses/train.total_loss"])
    assert last < 0.5 * first
    rmse = [float(r["metrics/test.rmse"]) for r in rows if r.get("metrics/test.rmse")]
    assert rmse[-1] < 8.0, f"test error {rmse} px did not fall far enough"
    assert rmse[-1] < 0.7 * max(rmse[:2])
    assert (project.train_folder / "learning_curve.png").stat().st_size > 0
    assert result.last_epoch == 30
    assert "Training finished" in (project.train_folder / "train.txt").read_text()


def test_kill_and_resume_gives_the_uninterrupted_run(tiny_dekr_factory, monkeypatch):
    config = tiny_dekr_factory(epochs=4)
    copy = config.parent.parent.parent / "copy"
    shutil.copytree(config.parent.parent, copy)
    resumed_config = copy / config.parent.name / "config.yaml"

    train_network(config, shuffle=1, save_epochs=2, eval_interval=2)
    reference = torch.load(Project(config).train_folder / "snapshot-004.pt", weights_only=True)

    real_train_epoch = trainer_module.PoseTrainer.train_epoch

    def dying_train_epoch(self, loader, epoch):
        if epoch == 3:
            raise KeyboardInterrupt("killed during epoch 3")
        return real_train_epoch(self, loader, epoch)

    monkeypatch.setattr(trainer_module.PoseTrainer, "train_epoch", dying_train_epoch)
    with pytest.raises(KeyboardInterrupt):
        train_network(resumed_config, shuffle=1, save_epochs=2, eval_interval=2)
    monkeypatch.setattr(trainer_module.PoseTrainer, "train_epoch", real_train_epoch)
    project = Project(resumed_config)
    assert sorted(p.name for p in project.train_folder.glob("snapshot*.pt")) == ["snapshot-002.pt"]
    assert not list(project.train_folder.glob(".*tmp*"))

    result = train_network(resumed_config, shuffle=1, snapshot_path=project.train_folder / "snapshot-002.pt")
    assert result.last_epoch == 4
    assert [int(r["step"]) for r in stats(project)] == [1, 2, 3, 4]
    resumed = torch.load(project.train_folder / "snapshot-004.pt", weights_only=True)
    for name, value in reference["model"].items():
        torch.testing.assert_close(resumed["model"][name], value, rtol=1e-4, atol=1e-5, msg=name)
    assert resumed["metadata"]["epoch"] == 4


def test_overrides_are_checked_and_saved(tiny_dekr_project: Path):
    with pytest.raises(ConfigError, match="maxiters.*TensorFlow.*epochs="):
        train_network(tiny_dekr_project, maxiters=1000)
    with pytest.raises(ConfigError, match="train_settings.epoch'"):
        train_network(tiny_dekr_project, **{"train_settings.epoch": 1})
    train_network(tiny_dekr_project, epochs=1, **{"runner.snapshots.save_epochs": 1, "train_settings__seed": 7})
    saved = read_pytorch_config(Project(tiny_dekr_project).pose_config_path)
    assert saved["train_settings"]["epochs"] == 1 and saved["train_settings"]["seed"] == 7
    assert saved["runner"]["snapshots"]["save_epochs"] == 1


def test_a_new_run_keeps_the_previous_one(tiny_dekr_project: Path):
    train_network(tiny_dekr_project, epochs=1)
    train_network(tiny_dekr_project, epochs=1)
    folder = Project(tiny_dekr_project).train_folder
    archived = list(folder.glob("previous-run-*"))
    assert len(archived) == 1 and list(archived[0].glob("snapshot*.pt"))
    assert list(folder.glob("snapshot*.pt"))
