"""Dotted-key overrides of pytorch_config.yaml; typos are errors, not silence."""

import pytest

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.pose_config import update_config, updated_keys

CFG = {
    "train_settings": {"epochs": 200, "batch_size": 8},
    "runner": {"optimizer": {"type": "AdamW", "params": {"lr": 0.001}}, "snapshots": {"save_epochs": 25}},
    "data": {"train": {"affine": {"p": 0.5}}},
}


def test_dotted_and_nested_updates():
    updated = update_config(CFG, {"train_settings.epochs": 5, "runner": {"snapshots": {"save_epochs": 1}}})
    assert updated["train_settings"] == {"epochs": 5, "batch_size": 8}
    assert updated["runner"]["snapshots"]["save_epochs"] == 1
    assert CFG["train_settings"]["epochs"] == 200  # the input is not modified


def test_updated_keys_are_the_dotted_keys_of_the_values_set():
    updates = {"train_settings.epochs": 5, "runner": {"snapshots": {"save_epochs": 1}}, "data.train.affine": {}}
    assert updated_keys(updates) == {"train_settings.epochs", "runner.snapshots.save_epochs", "data.train.affine"}


def test_open_sections_accept_new_keys():
    updated = update_config(CFG, {"runner.optimizer.params.weight_decay": 0.01, "data.train.hflip": True})
    assert updated["runner"]["optimizer"]["params"] == {"lr": 0.001, "weight_decay": 0.01}
    replaced = update_config(CFG, {"runner.optimizer": {"type": "SGD", "params": {"lr": 0.1}}})
    assert replaced["runner"]["optimizer"] == {"type": "SGD", "params": {"lr": 0.1}}


def test_unknown_keys_are_errors():
    with pytest.raises(ConfigError, match="train_settings.epoch'.*Keys at that level: \\['batch_size', 'epochs'\\]"):
        update_config(CFG, {"train_settings.epoch": 5})
    with pytest.raises(ConfigError, match="trainsettings"):
        update_config(CFG, {"trainsettings.epochs": 5})


def test_mappings_replace_scalars_in_open_sections():
    cfg = {"data": {"train": {"hflip": False}}}
    updated = update_config(cfg, {"data.train.hflip": {"p": 0.5, "symmetries": [["a", "b"]]}, "data.train.resize.height": 240})
    assert updated["data"]["train"]["hflip"] == {"p": 0.5, "symmetries": [["a", "b"]]}
    assert updated["data"]["train"]["resize"] == {"height": 240}
    merged = update_config({"train_settings": {"epochs": 1, "seed": 3}}, {"train_settings": {"epochs": 5}})
    assert merged["train_settings"] == {"epochs": 5, "seed": 3}
    with pytest.raises(ConfigError, match="train_settings.epochs.value"):
        update_config(merged, {"train_settings.epochs.value": 5})
