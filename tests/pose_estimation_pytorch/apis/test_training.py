"""train_network: killed runs resume exactly; overrides are checked and recorded; runs never overwrite runs.

That training really learns is tested in tests/test_end_to_end.py.
"""

import csv
import shutil
from pathlib import Path

import pytest
import torch

import deeplabcut.pose_estimation_pytorch.train_module.trainer as trainer_module
from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.apis import train_network
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.runtime import list_snapshots


def stats(project: ShuffleData) -> list[dict[str, str]]:
    with (project.train_folder / "learning_stats.csv").open() as stream:
        return list(csv.DictReader(stream))


def test_kill_and_resume_gives_the_uninterrupted_run(tiny_dekr_factory, monkeypatch):
    config = tiny_dekr_factory(epochs=4)
    copy = config.parent.parent.parent / "copy"
    shutil.copytree(config.parent.parent, copy)
    resumed_config = copy / config.parent.name / "config.yaml"

    train_network(config, shuffle=1, save_epochs=2, eval_interval=2)
    final = [s.path for s in list_snapshots(ShuffleData(config).train_folder) if s.epoch == 4]
    reference = torch.load(final[0], weights_only=True)

    real_train_epoch = trainer_module.PoseTrainer.train_epoch

    def dying_train_epoch(self, loader, epoch):
        if epoch == 3:
            raise KeyboardInterrupt("killed during epoch 3")
        return real_train_epoch(self, loader, epoch)

    monkeypatch.setattr(trainer_module.PoseTrainer, "train_epoch", dying_train_epoch)
    with pytest.raises(KeyboardInterrupt):
        train_network(resumed_config, shuffle=1, save_epochs=2, eval_interval=2)
    monkeypatch.setattr(trainer_module.PoseTrainer, "train_epoch", real_train_epoch)
    project = ShuffleData(resumed_config)
    snapshots = list_snapshots(project.train_folder)
    assert [s.epoch for s in snapshots] == [2]  # snapshot-002.pt, or snapshot-best-002.pt if it was the best
    assert not list(project.train_folder.glob(".*tmp*"))

    result = train_network(resumed_config, shuffle=1, snapshot_path=snapshots[0].path)
    assert result.last_epoch == 4
    assert [int(r["step"]) for r in stats(project)] == [1, 2, 3, 4]
    resumed = torch.load(project.train_folder / final[0].name, weights_only=True)
    for name, value in reference["model"].items():
        torch.testing.assert_close(resumed["model"][name], value, rtol=1e-4, atol=1e-5, msg=name)
    assert resumed["metadata"]["epoch"] == 4


def test_overrides_are_checked_and_saved(tiny_dekr_project: Path):
    with pytest.raises(ConfigError, match="maxiters.*TensorFlow.*epochs="):
        train_network(tiny_dekr_project, maxiters=1000)
    with pytest.raises(ConfigError, match="train_settings.epoch'"):
        train_network(tiny_dekr_project, **{"train_settings.epoch": 1})
    train_network(tiny_dekr_project, epochs=1, **{"runner.snapshots.save_epochs": 1, "train_settings__seed": 7})
    saved = read_pytorch_config(ShuffleData(tiny_dekr_project).pose_config_path)
    assert saved["train_settings"]["epochs"] == 1 and saved["train_settings"]["seed"] == 7
    assert saved["runner"]["snapshots"]["save_epochs"] == 1


def test_a_new_run_keeps_the_previous_one(tiny_dekr_project: Path):
    train_network(tiny_dekr_project, epochs=1)
    train_network(tiny_dekr_project, epochs=1)
    folder = ShuffleData(tiny_dekr_project).train_folder
    archived = list(folder.glob("previous-run-*"))
    assert len(archived) == 1 and list(archived[0].glob("snapshot*.pt"))
    assert list(folder.glob("snapshot*.pt"))


