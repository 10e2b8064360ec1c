"""pytorch_config.yaml as DeepLabCut 3.0.2 reads it: our written files follow its recorded rules
(dlc_3_0_2_rules.py), our settings it has no key for go to pytorch_config_extras.yaml, and files in
its layout (or in our older one) are read here."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from deeplabcut.pose_estimation_pytorch.config.dlc_layout import (
    DLC_NET_TYPES,
    dlc_net_type,
    merge_from_deeplabcut,
    split_for_deeplabcut,
)
from deeplabcut.pose_estimation_pytorch.config.make_config import available_net_types, make_pytorch_config
from deeplabcut.pose_estimation_pytorch.config.pose_config import extras_path, read_pytorch_config, write_pytorch_config
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.project.config import read_config
from deeplabcut.synthetic import create_synthetic_project
from deeplabcut.utils.yaml_io import read_yaml, write_yaml

from pose_estimation_pytorch.config import dlc_3_0_2_rules as dlc


@pytest.fixture(scope="module")
def project_cfgs(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("projects")
    cfgs = {}
    for kind, multianimal, unique in (("multi", True, 0), ("single", False, 0), ("unique", True, 2)):
        config = create_synthetic_project(
            root / kind, multianimal=multianimal, num_individuals=2 if multianimal else 1,
            num_bodyparts=3, num_unique_bodyparts=unique, num_frames=4, num_labeled_frames=4, frame_size=(64, 64),
        )
        cfgs[kind] = read_config(config)
    return cfgs


def every_config(project_cfgs):
    for kind, cfg in project_cfgs.items():
        for net_type in available_net_types():
            if kind == "unique" and not net_type.startswith("dekr"):
                continue  # top-down net types refuse unique bodyparts
            yield kind, net_type, make_pytorch_config(cfg, net_type, "/p/train/pytorch_config.yaml")


def test_every_net_type_maps_to_a_deeplabcut_net_type():
    assert set(DLC_NET_TYPES) == set(available_net_types())
    for ours, theirs in DLC_NET_TYPES.items():
        assert dlc.net_type_accepted(theirs), (ours, theirs)
    assert dlc_net_type("dekr_16") == "dekr_w18" and dlc_net_type("dekr_32") == "dekr_w32"
    assert dlc_net_type("top_down_hrnet_w32") == "top_down_hrnet_w32"
    assert not dlc.net_type_accepted("dekr_16") and not dlc.net_type_accepted("token_pose_w32")


def test_written_files_follow_deeplabcut_rules(project_cfgs):
    for kind, net_type, cfg in every_config(project_cfgs):
        main, _ = split_for_deeplabcut(cfg)
        assert dlc.violations(main, dlc.POSE_CONFIG) == [], (kind, net_type)
        assert all(key in main for key in dlc.REQUIRED) and main["method"] in dlc.METHODS
        assert dlc.net_type_accepted(main["net_type"])
        assert isinstance(main["train_settings"]["dataloader_workers"], int)
        for name, head in main["model"]["heads"].items():
            assert "codec" not in head, (net_type, name)
            for loss in head["criterion"].values():
                if head["type"] in dlc.HEAD_KEYS:  # DeepLabCut has these heads: its losses, its keys
                    assert loss["type"] in dlc.CRITERIONS, (net_type, name, loss)
                    params = set(loss) - set(dlc.CRITERION_KEYS)
                    assert params <= set(dlc.CRITERIONS[loss["type"]]), (net_type, name, loss)
            if head["type"] in dlc.HEAD_KEYS:
                assert set(head) <= set(dlc.HEAD_KEYS[head["type"]]), (net_type, name, sorted(head))


def test_unique_bodyparts_head_names_its_keypoints_in_the_target_generator(project_cfgs):
    cfg = make_pytorch_config(project_cfgs["unique"], "dekr_32", "x")
    main, extras = split_for_deeplabcut(cfg)
    head = main["model"]["heads"]["unique_bodypart"]
    assert head["target_generator"]["label_keypoint_key"] == "keypoints_unique" and "label_keypoint_key" not in head
    assert head["target_generator"]["num_heatmaps"] == 2
    # As DeepLabCut 3's unique head: a crop without the object is trained as its absence.
    assert cfg["model"]["heads"]["unique_bodypart"]["codec"]["gradient_masking"] is False
    assert head["target_generator"]["gradient_masking"] is False
    assert merge_from_deeplabcut(main, extras)["model"]["heads"]["unique_bodypart"] == cfg["model"]["heads"]["unique_bodypart"]


def test_heatmap_masking_is_read_from_deeplabcut_files():
    from deeplabcut.pose_estimation_pytorch.config.dlc_layout import codec_from_deeplabcut

    predictor = {"type": "HeatmapPredictor", "locref_std": 7.2801}
    unique = codec_from_deeplabcut({"type": "HeatmapGaussianGenerator", "gradient_masking": False}, predictor)
    assert unique["gradient_masking"] is False
    top_down = {"type": "HeatmapGaussianGenerator", "gradient_masking": True, "background_weight": 0.1}
    assert codec_from_deeplabcut(top_down, predictor)["background_weight"] == 0.1
    # A generator without them means DeepLabCut's defaults (they differ from our codec's).
    plain = codec_from_deeplabcut({"type": "HeatmapGaussianGenerator"}, predictor)
    assert plain["gradient_masking"] is False and plain["background_weight"] == 0.1


def test_our_settings_go_to_the_extras_and_come_back(project_cfgs):
    cfg = make_pytorch_config(project_cfgs["multi"], "dekr_16", "x")
    main, extras = split_for_deeplabcut(cfg)
    assert extras["net_type"] == "dekr_16" and main["net_type"] == "dekr_w18"
    assert extras["data"]["train"]["color_jitter"]["p"] == 0.5 and "color_jitter" not in main["data"]["train"]
    assert extras["runner"] == {"mixed_precision": "auto"}
    assert extras["train_settings"] == {
        "dataloader_workers": "auto", "from_scratch_recipe": True, "gradient_checkpointing": "auto"
    }
    assert main["train_settings"]["dataloader_workers"] == 0 and "from_scratch_recipe" not in main["train_settings"]
    assert "from_scratch" not in main and "from_scratch" not in extras  # the recipe lives in the template only
    head = main["model"]["heads"]["bodypart"]
    assert head["target_generator"] == {"type": "DEKRGenerator", "num_joints": 3, "pos_dist_thresh": 17, "bg_weight": 0.1}
    assert head["predictor"]["type"] == "DEKRPredictor" and head["predictor"]["num_animals"] == 2
    assert head["predictor"]["detection_threshold"] == 0.01  # DeepLabCut's DEKRPredictor takes it too
    assert head["criterion"] == {
        "heatmap": {"type": "DEKRHeatmapLoss", "weight": 1.0},
        "offset": {"type": "DEKROffsetLoss", "beta": pytest.approx(1 / 9), "weight": 0.03},
    }
    assert extras["model"]["heads"]["bodypart"]["codec"] == {
        "bbox_margin": 20, "center_nms_kernel": 5, "nms_min_keypoints": 1,
    }
    for _, net_type, cfg in every_config(project_cfgs):
        main, extras = split_for_deeplabcut(cfg)
        back = merge_from_deeplabcut(main, extras)
        assert back == cfg, net_type  # our name (dekr_16...) comes back from the extras
        main["net_type"] = "dekr_w32"  # a file edited to another net type: the edit wins
        if net_type != "dekr_32":
            assert merge_from_deeplabcut(main, extras)["net_type"] == "dekr_w32", net_type


def test_written_and_read_back_through_the_files(tmp_path, project_cfgs):
    path = tmp_path / "train" / "pytorch_config.yaml"
    cfg = make_pytorch_config(project_cfgs["single"], "top_down_hrnet_w32", str(path))
    write_pytorch_config(path, cfg)
    assert extras_path(path).name == "pytorch_config_extras.yaml" and extras_path(path).exists()
    assert dlc.violations(read_yaml(path), dlc.POSE_CONFIG) == []
    assert read_yaml(path)["detector"]["model"] == {"type": "CenterDetector"}
    assert read_pytorch_config(path) == cfg  # top_down_hrnet_w32 is DeepLabCut's name too


def test_a_file_deeplabcut_wrote_trains_here(tmp_path, project_cfgs):
    """DeepLabCut's DEKR layout (its sections and names, values as its dekr_w32.yaml, no extras) -> our model."""
    path = tmp_path / "train" / "pytorch_config.yaml"
    ours = make_pytorch_config(project_cfgs["multi"], "dekr_w32", str(path))
    theirs = copy.deepcopy(ours)
    for section in ("color_jitter",):
        theirs["data"]["train"].pop(section)
    theirs["runner"].pop("mixed_precision")
    theirs["train_settings"].pop("from_scratch_recipe")  # ours (absent: true)
    theirs["train_settings"].pop("gradient_checkpointing")  # ours (absent: auto)
    theirs["runner"]["type"] = "PoseTrainingRunner"
    theirs["train_settings"].update(dataloader_workers=0, display_iters=500)
    theirs["with_center_keypoints"] = True
    theirs["config_version"] = 0
    theirs["model"]["heads"]["bodypart"] = {
        "type": "DEKRHead",
        "weight_init": "dekr",
        "target_generator": {"type": "DEKRGenerator", "num_joints": 3, "pos_dist_thresh": 17, "bg_weight": 0.1},
        "criterion": {"heatmap": {"type": "DEKRHeatmapLoss", "weight": 1}, "offset": {"type": "DEKROffsetLoss", "weight": 0.03}},
        "predictor": {
            "type": "DEKRPredictor", "apply_sigmoid": False, "use_heatmap": False, "clip_scores": True, "num_animals": 2,
            "keypoint_score_type": "combined", "max_absorb_distance": 75, "nms_threshold": 0.05, "apply_pose_nms": True,
        },
        "heatmap_config": ours["model"]["heads"]["bodypart"]["heatmap_config"],
        "offset_config": ours["model"]["heads"]["bodypart"]["offset_config"],
    }
    assert dlc.violations(theirs, dlc.POSE_CONFIG) == []
    write_yaml(path, theirs)
    cfg = read_pytorch_config(path)
    head = cfg["model"]["heads"]["bodypart"]
    assert head["codec"] == {
        "type": "DEKRCodec", "num_bodyparts": 3, "pos_dist_thresh": 17, "bg_weight": 0.1, "max_individuals": 2,
        "keypoint_score_type": "combined", "apply_sigmoid": False, "clip_scores": True, "apply_pose_nms": True,
        "nms_threshold": 0.05,
    }
    assert head["criterion"]["heatmap"] == {"type": "WeightedMSELoss", "normalize_by": "elements", "weight": 1}
    assert head["criterion"]["offset"] == {"type": "WeightedSmoothL1Loss", "normalize_by": "positive_weights", "weight": 0.03}
    cfg["model"]["backbone"]["model_name"] = "hrnet_w32"
    model = PoseModel.build(cfg["model"])
    ours_model = PoseModel.build(ours["model"])
    assert list(model.state_dict()) == list(ours_model.state_dict())


