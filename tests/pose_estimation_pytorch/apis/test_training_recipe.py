"""train_network applies the from-scratch recipe when the backbone starts from random weights, and only then.

The tiny DEKR here keeps the template's learning rate (5e-4) and scaling ([0.5, 1.25]);
its width-8 HRNet has no ImageNet weights, so it starts from scratch unless the test
gives it a weights file of its own.
"""

from __future__ import annotations

import csv
from pathlib import Path

import albumentations as A
import pytest
import torch

from conftest import TINY_BACKBONE, make_tiny_dekr_shuffle
from deeplabcut.pose_estimation_pytorch.apis import train_network
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config, write_pytorch_config
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.models.backbones.hrnet import HRNetFeatures
from deeplabcut.pose_estimation_pytorch.runtime import list_snapshots
from deeplabcut.pose_estimation_pytorch.train_module import build_shuffle_training, builder
from deeplabcut.project.paths import TRAINING_LOG_FILENAME


@pytest.fixture
def template_dekr(tmp_path: Path) -> Path:
    """A tiny-DEKR project whose learning rate and scaling are the template's (DeepLabCut's) values."""
    config = make_tiny_dekr_shuffle(tmp_path)
    _edit(config, lambda cfg: cfg["runner"]["optimizer"]["params"].update(lr=0.0005))
    return config


def _edit(config: Path, change) -> None:
    path = ShuffleData(config).pose_config_path
    cfg = read_pytorch_config(path)
    change(cfg)
    write_pytorch_config(path, cfg)


def _weights_file(folder: Path) -> Path:
    """Pretrained weights of the tiny backbone, made here (as a user's local .pth would be)."""
    torch.manual_seed(1)
    path = folder / "tiny_hrnet_w8.pth"
    torch.save(HRNetFeatures(8, **TINY_BACKBONE).state_dict(), path)
    return path


def _setup(config: Path):
    project = ShuffleData(config)
    return build_shuffle_training(project, project.pytorch_config())[0]


def _affine_scale(setup) -> tuple[float, float]:
    found = [t for t in setup.train_loader.dataset.transform.geometric if isinstance(t, A.Affine)]
    scale = found[0].scale if found else None
    return tuple(scale["x"]) if isinstance(scale, dict) else tuple(scale)


def _learning_rates(config: Path) -> list[float]:
    with (ShuffleData(config).train_folder / "learning_stats.csv").open() as stream:
        return [float(row["learning_rate"]) for row in csv.DictReader(stream)]


def test_from_scratch_the_recipe_is_applied(template_dekr: Path):
    setup = _setup(template_dekr)
    assert setup.recipe.applied == {"runner.optimizer.params.lr": 0.001, "data.train.affine.scaling": [0.8, 1.2]}
    assert setup.optimizer.param_groups[0]["lr"] == 0.001
    assert _affine_scale(setup) == pytest.approx((0.8, 1.2))


def test_with_pretrained_weights_the_template_values_stay(template_dekr: Path, tmp_path: Path):
    weights = _weights_file(tmp_path)
    _edit(template_dekr, lambda cfg: cfg["model"]["backbone"].update(pretrained=str(weights)))
    setup = _setup(template_dekr)
    assert setup.model.backbone.pretrained_report.from_scratch == ""
    assert setup.recipe is None
    assert setup.optimizer.param_groups[0]["lr"] == 0.0005
    assert _affine_scale(setup) == pytest.approx((0.5, 1.25))


def test_values_the_user_set_are_kept(template_dekr: Path):
    _edit(template_dekr, lambda cfg: cfg["data"]["train"]["affine"].update(scaling=[0.7, 1.3]))
    setup = _setup(template_dekr)
    assert setup.recipe.applied == {"runner.optimizer.params.lr": 0.001}
    assert setup.recipe.kept == {"data.train.affine.scaling": [0.7, 1.3]}
    assert _affine_scale(setup) == pytest.approx((0.7, 1.3))


