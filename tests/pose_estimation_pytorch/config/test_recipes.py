"""The from-scratch recipe: declared once in the templates, never over a value the user set, switchable."""

from __future__ import annotations

import numpy as np
import pytest

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config import recipes
from deeplabcut.pose_estimation_pytorch.config.dlc_layout import split_for_deeplabcut
from deeplabcut.pose_estimation_pytorch.config.make_config import (
    available_net_types,
    crop_size_for_side,
    make_pytorch_config,
)
from deeplabcut.pose_estimation_pytorch.config.recipes import (
    animal_size,
    apply_recipe,
    choose_downscale,
    choose_recipe,
    choose_schedule,
    declared_cpu_batch,
    declared_downscale,
    declared_recipe,
    declared_schedule,
    keep_large_batch,
    with_downscale,
    with_values,
)
from deeplabcut.pose_estimation_pytorch.config.templates import load_template
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


@pytest.mark.parametrize("net_type", ["dekr_16", "dekr_48"])
def test_on_the_cpu_dekr_also_halves_the_batch(net_type):
    recipe, defaults = declared_recipe(net_type, cpu=True)
    assert recipe == {**DEKR_RECIPE, "train_settings.batch_size": 4}
    assert defaults == {**DEKR_DEFAULTS, "train_settings.batch_size": 8}


def test_a_cpu_recipe_key_without_a_template_default_names_its_mapping(monkeypatch):
    template = {**load_template("dekr"), "from_scratch_cpu": {"train_settings.batch_sise": 4}}
    monkeypatch.setattr(recipes, "load_template", lambda name: template if name == "dekr" else load_template(name))
    assert declared_recipe("dekr_16") == (DEKR_RECIPE, DEKR_DEFAULTS)  # off the CPU the mapping is not read
    with pytest.raises(ConfigError, match="templates/dekr.yaml: from_scratch_cpu key 'train_settings.batch_sise'"):
        declared_recipe("dekr_16", cpu=True)


def test_every_net_type_has_a_recipe_with_concrete_defaults_or_none():
    for net_type in available_net_types():
        for cpu in (False, True):
            recipe, defaults = declared_recipe(net_type, cpu=cpu)
            assert set(recipe) == set(defaults), net_type
            assert declared_recipe(net_type, detector=True, cpu=cpu) == ({}, {}), net_type
    # Nothing was measured to help TokenPose or top-down HRNet from scratch (benchmarks/tokenpose_recipe.py).
    assert declared_recipe("token_pose_w16") == ({}, {}) and declared_recipe("top_down_hrnet_w18") == ({}, {})
    assert declared_recipe("resnet_50") == ({}, {})  # a DeepLabCut net type without a template of ours


def test_the_recipe_is_not_written_into_the_config_and_the_switch_goes_to_the_extras(project_cfgs):
    cfg = make_pytorch_config(project_cfgs["multi"], "dekr_16", "x")
    assert not any(key.startswith("from_scratch") for key in cfg) and cfg["train_settings"]["from_scratch_recipe"] is True
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

    cfg["runner"]["optimizer"]["params"]["lr"] = 0.001  # the recipe's own value: nothing to apply or keep
    choice = choose_recipe(cfg, "dekr_16", DEKR_RECIPE, DEKR_DEFAULTS)
    assert choice.applied == {"data.train.affine.scaling": [0.8, 1.2]} and choice.kept == {}

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


MILESTONES, LR_LIST = "runner.scheduler.params.milestones", "runner.scheduler.params.lr_list"
DEKR_SCHEDULE = {"at": [0.85], "factors": [0.1]}
DEKR_SCHEDULE_DEFAULTS = {MILESTONES: [90, 120], LR_LIST: [[0.0001], [0.00001]]}


@pytest.mark.parametrize("net_type", ["dekr_16", "dekr_48"])
def test_dekr_drops_the_learning_rate_late_in_the_run_and_top_down_templates_do_not(net_type):
    assert declared_schedule(net_type) == (DEKR_SCHEDULE, DEKR_SCHEDULE_DEFAULTS)
    assert declared_schedule("token_pose_w16") == (None, {}) and declared_schedule("resnet_50") == (None, {})


def _with_epochs(cfg: dict, epochs: int, lr: float = 0.001) -> dict:
    """``cfg`` as the run sees it: its epochs, and the recipe's learning rate."""
    return apply_recipe(cfg, {"train_settings.epochs": epochs, "runner.optimizer.params.lr": lr})


