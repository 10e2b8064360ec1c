"""PoseModel: building every DEKR variant, the batch -> targets -> loss -> predict contract,
DeepLabCut 3 state-dict compatibility, BN freezing, and config errors."""

from __future__ import annotations

import pytest
import torch

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.models.backbones.hrnet import hrnet_width_from_net_type


@pytest.mark.parametrize("net_type, width", [("dekr_16", 16), ("dekr_32", 32), ("dekr_48", 48), ("dekr_w18", 18)])
def test_every_dekr_variant_builds_with_the_expected_shapes(net_type, width, dekr_model_config):
    assert hrnet_width_from_net_type(net_type) == width
    config = dekr_model_config(width, num_bodyparts=3, max_individuals=2, num_unique=2)
    model = PoseModel.build(config).eval()
    backbone = model.backbone
    assert backbone.stride == 4
    assert backbone.feature_channels == (width, 2 * width, 4 * width, 8 * width)
    assert backbone.feature_strides == (4, 8, 16, 32)
    assert backbone.out_channels == 15 * width
    with torch.no_grad():
        outputs = model(torch.randn(1, 3, 64, 64))
        branches = backbone.forward_branches(torch.randn(1, 3, 64, 64))
    assert [tuple(b.shape[1:]) for b in branches] == [(width * 2**i, 16 // 2**i, 16 // 2**i) for i in range(4)]
    assert outputs["bodypart"]["heatmap"].shape == (1, 4, 16, 16)
    assert outputs["bodypart"]["offset"].shape == (1, 6, 16, 16)
    assert outputs["unique_bodypart"]["heatmap"].shape == (1, 2, 33, 33)
    assert outputs["unique_bodypart"]["locref"].shape == (1, 4, 33, 33)
    assert model.head_strides() == {"bodypart": 4.0, "unique_bodypart": 2.0}


def test_dekr_parameter_counts_match_the_paper_for_coco(dekr_model_config):
    """DEKR paper (Geng et al. 2021, COCO, 17 keypoints): 29.6 M (w32) and 65.7 M (w48) parameters."""
    counts = {}
    for width in (32, 48):
        model = PoseModel.build(dekr_model_config(width, num_bodyparts=17, max_individuals=20))
        counts[width] = sum(p.numel() for p in model.parameters()) / 1e6
    assert counts[32] == pytest.approx(29.6, abs=0.15)
    assert counts[48] == pytest.approx(65.7, abs=0.15)


def test_any_width_and_odd_input_sizes(tiny_model_config):
    model = PoseModel.build(tiny_model_config(num_bodyparts=2, width=5)).eval()
    with torch.no_grad():
        outputs = model(torch.randn(2, 3, 50, 70))
    assert outputs["bodypart"]["heatmap"].shape == (2, 3, 13, 18)
    assert model.feature_source.feature_size((50, 70)) == (13, 18)


def test_batch_to_targets_loss_and_predictions(tiny_model_config):
    torch.manual_seed(0)
    model = PoseModel.build(tiny_model_config(num_bodyparts=3, max_individuals=2, num_unique=1))
    batch = {
        "image": torch.randn(2, 3, 48, 64),
        "keypoints": torch.rand(2, 2, 3, 2) * 40,
        "visibility": torch.tensor([[[1.0, 1, 1], [0, 0, 0]], [[1, 1, 0], [1, 1, 1]]]),
        "keypoints_unique": torch.rand(2, 1, 2) * 40,
        "visibility_unique": torch.ones(2, 1),
    }
    outputs = model(batch["image"])
    targets = model.get_targets(batch)
    for head, head_outputs in outputs.items():
        for name, value in head_outputs.items():
            assert targets[head][name].shape == value.shape
            assert targets[head][f"{name}_weight"].shape == value.shape
    losses = model.get_loss(outputs, targets)
    losses["total_loss"].backward()
    assert all(torch.isfinite(value) for value in losses.values())
    assert model.backbone.model.conv1.weight.grad is not None
    model.eval()
    with torch.no_grad():
        predictions = model.predict(model(batch["image"]))
    assert predictions["bodyparts"].shape == (2, 2, 3, 3)
    assert predictions["unique_bodyparts"].shape == (2, 1, 1, 3)


def test_state_dict_keys_and_shapes_are_deeplabcut_3s(tiny_model_config, dlc_dekr_head_replica):
    """Compare with a replica of DeepLabCut 3's DEKRHead module tree (same names, same shapes)."""
    model = PoseModel.build(tiny_model_config(num_bodyparts=3))
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items() if k.startswith("heads.bodypart.")}
    replica = dlc_dekr_head_replica(in_channels=120, width=8, num_keypoints=3)
    theirs = {f"heads.bodypart.{k}": tuple(v.shape) for k, v in replica.state_dict().items()}
    assert ours == theirs
    assert all(k.startswith("model.") for k in model.backbone.state_dict())


def test_deeplabcut_layout_snapshot_round_trip(tiny_model_config):
    torch.manual_seed(0)
    config = tiny_model_config(num_bodyparts=3, num_unique=1)
    source, target = PoseModel.build(config), PoseModel.build(config)
    with torch.no_grad():
        for parameter in source.heads.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.1)
    snapshot = {"model": source.state_dict()}
    assert "heads.bodypart.offset_head.offset_feature_layers.2.1.regular_matrix" in snapshot["model"]
    assert "heads.bodypart.offset_head.offset_final_layer.2.weight" in snapshot["model"]
    assert str(target.load_state_dict(snapshot["model"], strict=True)) == "<All keys matched successfully>"
    source.eval(), target.eval()
    images = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        expected, actual = source(images), target(images)
    for head in expected:
        for name in expected[head]:
            torch.testing.assert_close(actual[head][name], expected[head][name])