def test_a_run_logs_the_recipe_records_it_and_a_resumed_run_trains_with_it(template_dekr: Path, tmp_path: Path):
    project = ShuffleData(template_dekr)
    train_network(template_dekr, epochs=1)
    assert _learning_rates(template_dekr) == [0.001]
    log = (project.train_folder / TRAINING_LOG_FILENAME).read_text()
    recipe_lines = [line for line in log.splitlines() if "From-scratch recipe of dekr_16" in line]
    assert len(recipe_lines) == 1
    assert "runner.optimizer.params.lr 0.0005 -> 0.001" in recipe_lines[0]
    assert "data.train.affine.scaling [0.5, 1.25] -> [0.8, 1.2]" in recipe_lines[0]
    assert "train_settings.from_scratch_recipe: false" in recipe_lines[0]
    cfg = read_pytorch_config(project.pose_config_path)  # the user's file keeps its values
    assert cfg["runner"]["optimizer"]["params"]["lr"] == 0.0005 and cfg["data"]["train"]["affine"]["scaling"] == [0.5, 1.25]
    snapshot = list_snapshots(project.train_folder)[-1].path
    recorded = torch.load(snapshot, weights_only=True)["metadata"]["from_scratch_recipe"]
    assert recorded == {"runner.optimizer.params.lr": 0.001, "data.train.affine.scaling": [0.8, 1.2]}

    # Weights have become available since: the resumed run still trains as it started.
    weights = _weights_file(tmp_path)
    _edit(template_dekr, lambda cfg: cfg["model"]["backbone"].update(pretrained=str(weights)))
    train_network(template_dekr, epochs=2, snapshot_path=snapshot)
    assert _learning_rates(template_dekr) == [0.001, 0.001]
    log = (project.train_folder / TRAINING_LOG_FILENAME).read_text()
    assert sum("From-scratch recipe of dekr_16" in line for line in log.splitlines()) == 2


def test_on_the_cpu_the_template_batch_is_halved_and_a_resumed_run_keeps_it(template_dekr: Path):
    # The tiny project trains with batch 4, the recipe's own value (neither applied nor kept); 8 is the template's.
    assert _setup(template_dekr).recipe.applied == {"runner.optimizer.params.lr": 0.001, "data.train.affine.scaling": [0.8, 1.2]}
    _edit(template_dekr, lambda cfg: cfg["train_settings"].update(batch_size=8))
    setup = _setup(template_dekr)
    assert setup.recipe.applied["train_settings.batch_size"] == 4 and setup.recipe.kept == {}
    assert setup.train_loader.batch_size == 4
    project = ShuffleData(template_dekr)
    train_network(template_dekr, epochs=1)
    assert "train_settings.batch_size 8 -> 4" in (project.train_folder / TRAINING_LOG_FILENAME).read_text()
    assert read_pytorch_config(project.pose_config_path)["train_settings"]["batch_size"] == 8  # the file keeps it
    snapshot = list_snapshots(project.train_folder)[-1].path
    recorded = torch.load(snapshot, weights_only=True)["metadata"]["from_scratch_recipe"]
    assert recorded["train_settings.batch_size"] == 4
    # A resumed run takes the recorded values, the CPU's included.
    resumed = build_shuffle_training(project, project.pytorch_config(), snapshot_path=snapshot)[0]
    assert resumed.recipe.applied["train_settings.batch_size"] == 4 and resumed.train_loader.batch_size == 4