@pytest.mark.parametrize(
    ("epochs", "milestones", "lr_list"),
    [(60, [51], [[0.0001]]), (200, [170], [[0.0001]]), (40, [34], [[0.0001]]), (2, [], []), (1, [], [])],
)
def test_the_drop_follows_the_epochs_of_the_run(project_cfgs, epochs, milestones, lr_list):
    cfg = make_pytorch_config(project_cfgs["multi"], "dekr_16", "x")
    choice = choose_schedule(_with_epochs(cfg, epochs), "dekr_16", DEKR_SCHEDULE, DEKR_SCHEDULE_DEFAULTS)
    assert choice.applied == {MILESTONES: milestones, LR_LIST: lr_list}  # a short run has no drop at all
    assert choice.replaced == DEKR_SCHEDULE_DEFAULTS and choice.kept == {}
    line = choice.describe()
    assert f"runner.scheduler.params.milestones [90, 120] -> {milestones}" in line


def test_the_drop_is_a_factor_of_the_learning_rate_the_run_trains_with(project_cfgs):
    cfg = _with_epochs(make_pytorch_config(project_cfgs["multi"], "dekr_16", "x"), 100, lr=0.0003)
    two = {"at": [0.95, 0.8], "factors": [0.01, 0.1]}
    choice = choose_schedule(cfg, "dekr_16", two, DEKR_SCHEDULE_DEFAULTS)
    assert choice.applied == {MILESTONES: [80, 95], LR_LIST: [[0.00003], [0.000003]]}


def test_a_schedule_of_the_user_is_kept(project_cfgs):
    cfg = _with_epochs(make_pytorch_config(project_cfgs["multi"], "dekr_16", "x"), 60)
    cfg["runner"]["scheduler"]["params"]["milestones"] = [30, 40]
    choice = choose_schedule(cfg, "dekr_16", DEKR_SCHEDULE, DEKR_SCHEDULE_DEFAULTS)
    assert choice.applied == {} and choice.kept == {MILESTONES: [30, 40]}
    cfg["runner"]["scheduler"]["params"]["milestones"] = [90, 120]  # the template's, but passed to train_network
    choice = choose_schedule(cfg, "dekr_16", DEKR_SCHEDULE, DEKR_SCHEDULE_DEFAULTS, chosen={LR_LIST})
    assert choice.applied == {} and choice.kept == {LR_LIST: [[0.0001], [0.00001]]}
    for scheduler in ({"type": "CosineAnnealingLR", "params": {"T_max": 60}}, None):  # another schedule, or none
        cfg["runner"]["scheduler"] = scheduler
        choice = choose_schedule(cfg, "dekr_16", DEKR_SCHEDULE, DEKR_SCHEDULE_DEFAULTS)
        assert choice.applied == {} and choice.kept == {}


def test_the_switch_turns_the_drop_off_and_a_bad_declaration_is_refused(project_cfgs):
    cfg = _with_epochs(make_pytorch_config(project_cfgs["multi"], "dekr_16", "x"), 60)
    drops = choose_schedule(cfg, "dekr_16", DEKR_SCHEDULE, DEKR_SCHEDULE_DEFAULTS)
    merged = with_values(choose_recipe(cfg, "dekr_16", DEKR_RECIPE, DEKR_DEFAULTS), drops)
    # the run's rate already is the recipe's (_with_epochs): only the scaling and the drop apply
    assert merged.applied == {"data.train.affine.scaling": [0.8, 1.2], MILESTONES: [51], LR_LIST: [[0.0001]]}
    assert merged.applied[MILESTONES] == [51] and merged.replaced[MILESTONES] == [90, 120]
    del cfg["runner"]["optimizer"]["params"]["lr"]  # the optimizer's own default rate: nothing to scale
    assert choose_schedule(cfg, "dekr_16", DEKR_SCHEDULE, DEKR_SCHEDULE_DEFAULTS).applied == {}
    cfg["runner"]["optimizer"]["params"]["lr"] = 0.001
    cfg["train_settings"]["from_scratch_recipe"] = False
    assert choose_schedule(cfg, "dekr_16", DEKR_SCHEDULE, DEKR_SCHEDULE_DEFAULTS).applied == {}
    for declared in ({"at": [0.85], "factors": [0.1, 0.01]}, {"at": [1.2], "factors": [0.1]}):
        with pytest.raises(ConfigError, match="from_scratch_schedule of dekr_16"):
            choose_schedule(cfg, "dekr_16", declared, DEKR_SCHEDULE_DEFAULTS)


BATCH = "train_settings.batch_size"
CPU_RECIPE, CPU_DEFAULTS = {**DEKR_RECIPE, BATCH: 4}, {**DEKR_DEFAULTS, BATCH: 8}


def test_dekr_keeps_its_batch_on_the_cpu_when_it_makes_ten_steps_per_epoch():
    assert declared_cpu_batch("dekr_16") == {"min_steps_per_epoch": 10}
    assert declared_cpu_batch("token_pose_w16") is None and declared_cpu_batch("resnet_50") is None