def test_old_files_with_everything_in_one_file_still_load(tmp_path, project_cfgs):
    path = tmp_path / "pytorch_config.yaml"
    cfg = make_pytorch_config(project_cfgs["multi"], "dekr_16", str(path))
    write_yaml(path, cfg)  # our layout before the extras file
    assert read_pytorch_config(path) == cfg


def test_the_file_wins_over_the_extras_when_edited_by_hand(tmp_path, project_cfgs):
    path = tmp_path / "pytorch_config.yaml"
    write_pytorch_config(path, make_pytorch_config(project_cfgs["multi"], "dekr_16", str(path)))
    assert read_pytorch_config(path)["train_settings"]["dataloader_workers"] == "auto"
    edited = read_yaml(path)
    edited["train_settings"]["dataloader_workers"] = 3
    write_yaml(path, edited)
    assert read_pytorch_config(path)["train_settings"]["dataloader_workers"] == 3


def test_extras_of_a_config_without_any_are_emptied(tmp_path, project_cfgs):
    path = tmp_path / "pytorch_config.yaml"
    cfg = make_pytorch_config(project_cfgs["multi"], "dekr_w32", str(path))
    write_pytorch_config(path, cfg)
    plain, _ = split_for_deeplabcut(cfg)
    plain.pop("with_center_keypoints")
    write_pytorch_config(path, plain)
    assert read_yaml(extras_path(path)) in ({}, None)
    assert Path(path).exists()