def test_bad_input_changes_nothing(tiny_dekr_project: Path):
    project = ShuffleData(tiny_dekr_project)
    train_network(tiny_dekr_project, epochs=1)
    before = {p.name: p.stat().st_mtime_ns for p in project.train_folder.iterdir()}
    config_text = project.pose_config_path.read_text()
    with pytest.raises(ConfigError, match="CUDA is not available"):
        train_network(tiny_dekr_project, epochs=3, device="cuda")
    with pytest.raises(ConfigError, match="Unknown augmentation key"):
        train_network(tiny_dekr_project, **{"data.train.sharpen": True})
    assert project.pose_config_path.read_text() == config_text
    assert {p.name: p.stat().st_mtime_ns for p in project.train_folder.iterdir()} == before


def test_backbone_restart_sets_the_old_run_aside(tiny_dekr_project: Path):
    project = ShuffleData(tiny_dekr_project)
    train_network(tiny_dekr_project, epochs=2, save_epochs=1)
    old = list_snapshots(project.train_folder)[-1].path
    train_network(tiny_dekr_project, epochs=1, snapshot_path=old, load_head_weights=False)
    archived = list(project.train_folder.glob("previous-run-*"))
    assert len(archived) == 1 and len(list(archived[0].glob("snapshot*.pt"))) == 2
    assert [s.epoch for s in list_snapshots(project.train_folder)] == [1]
    assert [int(r["step"]) for r in stats(project)] == [1]


def test_a_resumed_run_takes_a_changed_learning_rate(tiny_dekr_project: Path):
    project = ShuffleData(tiny_dekr_project)
    train_network(tiny_dekr_project, epochs=1)
    first = list_snapshots(project.train_folder)[-1].path
    train_network(tiny_dekr_project, epochs=2, snapshot_path=first, **{"runner.optimizer.params.lr": 1e-5})
    rows = stats(project)
    assert [int(r["step"]) for r in rows] == [1, 2]
    assert float(rows[0]["learning_rate"]) == 0.002 and float(rows[1]["learning_rate"]) == 1e-5


def test_config_and_model_must_agree_on_bodyparts(tiny_dekr_project: Path):
    from deeplabcut.project.config import read_config, write_config

    cfg = read_config(tiny_dekr_project)
    cfg["multianimalbodyparts"] = list(reversed(cfg["multianimalbodyparts"]))
    write_config(tiny_dekr_project, cfg)
    with pytest.raises(ConfigError, match="pytorch_config.yaml' was made for bodyparts"):
        train_network(tiny_dekr_project, epochs=1)


def test_resuming_from_an_earlier_snapshot_keeps_the_replaced_statistics(tiny_dekr_project: Path):
    project = ShuffleData(tiny_dekr_project)
    train_network(tiny_dekr_project, epochs=2, save_epochs=1)
    first = [s.path for s in list_snapshots(project.train_folder) if s.epoch == 1][0]
    train_network(tiny_dekr_project, epochs=2, snapshot_path=first)
    (archive,) = project.train_folder.glob("previous-run-*")
    with (archive / "learning_stats.csv").open() as stream:
        assert [int(r["step"]) for r in csv.DictReader(stream)] == [1, 2]
    assert [s.epoch for s in list_snapshots(archive)] == [2]
    assert [int(r["step"]) for r in stats(project)] == [1, 2]


def test_a_snapshot_that_does_not_fit_changes_nothing(tiny_dekr_project: Path, tmp_path: Path):
    from deeplabcut.errors import ModelError

    project = ShuffleData(tiny_dekr_project)
    train_network(tiny_dekr_project, epochs=1)
    snapshot = list_snapshots(project.train_folder)[-1].path
    checkpoint = torch.load(snapshot, weights_only=True)
    checkpoint["model"] = {name: value[..., :1] if value.ndim else value for name, value in checkpoint["model"].items()}
    foreign = tmp_path / "foreign.pt"
    torch.save(checkpoint, foreign)
    before = {p.name: p.stat().st_mtime_ns for p in project.train_folder.iterdir()}
    config_text = project.pose_config_path.read_text()
    with pytest.raises(ModelError, match="foreign.pt.*does not fit"):
        train_network(tiny_dekr_project, epochs=2, snapshot_path=foreign, seed=3)
    assert project.pose_config_path.read_text() == config_text
    assert {p.name: p.stat().st_mtime_ns for p in project.train_folder.iterdir()} == before