@pytest.mark.parametrize(
    ("images", "batch"),
    [(48, 4), (79, 4), (80, 8), (110, 8)],  # the synthetic projects' 48 (6 steps at 8), openfield's 110 (13 at 8)
)
def test_a_large_training_set_keeps_the_configured_batch(project_cfgs, images, batch):
    cfg = make_pytorch_config(project_cfgs["multi"], "dekr_16", "x")
    choice = keep_large_batch(choose_recipe(cfg, "dekr_16", CPU_RECIPE, CPU_DEFAULTS), {"min_steps_per_epoch": 10}, images)
    assert apply_recipe(cfg, choice.applied)["train_settings"]["batch_size"] == batch
    assert choice.applied["runner.optimizer.params.lr"] == 0.001  # the rest of the recipe applies either way
    if batch == 8:
        assert BATCH not in choice.replaced
        assert f"train_settings.batch_size 8 kept: {images} training images make {images // 8} optimizer steps" in (
            choice.describe()
        )
    else:
        assert choice.notes == () and choice.replaced[BATCH] == 8


def test_a_batch_of_the_user_stays_whatever_the_training_set_and_a_bad_declaration_is_refused(project_cfgs):
    cfg = make_pytorch_config(project_cfgs["multi"], "dekr_16", "x")
    cfg["train_settings"]["batch_size"] = 2
    choice = keep_large_batch(choose_recipe(cfg, "dekr_16", CPU_RECIPE, CPU_DEFAULTS), {"min_steps_per_epoch": 10}, 500)
    assert BATCH not in choice.applied and choice.kept == {BATCH: 2} and choice.notes == ()
    off_cpu = choose_recipe(cfg, "dekr_16", DEKR_RECIPE, DEKR_DEFAULTS)  # no CPU batch to keep or not
    assert keep_large_batch(off_cpu, {"min_steps_per_epoch": 10}, 500) == off_cpu
    cfg["train_settings"]["batch_size"] = 8
    choice = choose_recipe(cfg, "dekr_16", CPU_RECIPE, CPU_DEFAULTS)
    for bad in (0, 2.5, True, None):
        with pytest.raises(ConfigError, match="from_scratch_cpu_batch of dekr_16: min_steps_per_epoch"):
            keep_large_batch(choice, {"min_steps_per_epoch": bad}, 500)


DEKR_DOWNSCALE = {"min_animal_px": 56, "factors": [0.25, 0.333, 0.5, 0.75], "crop_animals": 2.5}


def _animals(length: float, images: int = 5, individuals: int = 2) -> np.ndarray:
    """Labels of animals whose keypoints (snout, ears, tail base) span a box of diagonal ``length``."""
    bodypart = np.array([[0.0, 0.0], [0.3, 0.2], [0.3, -0.2], [1.0, 0.0]])
    span = np.hypot(1.0, 0.4)
    points = np.broadcast_to(bodypart * length / span + 100.0, (images, individuals, 4, 2)).copy()
    points[0, 0, 1:] = np.nan  # one keypoint only: not measured
    points[1, 1, 2] = np.nan  # three keypoints: the box of those
    return points


def test_animal_size_is_the_median_diagonal_of_the_keypoint_boxes():
    assert animal_size(_animals(119.0)) == pytest.approx(119.0)
    assert animal_size(np.full((2, 1, 4, 2), np.nan)) is None


def test_dekr_declares_a_downscale_and_top_down_templates_none():
    assert declared_downscale("dekr_16") == declared_downscale("dekr_32") == DEKR_DOWNSCALE
    assert declared_downscale("token_pose_w16") is None and declared_downscale("resnet_50") is None