def test_freeze_bn_stats_and_weights(tiny_model_config):
    config = tiny_model_config()
    config["backbone"].update(freeze_bn_stats=True, freeze_bn_weights=True)
    model = PoseModel.build(config).train()
    bn = model.backbone.model.bn1
    assert not bn.training and not bn.weight.requires_grad
    assert model.heads["bodypart"].heatmap_head.transition_heatmap[1].training
    before = bn.running_mean.clone()
    model(torch.randn(2, 3, 32, 32))
    assert torch.equal(bn.running_mean, before)


def test_config_errors_name_the_problem(tiny_model_config):
    config = tiny_model_config()
    config["backbone_output_channels"] = 99
    with pytest.raises(ConfigError, match="backbone_output_channels is 99 but the backbone"):
        PoseModel.build(config)
    config = tiny_model_config()
    config["heads"]["bodypart"]["heatmap_config"]["channels"][0] = 7
    with pytest.raises(ConfigError, match=r"heatmap_config.channels\[0\] is 7"):
        PoseModel.build(config)
    config = tiny_model_config()
    config["backbone"]["type"] = "ResNet"
    with pytest.raises(ConfigError, match="unknown backbone type 'ResNet'.*HRNet"):
        PoseModel.build(config)
    config = tiny_model_config()
    config["backbone"]["colour"] = "red"
    with pytest.raises(ConfigError, match="colour"):
        PoseModel.build(config)
    config = tiny_model_config()
    config["heads"]["bodypart"]["codec"]["num_bodyparts"] = 5
    with pytest.raises(ConfigError, match="codec num_bodyparts is 5"):
        PoseModel.build(config)
    config = tiny_model_config()
    config["heads"]["bodypart"]["criterion"]["heatmap"] = {"type": "WeightedFocalLoss"}
    with pytest.raises(ConfigError, match="apply_sigmoid: true"):
        PoseModel.build(config)


def test_deeplabcut_head_sections_are_accepted(tiny_model_config):
    """DeepLabCut 3 configs name the codec's parts target_generator and predictor."""
    config = tiny_model_config(num_bodyparts=4, max_individuals=3, num_unique=1)
    head = config["heads"]["bodypart"]
    del head["codec"]
    head["target_generator"] = {"type": "DEKRGenerator", "num_joints": 4, "pos_dist_thresh": 17, "bg_weight": 0.1}
    head["predictor"] = {"type": "DEKRPredictor", "num_animals": 3, "apply_sigmoid": False, "clip_scores": True,
                         "use_heatmap": False, "keypoint_score_type": "combined", "max_absorb_distance": 75,
                         "nms_threshold": 0.05, "apply_pose_nms": True}
    head["criterion"] = {"heatmap": {"type": "DEKRHeatmapLoss", "weight": 1}, "offset": {"type": "DEKROffsetLoss", "weight": 0.03}}
    unique = config["heads"]["unique_bodypart"]
    del unique["codec"], unique["label_keypoint_key"]
    unique["target_generator"] = {"type": "HeatmapGaussianGenerator", "num_heatmaps": 1, "pos_dist_thresh": 17,
                                  "heatmap_mode": "KEYPOINT", "generate_locref": True, "locref_std": 7.2801,
                                  "label_keypoint_key": "keypoints_unique"}
    unique["predictor"] = {"type": "HeatmapPredictor", "apply_sigmoid": False, "clip_scores": True,
                           "location_refinement": True, "locref_std": 7.2801}
    unique["criterion"] = {"heatmap": {"type": "WeightedMSECriterion", "weight": 1.0},
                           "locref": {"type": "WeightedHuberCriterion", "weight": 0.05}}
    model = PoseModel.build(config)
    assert model.heads["bodypart"].codec.max_individuals == 3
    assert model.heads["unique_bodypart"].label_keypoint_key == "keypoints_unique"