def test_a_key_edited_into_the_file_wins_over_the_extras_and_order_is_kept(tmp_path, project_cfgs):
    path = tmp_path / "pytorch_config.yaml"
    cfg = make_pytorch_config(project_cfgs["multi"], "dekr_w32", str(path))
    write_pytorch_config(path, cfg)
    edited = read_yaml(path)
    edited["data"]["train"]["color_jitter"] = {"p": 1.0, "brightness": 0.5, "contrast": 0.2, "saturation": 0.2, "hue": 0.02}
    edited["model"]["heads"]["bodypart"]["predictor"]["nms_threshold"] = 0.2
    write_yaml(path, edited)
    read = read_pytorch_config(path)
    assert read["data"]["train"]["color_jitter"]["p"] == 1.0 and read["data"]["train"]["color_jitter"]["brightness"] == 0.5
    assert read["model"]["heads"]["bodypart"]["codec"]["nms_threshold"] == 0.2
    assert read["model"]["heads"]["bodypart"]["codec"]["center_nms_kernel"] == 5  # from the extras
    assert list(read)[:4] == ["net_type", "method", "device", "metadata"]


def test_a_broken_extras_file_is_our_error_naming_it(tmp_path, project_cfgs):
    from deeplabcut.errors import ConfigError, ConfigValueError

    path = tmp_path / "pytorch_config.yaml"
    write_pytorch_config(path, make_pytorch_config(project_cfgs["multi"], "dekr_16", str(path)))
    extras_path(path).write_text("- not\n- a mapping\n")
    with pytest.raises(ConfigError, match="pytorch_config_extras.yaml' does not hold a mapping"):
        read_pytorch_config(path)
    write_yaml(extras_path(path), {"runner": {"mixed_precision": "fp8"}})
    with pytest.raises(ConfigValueError, match=r"\(with 'pytorch_config_extras.yaml'\): runner.mixed_precision = 'fp8'"):
        read_pytorch_config(path)