def test_the_openfield_mouse_is_trained_at_half_size_and_small_animals_at_full_size(project_cfgs):
    cfg = make_pytorch_config(project_cfgs["multi"], "dekr_16", "x")
    cfg["data"]["train"]["crop_sampling"].update(width=448, height=448)  # as for 640x480 videos
    downscale = choose_downscale(cfg, DEKR_DOWNSCALE, _animals(119.0), [(640, 480)], crop_size_for_side)
    assert downscale.factor == 0.5 and downscale.animal_px == pytest.approx(119.0)
    box = {"height": 240, "width": 320, "keep_ratio": True}
    # The crop: 2.5 times the 59.5 px animal, 148.75 px, rounded up to 160 (the 240 px side alone would give 224).
    assert downscale.values == {
        "data.train.resize": box, "data.inference.resize": box,
        "data.train.crop_sampling.width": 160, "data.train.crop_sampling.height": 160,
    }  # fmt: skip
    assert downscale.replaced == {
        "data.train.resize": None, "data.inference.resize": None,
        "data.train.crop_sampling.width": 448, "data.train.crop_sampling.height": 448,
    }  # fmt: skip
    assert downscale.crop_animals == 2.5
    choice = with_downscale(choose_recipe(cfg, "dekr_16", DEKR_RECIPE, DEKR_DEFAULTS), downscale)
    assert choice.applied == {**DEKR_RECIPE, **downscale.values} and choice.written == downscale.values
    line = choice.describe()
    assert "data.inference.resize None -> {'height': 240, 'width': 320, 'keep_ratio': True}" in line
    assert "median animal spans 119 px, 60 px after, and training crops of 160 px, 2.5 times that" in line
    assert "written into pytorch_config.yaml" in line
    # Without crop_animals the crop follows the smaller frames' side, as for any project.
    without = {key: value for key, value in DEKR_DOWNSCALE.items() if key != "crop_animals"}
    downscale = choose_downscale(cfg, without, _animals(119.0), [(640, 480)], crop_size_for_side)
    assert downscale.values["data.train.crop_sampling.width"] == 224 and downscale.crop_animals is None
    assert "training crops" not in downscale.describe()
    assert choose_recipe(cfg, "dekr_16", DEKR_RECIPE, DEKR_DEFAULTS).written == {}  # lr and scaling stay out of the file

    # A 1080p video of a large animal: a quarter, 480x270 frames, crops of 2.5 x 60 px -> 160 (not 256);
    # an animal of 70 px: none of the factors keeps 56 px.
    downscale = choose_downscale(cfg, DEKR_DOWNSCALE, _animals(240.0), [(1920, 1080)], crop_size_for_side)
    assert downscale.factor == 0.25 and downscale.values["data.train.crop_sampling.height"] == 160
    assert choose_downscale(cfg, DEKR_DOWNSCALE, _animals(70.0), [(640, 480)], crop_size_for_side) is None
    # A crop the user chose (not the crop create_training_dataset gives 640x480 frames) is kept.
    cfg["data"]["train"]["crop_sampling"].update(width=128, height=128)
    downscale = choose_downscale(cfg, DEKR_DOWNSCALE, _animals(119.0), [(640, 480)], crop_size_for_side)
    assert set(downscale.values) == {"data.train.resize", "data.inference.resize"}


def test_the_crop_by_animal_never_exceeds_the_frames_crop(project_cfgs):
    # A 90 px animal in 200x150 frames: 0.75, 150x112 frames, whose crop (96) is below 2.5 x 67.5 px (192).
    cfg = make_pytorch_config(project_cfgs["multi"], "dekr_16", "x")
    cfg["data"]["train"]["crop_sampling"].update(width=128, height=128)  # the crop of 200x150 frames
    downscale = choose_downscale(cfg, DEKR_DOWNSCALE, _animals(90.0), [(200, 150)], crop_size_for_side)
    assert downscale.factor == 0.75 and downscale.values["data.train.crop_sampling.width"] == 96
    assert downscale.crop_animals is None and "training crops" not in downscale.describe()


@pytest.mark.parametrize("bad", [1, 0.5, True, "2.5", [2.5]])
def test_a_bad_crop_animals_is_refused_naming_the_template_key(project_cfgs, bad):
    cfg = make_pytorch_config(project_cfgs["multi"], "dekr_16", "x")
    with pytest.raises(ConfigError, match="from_scratch_downscale: crop_animals must be a number above 1"):
        choose_downscale(cfg, {**DEKR_DOWNSCALE, "crop_animals": bad}, _animals(119.0), [(640, 480)], crop_size_for_side)


@pytest.mark.parametrize(
    "key, value",
    [
        ("data.train.resize", {"height": 480, "width": 640, "keep_ratio": True}),
        ("data.inference.resize", {"height": 480, "width": 640}),
        ("data.inference.longest_max_size", 640),
    ],
)
def test_a_size_the_user_chose_or_videos_of_several_sizes_leave_the_frames_alone(project_cfgs, key, value):
    cfg = make_pytorch_config(project_cfgs["multi"], "dekr_16", "x")
    assert choose_downscale(cfg, DEKR_DOWNSCALE, _animals(119.0), [(640, 480)], crop_size_for_side) is not None
    assert choose_downscale(cfg, DEKR_DOWNSCALE, _animals(119.0), [(640, 480), (320, 240)], crop_size_for_side) is None
    cfg = apply_recipe(cfg, {key: value})
    assert choose_downscale(cfg, DEKR_DOWNSCALE, _animals(119.0), [(640, 480)], crop_size_for_side) is None