def test_a_training_set_that_makes_enough_steps_keeps_the_batch_and_a_resumed_run_keeps_it(template_dekr: Path, monkeypatch):
    _edit(template_dekr, lambda cfg: cfg["train_settings"].update(batch_size=8))
    project = ShuffleData(template_dekr)
    images = len(project.split_indices["train"])
    assert images // 8 >= 1  # the tiny project's steps per epoch at 8 stand in for dekr's ten
    monkeypatch.setattr(builder, "declared_cpu_batch", lambda net_type: {"min_steps_per_epoch": images // 8})
    setup = _setup(template_dekr)
    assert "train_settings.batch_size" not in setup.recipe.applied and setup.train_loader.batch_size == 8
    assert setup.recipe.applied["runner.optimizer.params.lr"] == 0.001
    train_network(template_dekr, epochs=1)
    log = (project.train_folder / TRAINING_LOG_FILENAME).read_text()
    assert f"train_settings.batch_size 8 kept: {images} training images make {images // 8} optimizer steps" in log
    snapshot = list_snapshots(project.train_folder)[-1].path
    assert "train_settings.batch_size" not in torch.load(snapshot, weights_only=True)["metadata"]["from_scratch_recipe"]
    # The record decides on resuming, whatever the rule would say today.
    monkeypatch.setattr(builder, "declared_cpu_batch", lambda net_type: {"min_steps_per_epoch": 1000})
    resumed = build_shuffle_training(project, project.pytorch_config(), snapshot_path=snapshot)[0]
    assert resumed.train_loader.batch_size == 8
    assert _setup(template_dekr).train_loader.batch_size == 4  # a new run follows the rule


def test_a_value_passed_to_train_network_is_kept_even_when_it_is_the_template_default(template_dekr: Path):
    _edit(template_dekr, lambda cfg: cfg["train_settings"].update(batch_size=8))
    project = ShuffleData(template_dekr)
    setup = build_shuffle_training(project, project.pytorch_config(), chosen={"train_settings.batch_size"})[0]
    assert setup.recipe.kept == {"train_settings.batch_size": 8} and setup.train_loader.batch_size == 8
    train_network(template_dekr, epochs=1, batch_size=8, train_settings={"seed": 3})
    log = (project.train_folder / TRAINING_LOG_FILENAME).read_text()
    assert "kept your train_settings.batch_size 8" in log and "runner.optimizer.params.lr 0.0005 -> 0.001" in log


def test_the_switch_turns_it_off_and_is_saved_in_the_extras(template_dekr: Path):
    project = ShuffleData(template_dekr)
    train_network(template_dekr, epochs=1, train_settings__from_scratch_recipe=False)
    assert _learning_rates(template_dekr) == [0.0005]
    assert "From-scratch recipe" not in (project.train_folder / TRAINING_LOG_FILENAME).read_text()
    assert read_pytorch_config(project.pose_config_path)["train_settings"]["from_scratch_recipe"] is False
    assert "from_scratch_recipe" not in project.pose_config_path.read_text()  # DeepLabCut's file stays valid
    assert "from_scratch_recipe: false" in project.pose_config_path.with_name("pytorch_config_extras.yaml").read_text()


def test_a_downscale_is_written_into_the_config_and_a_resumed_run_keeps_it(template_dekr: Path, monkeypatch):
    # The tiny project's animals span about 5 px: declare a downscale that they pass.
    monkeypatch.setattr(builder, "declared_downscale", lambda net_type: {"min_animal_px": 2, "factors": [0.5]})
    project = ShuffleData(template_dekr)
    before = read_pytorch_config(project.pose_config_path)
    assert _setup(template_dekr).recipe.downscale.factor == 0.5
    assert read_pytorch_config(project.pose_config_path) == before  # building writes nothing

    train_network(template_dekr, epochs=1)
    box = {"height": 48, "width": 48, "keep_ratio": True}
    cfg = read_pytorch_config(project.pose_config_path)
    assert cfg["data"]["train"]["resize"] == box and cfg["data"]["inference"]["resize"] == box
    assert cfg["runner"]["optimizer"]["params"]["lr"] == 0.0005  # the rest of the recipe stays out of the file
    assert cfg["model"] == before["model"] and cfg["runner"] == before["runner"]
    log = (project.train_folder / TRAINING_LOG_FILENAME).read_text()
    assert "frames at 0.5 of their size" in log and "data.inference.resize None -> " in log
    snapshot = list_snapshots(project.train_folder)[-1].path
    recorded = torch.load(snapshot, weights_only=True)["metadata"]["from_scratch_recipe"]
    assert recorded["data.train.resize"] == box

    # Resumed: the sizes are in the file now, so nothing is chosen again and the file stays as it is.
    train_network(template_dekr, epochs=2, snapshot_path=snapshot)
    assert read_pytorch_config(project.pose_config_path)["data"] == cfg["data"]
    assert (project.train_folder / TRAINING_LOG_FILENAME).read_text().count("frames at 0.5 of their size") == 1


def _template_schedule(cfg: dict) -> None:
    params = {"milestones": [90, 120], "lr_list": [[0.0001], [0.00001]]}  # the template's (the tiny project has none)
    cfg["runner"]["scheduler"] = {"type": "LRListScheduler", "params": params}


def test_the_learning_rate_drops_late_in_the_run_and_a_resumed_run_drops_it_late_in_its_own(template_dekr: Path):
    _edit(template_dekr, _template_schedule)
    project = ShuffleData(template_dekr)
    train_network(template_dekr, epochs=4)  # the drop after round(0.85 * 4) = 3 epochs
    assert _learning_rates(template_dekr) == pytest.approx([0.001, 0.001, 0.001, 0.0001])
    log = (project.train_folder / TRAINING_LOG_FILENAME).read_text()
    assert "runner.scheduler.params.milestones [90, 120] -> [3]" in log
    assert read_pytorch_config(project.pose_config_path)["runner"]["scheduler"]["params"]["milestones"] == [90, 120]
    snapshot = list_snapshots(project.train_folder)[-1].path
    # Resumed to 7 epochs: the full rate again, and the drop after round(0.85 * 7) = 6.
    train_network(template_dekr, epochs=7, snapshot_path=snapshot)
    assert _learning_rates(template_dekr)[4:] == pytest.approx([0.001, 0.001, 0.0001])


def test_a_run_from_pretrained_weights_resumes_without_the_drop(template_dekr: Path, tmp_path: Path):
    weights = _weights_file(tmp_path)

    def pretrained(cfg: dict) -> None:
        _template_schedule(cfg)
        cfg["model"]["backbone"]["pretrained"] = str(weights)

    _edit(template_dekr, pretrained)
    project = ShuffleData(template_dekr)
    train_network(template_dekr, epochs=1)
    snapshot = list_snapshots(project.train_folder)[-1].path
    assert torch.load(snapshot, weights_only=True)["metadata"]["from_scratch_recipe"] == {}
    train_network(template_dekr, epochs=4, snapshot_path=snapshot)
    assert _learning_rates(template_dekr) == pytest.approx([0.0005] * 4)
