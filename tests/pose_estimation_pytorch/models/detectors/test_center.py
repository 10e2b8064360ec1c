"""CenterDetector: built from the template's detector section, PoseModel's contract, and a short
training run that finds every animal of synthetic 3-animal frames."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from deeplabcut.errors import ConfigError
from deeplabcut.geometry import box_iou, keypoint_boxes
from deeplabcut.pose_estimation_pytorch.config.templates import fill_placeholders, load_template
from deeplabcut.pose_estimation_pytorch.models import DETECTORS
from deeplabcut.pose_estimation_pytorch.models.detectors import CenterDetector, build_detector
from deeplabcut.synthetic import make_scene


def template_detector_config(max_individuals: int = 3) -> dict:
    values = {"width": 32, "dim": 192, "heads": 8, "num_bodyparts": 4, "max_individuals": max_individuals}
    return fill_placeholders(load_template("detector")["model"], values)


def test_the_template_section_builds_a_detector_with_stride_4_outputs():
    assert "CenterDetector" in DETECTORS
    detector = build_detector(template_detector_config()).eval()
    assert isinstance(detector, CenterDetector) and detector.stride == 4 and detector.max_individuals == 3
    assert detector.backbone.width == 16 and detector.bbox_margin == 20
    with torch.no_grad():
        outputs = detector(torch.randn(2, 3, 64, 80))
    assert {name: tuple(t.shape) for name, t in outputs.items()} == {
        "heatmap": (2, 1, 16, 20),
        "size": (2, 2, 16, 20),
        "offset": (2, 2, 16, 20),
    }
    found = detector.predict(outputs, image_size=(64, 80))
    assert found["bboxes"].shape == (2, 3, 4) and found["bbox_scores"].shape == (2, 3)
    assert CenterDetector.build(template_detector_config(2)).max_individuals == 2


def test_targets_come_from_the_keypoints_plus_bbox_margin_or_from_given_boxes():
    detector = build_detector({"type": "CenterDetector", "max_individuals": 2, "width": 8, "bbox_margin": 5})
    keypoints = torch.tensor([[[[10.0, 12.0], [30.0, 20.0]], [[float("nan")] * 2, [float("nan")] * 2]]])
    images = torch.zeros(1, 3, 64, 64)
    from_keypoints = detector.get_targets({"image": images, "keypoints": keypoints})
    boxes = torch.tensor([[[5.0, 7.0, 35.0, 25.0], [float("nan")] * 4]])
    from_boxes = detector.get_targets({"image": images, "boxes": boxes})
    for name, target in from_boxes.items():
        torch.testing.assert_close(from_keypoints[name], target)
    hidden = detector.get_targets(
        {"image": images, "keypoints": keypoints, "visibility": torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])}
    )
    assert hidden["size"][0, :, 2, 2].tolist() == pytest.approx([np.log(10 / 4)] * 2)  # one point + margin
    losses = detector.get_loss(detector(images), from_boxes)
    assert set(losses) == {"heatmap", "size", "offset", "total_loss"} and losses["total_loss"].requires_grad
    with pytest.raises(KeyError, match="'boxes' or 'keypoints'"):
        detector.get_targets({"image": images})


def test_config_errors():
    with pytest.raises(ConfigError, match="unknown detector type 'SSDLite'"):
        build_detector({"type": "SSDLite", "max_individuals": 2})
    with pytest.raises(ConfigError, match="needs the key"):
        build_detector({"type": "CenterDetector"})
    with pytest.raises(ConfigError, match="layout key"):
        build_detector({"type": "CenterDetector", "max_individuals": 2, "layout": {"stem": 3}})


def test_briefly_trained_detector_finds_all_three_animals():
    """100 Adam steps on 4 synthetic 128x128 frames (about 10 s on one CPU thread); every
    animal's box (keypoints + 10 px) is found with IoU >= 0.5, and nothing else scores."""
    torch.manual_seed(0)
    scene = make_scene(num_animals=3, num_frames=120, frame_size=(128, 128), seed=0)
    frames = [0, 40, 80, 119]
    images = torch.tensor(np.stack(list(scene.frames(frames))), dtype=torch.float32).permute(0, 3, 1, 2) / 127.5 - 1
    keypoints = torch.tensor(scene.keypoints[frames], dtype=torch.float32)
    detector = build_detector({"type": "CenterDetector", "width": 8, "max_individuals": 4, "bbox_margin": 10})
    targets = detector.get_targets({"image": images, "keypoints": keypoints})
    optimizer = torch.optim.Adam(detector.parameters(), lr=3e-3)
    detector.train()
    for _ in range(100):
        losses = detector.get_loss(detector(images), targets)
        optimizer.zero_grad()
        losses["total_loss"].backward()
        optimizer.step()
    detector.eval()
    with torch.no_grad():
        found = detector.predict(detector(images), image_size=(128, 128))
    truth = keypoint_boxes(scene.keypoints[frames], 10, image_size=(128, 128))
    for image in range(len(frames)):
        scores = found["bbox_scores"][image]
        assert (scores[:3] > 0.5).all() and scores[3] == -1  # three animals, no fourth
        iou = box_iou(truth[image], found["bboxes"][image, :3].numpy())
        assert iou.max(axis=1).min() >= 0.5
        assert sorted(iou.argmax(axis=1).tolist()) == [0, 1, 2]  # one box per animal


def test_imagenet_layout_weights_load_when_the_stem_is_timms(tmp_path):
    from deeplabcut.errors import ModelError
    from deeplabcut.pose_estimation_pytorch.models.backbones.hrnet import HRNetFeatures

    path = tmp_path / "hrnet_w8.pth"
    torch.save(HRNetFeatures(8).state_dict(), path)  # timm's layout at width 8
    timm_stem = {"stem_width": 64, "stem_channels": 64, "layer1_channels": 64}
    detector = build_detector(
        {"type": "CenterDetector", "max_individuals": 2, "width": 8, "pretrained": str(path), "layout": timm_stem}
    )
    assert detector.backbone.pretrained_report.loaded
    with pytest.raises(ModelError, match="shape mismatches"):
        build_detector({"type": "CenterDetector", "max_individuals": 2, "width": 8, "pretrained": str(path)})
