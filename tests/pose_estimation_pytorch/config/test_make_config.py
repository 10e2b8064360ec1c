"""make_pytorch_config for top-down net types: a detector section for each, sized for the CPU, and
top_down_hrnet (HRNet + heatmap head) that predicts one animal per crop."""

from __future__ import annotations

import pytest
import torch

from conftest import TINY_BACKBONE, make_tiny_project
from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.make_config import (
    MAX_DETECTOR_SIZE,
    default_detector_size,
    make_pytorch_config,
    net_type_method,
)
from deeplabcut.pose_estimation_pytorch.config.pose_config import is_top_down, update_config
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.models.detectors import CenterDetector, build_detector
from deeplabcut.project.config import read_config


@pytest.fixture(scope="module")
def project_cfg(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A 2-animal project with 4 bodyparts, no unique ones, 96x128 frames."""
    return read_config(make_tiny_project(tmp_path_factory.mktemp("make_config"), unique_bodyparts=()))


@pytest.mark.parametrize("net_type", ["token_pose_w16", "top_down_hrnet_w18", "top_down_hrnet_w32", "top_down_hrnet_w48"])
def test_top_down_net_types_get_the_detector_section(project_cfg: dict, net_type: str):
    cfg = make_pytorch_config(project_cfg, net_type, "pytorch_config.yaml")
    assert net_type_method(net_type) == "td" and is_top_down(cfg)
    detector = cfg["detector"]
    assert detector["model"]["type"] == "CenterDetector" and detector["model"]["max_individuals"] == 2
    assert detector["runner"]["key_metric"] == "test.mAP@50:95"
    assert detector["train_settings"]["epochs"] == 100
    # The detector's input: the video's longest side (128 px) when below the CPU cap.
    assert detector["data"]["train"]["longest_max_size"] == detector["data"]["inference"]["longest_max_size"] == 128
    crops = {"token_pose_w16": (96, 128), "token_pose_w32": (192, 256), "token_pose_w48": (192, 256)}
    width, height = crops.get(net_type, (128, 128))  # TokenPose-B's 256x192; 128x96 for w16 (CPU recipe)
    crop = {"width": width, "height": height}
    assert cfg["data"]["train"]["top_down_crop"] == cfg["data"]["inference"]["top_down_crop"] == crop
    assert cfg["data"]["train"]["affine"]["rotation"] == 30  # the top-down augmentation around it
    assert isinstance(build_detector(detector["model"]), CenterDetector)


def test_large_videos_are_shrunk_for_the_detector(project_cfg: dict):
    cfg = {**project_cfg, "video_sets": {"a.mp4": {"crop": "0, 640, 0, 480"}, "b.mp4": {"crop": "0, 96, 0, 64"}}}
    assert default_detector_size(cfg) == MAX_DETECTOR_SIZE == 256
    assert make_pytorch_config(cfg, "top_down_hrnet_w32", "p.yaml")["detector"]["data"]["inference"]["longest_max_size"] == 256


def test_top_down_hrnet_is_hrnet_with_a_heatmap_head_on_one_animal(project_cfg: dict):
    cfg = make_pytorch_config(project_cfg, "top_down_hrnet_w32", "pytorch_config.yaml")
    model_cfg = cfg["model"]
    assert model_cfg["backbone"]["model_name"] == "hrnet_w32" and model_cfg["backbone_output_channels"] == 32
    head = model_cfg["heads"]["bodypart"]
    assert head["type"] == "HeatmapHead" and head["heatmap_config"]["channels"] == [32, 4]
    assert head["locref_config"]["channels"] == [32, 8] and head["codec"]["num_heatmaps"] == 4
    model_cfg["backbone"].update(TINY_BACKBONE)
    model = PoseModel.build(model_cfg).eval()
    assert model.head_strides() == {"bodypart": 2.0}
    with torch.no_grad():
        poses = model.predict(model(torch.randn(2, 3, 64, 48)))["bodyparts"]
    assert poses.shape == (2, 1, 4, 3)


def test_detector_keys_can_be_overridden(project_cfg: dict):
    cfg = make_pytorch_config(project_cfg, "token_pose_w16", "pytorch_config.yaml")
    updated = update_config(
        cfg,
        {
            "detector.train_settings.epochs": 3,
            "detector.data.train.longest_max_size": 64,
            "detector.data.train.gaussian_noise": 10,
            "detector.model.layout": {"stage_blocks": 1},
            "detector.runner.optimizer": {"type": "SGD", "params": {"lr": 0.1}},
        },
    )
    detector = updated["detector"]
    assert detector["train_settings"]["epochs"] == 3 and detector["data"]["train"]["longest_max_size"] == 64
    assert detector["model"]["layout"] == {"stage_blocks": 1}
    assert detector["runner"]["optimizer"] == {"type": "SGD", "params": {"lr": 0.1}}
    with pytest.raises(ConfigError, match="detector.train_settings.epoch'"):
        update_config(cfg, {"detector.train_settings.epoch": 3})
