"""The from-scratch recipe: declared once in the templates, never over a value the user set, switchable."""

from __future__ import annotations

import pytest

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.dlc_layout import split_for_deeplabcut
from deeplabcut.pose_estimation_pytorch.config.make_config import available_net_types, make_pytorch_config
from deeplabcut.pose_estimation_pytorch.config.recipes import apply_recipe, choose_recipe, declared_recipe
from deeplabcut.project.config import read_config
from deeplabcut.synthetic import create_synthetic_project

DEKR_RECIPE = {"runner.optimizer.params.lr": 0.001, "data.train.affine.scaling": [0.8, 1.2]}
DEKR_DEFAULTS = {"runner.optimizer.params.lr": 0.0005, "data.train.affine.scaling": [0.5, 1.25]}


@pytest.fixture(scope="module")
def project_cfgs(tmp_path_factory) -> dict[str, dict]:
    config = create_synthetic_project(
        tmp_path_factory.mktemp("project"), num_individuals=2, num_bodyparts=3, num_frames=4, num_labeled_frames=4,
        frame_size=(64, 64),
    )  # fmt: skip
    return {"multi": read_config(config)}


@pytest.mark.parametrize("net_type", ["dekr_16", "dekr_32", "dekr_w18", "dekr_48"])
def test_dekr_declares_the_learning_rate_and_scaling_of_the_demo(net_type):
    assert declared_recipe(net_type) == (DEKR_RECIPE, DEKR_DEFAULTS)


def test_every_net_type_has_a_recipe_with_concrete_defaults_or_none():
    for net_type in available_net_types():
        recipe, defaults = declared_recipe(net_type)
        assert set(recipe) == set(defaults), net_type
        assert declared_recipe(net_type, detector=True) == ({}, {}), net_type
    # Nothing was measured to help TokenPose or top-down HRNet from scratch (benchmarks/tokenpose_recipe.py).
    assert declared_recipe("token_pose_w16") == ({}, {}) and declared_recipe("top_down_hrnet_w18") == ({}, {})
    assert declared_recipe("resnet_50") == ({}, {})  # a DeepLabCut net type without a template of ours


def test_the_recipe_is_not_written_into_the_config_and_the_switch_goes_to_the_extras(project_cfgs):
    cfg = make_pytorch_config(project_cfgs["multi"], "dekr_16", "x")
    assert "from_scratch" not in cfg and cfg["train_settings"]["from_scratch_recipe"] is True
    assert cfg["runner"]["optimizer"]["params"]["lr"] == 0.0005  # the file keeps DeepLabCut's values
    assert cfg["data"]["train"]["affine"]["scaling"] == [0.5, 1.25]
    main, extras = split_for_deeplabcut(cfg)
    assert "from_scratch_recipe" not in main["train_settings"] and extras["train_settings"]["from_scratch_recipe"] is True


def test_template_values_are_replaced_and_values_the_user_set_are_kept(project_cfgs):
    cfg = make_pytorch_config(project_cfgs["multi"], "dekr_16", "x")
    choice = choose_recipe(cfg, "dekr_16", DEKR_RECIPE, DEKR_DEFAULTS)
    assert choice.applied == DEKR_RECIPE and choice.replaced == DEKR_DEFAULTS and choice.kept == {}
    updated = apply_recipe(cfg, choice.applied)
    assert updated["runner"]["optimizer"]["params"] == {"lr": 0.001}
    assert updated["data"]["train"]["affine"] == {**cfg["data"]["train"]["affine"], "scaling": [0.8, 1.2]}
    assert cfg["runner"]["optimizer"]["params"]["lr"] == 0.0005  # the config itself is left as it was

    cfg["runner"]["optimizer"]["params"]["lr"] = 0.002
    choice = choose_recipe(cfg, "dekr_16", DEKR_RECIPE, DEKR_DEFAULTS)
    assert choice.applied == {"data.train.affine.scaling": [0.8, 1.2]}
    assert choice.kept == {"runner.optimizer.params.lr": 0.002}
    line = choice.describe()
    assert "data.train.affine.scaling [0.5, 1.25] -> [0.8, 1.2]" in line
    assert "kept your runner.optimizer.params.lr 0.002" in line
    assert "train_settings.from_scratch_recipe: false" in line

    cfg["data"]["train"]["affine"]["scaling"] = (0.5, 1.25)  # the default, as a tuple: still the default
    assert choose_recipe(cfg, "dekr_16", DEKR_RECIPE, DEKR_DEFAULTS).applied == {"data.train.affine.scaling": [0.8, 1.2]}
    del cfg["data"]["train"]["affine"]  # an absent key counts as the default
    assert apply_recipe(cfg, {"data.train.affine.scaling": [0.8, 1.2]})["data"]["train"]["affine"] == {"scaling": [0.8, 1.2]}


def test_the_switch_turns_the_recipe_off(project_cfgs):
    cfg = make_pytorch_config(project_cfgs["multi"], "dekr_16", "x")
    cfg["train_settings"]["from_scratch_recipe"] = False
    choice = choose_recipe(cfg, "dekr_16", DEKR_RECIPE, DEKR_DEFAULTS)
    assert choice.applied == {} and choice.kept == {}
    cfg["train_settings"]["from_scratch_recipe"] = "no"
    with pytest.raises(ConfigError, match="train_settings.from_scratch_recipe must be true or false"):
        choose_recipe(cfg, "dekr_16", DEKR_RECIPE, DEKR_DEFAULTS)
