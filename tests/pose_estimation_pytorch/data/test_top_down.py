"""Top-down datasets: a crop per labeled animal that maps back exactly, and detector images with their boxes."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from deeplabcut.errors import ConfigError
from deeplabcut.geometry import keypoint_boxes, to_original
from deeplabcut.pose_estimation_pytorch.data import (
    CroppedPoseDataset,
    DetectorDataset,
    ShuffleData,
    build_transforms,
    top_down_bbox_margin,
    top_down_crop_size,
)
from deeplabcut.pose_estimation_pytorch.data.crops import crop_around_box
from deeplabcut.pose_estimation_pytorch.data.dataset import load_image
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.train_module import PoseEvaluator
from top_down_shuffles import make_tiny_top_down_shuffle


@pytest.fixture(scope="module")
def shuffle(tmp_path_factory: pytest.TempPathFactory) -> ShuffleData:
    """A 2-animal synthetic project (5 bodyparts, 128x128 frames) with a tiny TokenPose shuffle."""
    config = make_tiny_top_down_shuffle(tmp_path_factory.mktemp("top_down_data"), num_bodyparts=5, frame_size=(128, 128))
    return ShuffleData(config)


def test_one_crop_per_labeled_animal_that_maps_back_to_the_labels(shuffle: ShuffleData):
    dataset = CroppedPoseDataset(shuffle, "train", augment=False)
    split = shuffle.split("train")
    labeled = np.isfinite(split.keypoints).all(-1).any(-1)  # (images, animals)
    assert len(dataset) == labeled.sum() and dataset.crop_size == (48, 64) and dataset.bbox_margin == 8
    for index in range(len(dataset)):
        item = dataset[index]
        position, animal = dataset.items[index]
        truth = split.keypoints[position, animal]
        assert item["image"].shape == (3, 64, 48) and item["keypoints"].shape == (1, 5, 2)
        assert item["keypoints_unique"].shape == (0, 2) and item["animal"] == animal
        assert item["index"] == split.indices[position]
        visible = item["visibility"][0].numpy() > 0
        np.testing.assert_array_equal(visible, np.isfinite(truth).all(-1))
        back = to_original(item["keypoints"][0].numpy(), item["scale"].numpy(), item["offset"].numpy())
        np.testing.assert_allclose(back[visible], truth[visible], atol=1e-3)

    # The crop is the one inference cuts around the same box (keypoints + bbox_margin).
    item = dataset[0]
    position, animal = dataset.items[0]
    image = load_image(split.image_paths[position])
    box = keypoint_boxes(split.keypoints[position, animal], 8, image_size=(128, 128))
    crop, scale, offset = crop_around_box(image, box, (48, 64))
    np.testing.assert_allclose(item["scale"].numpy(), scale, rtol=1e-6)
    np.testing.assert_allclose(item["offset"].numpy(), offset, rtol=1e-6)
    expected = (crop / 255.0 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(item["image"].numpy().transpose(1, 2, 0), expected, atol=1e-5)


def test_a_pose_encoded_in_the_crops_decodes_back_to_the_labels(shuffle: ShuffleData):
    """Labels -> crop -> the model's heatmap targets -> decoded (DARK) -> mapped back: the labels again."""
    pose_cfg = shuffle.pytorch_config()
    dataset = CroppedPoseDataset(shuffle, "train", augment=False, pytorch_config=pose_cfg)
    batch = next(iter(torch.utils.data.DataLoader(dataset, batch_size=len(dataset))))
    model = PoseModel.build(pose_cfg["model"])
    targets = model.get_targets(batch)
    poses = {"bodyparts": model.heads["bodypart"].predict({"heatmap": targets["bodypart"]["heatmap"]})}
    evaluator = PoseEvaluator(single_animal=False)
    evaluator.update(batch, poses)
    scale = batch["scale"][:, 0].max().item()
    metrics = evaluator.compute()
    assert metrics["rmse"] < 0.25 * scale  # a quarter of a crop pixel, in image pixels (measured: 0.007 px)
    assert metrics["mAP"] == pytest.approx(100.0)
    # The crops of one image are scored together: as many images as the split has labeled ones.
    assert len(evaluator.ground_truth) == len(set(batch["index"].tolist()))
    assert max(len(truth) for truth in evaluator.ground_truth) == 2


def test_a_crop_transform_that_resizes_still_maps_back(shuffle: ShuffleData):
    halve = build_transforms({"resize": {"height": 32, "width": 24, "keep_ratio": False}, "normalize_images": True})
    dataset = CroppedPoseDataset(shuffle, "train", transform=halve)
    plain = CroppedPoseDataset(shuffle, "train", augment=False)
    item, reference = dataset[3], plain[3]
    assert item["image"].shape == (3, 32, 24)
    np.testing.assert_allclose(item["scale"].numpy(), 2 * reference["scale"].numpy(), rtol=1e-6)
    visible = item["visibility"][0].numpy() > 0
    back = to_original(item["keypoints"][0].numpy(), item["scale"].numpy(), item["offset"].numpy())
    truth = to_original(reference["keypoints"][0].numpy(), reference["scale"].numpy(), reference["offset"].numpy())
    np.testing.assert_allclose(back[visible], truth[visible], atol=1e-3)


def test_augmented_crops_keep_the_animal_in_view(shuffle: ShuffleData):
    dataset = CroppedPoseDataset(shuffle, "train", augment=True, seed=0)
    batch = next(iter(torch.utils.data.DataLoader(dataset, batch_size=8)))
    assert batch["image"].shape == (8, 3, 64, 48) and batch["visibility"].sum() > 0
    inside = batch["visibility"] > 0
    assert (batch["keypoints"][inside] >= 0).all() and (batch["keypoints"][..., 0][inside] <= 47).all()


def test_detector_images_carry_a_box_per_animal_in_their_own_pixels(shuffle: ShuffleData):
    pose_cfg = copy.deepcopy(shuffle.pytorch_config())
    pose_cfg["detector"]["data"]["inference"]["longest_max_size"] = 64  # 128 -> 64: scale 2
    dataset = DetectorDataset(shuffle, "test", augment=False, pytorch_config=pose_cfg)
    split = shuffle.split("test")
    for index in range(len(dataset)):
        item = dataset[index]
        assert item["image"].shape == (3, 64, 64) and item["boxes"].shape == (2, 4)
        np.testing.assert_allclose(item["scale"].numpy(), [2.0, 2.0])
        expected = keypoint_boxes(split.keypoints[index], 8, image_size=(128, 128))
        back = item["boxes"].numpy().astype(np.float64) * 2.0
        np.testing.assert_array_equal(np.isnan(back), np.isnan(expected))
        np.testing.assert_allclose(back[np.isfinite(back)], expected[np.isfinite(expected)], atol=1e-3)

    training = DetectorDataset(shuffle, "train", augment=True, pytorch_config=pose_cfg, seed=0)
    batch = next(iter(torch.utils.data.DataLoader(training, batch_size=4)))
    boxes, keypoints, visible = batch["boxes"], batch["keypoints"], batch["visibility"] > 0
    assert batch["image"].shape == (4, 3, 128, 128) and boxes.shape == (4, 2, 4)
    has_box = torch.isfinite(boxes).all(-1)
    np.testing.assert_array_equal(has_box.numpy(), visible.any(-1).numpy())
    for b, a in zip(*np.nonzero(has_box.numpy())):
        points = keypoints[b, a][visible[b, a]]
        assert (points >= boxes[b, a, :2]).all() and (points <= boxes[b, a, 2:]).all()
        assert (boxes[b, a, :2] >= 0).all() and (boxes[b, a, 2:] <= 128).all()


def test_config_errors(shuffle: ShuffleData):
    pose_cfg = copy.deepcopy(shuffle.pytorch_config())
    assert top_down_crop_size(pose_cfg["data"]) == (48, 64) and top_down_bbox_margin(pose_cfg) == 8
    for section in ("train", "inference"):
        del pose_cfg["data"][section]["top_down_crop"]
    with pytest.raises(ConfigError, match="top_down_crop"):
        CroppedPoseDataset(shuffle, "train", pytorch_config=pose_cfg)
    del pose_cfg["detector"]
    assert top_down_bbox_margin(pose_cfg) == 20
    with pytest.raises(ConfigError, match="no detector section"):
        DetectorDataset(shuffle, "train", pytorch_config=pose_cfg)


def test_a_deeplabcut_style_transform_cropped_augments_each_crop(shuffle: ShuffleData):
    """``transform_cropped=``: a pipeline with ``class_labels`` and ``BboxParams`` gets one animal's labels and box."""
    import albumentations as A

    pipeline = A.Compose(
        [A.HorizontalFlip(p=1), A.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])],
        keypoint_params=A.KeypointParams("xy", remove_invisible=False, label_fields=["class_labels"]),
        bbox_params=A.BboxParams(format="coco", label_fields=["bbox_labels"]),
    )
    flipped = CroppedPoseDataset(shuffle, "train", transform=pipeline)
    assert flipped.transform.keypoint_labels == [f"individual0_{name}" for name in shuffle.bodyparts]
    plain = CroppedPoseDataset(shuffle, "train", augment=False)
    item, reference = flipped[0], plain[0]
    assert item["image"].shape == reference["image"].shape == (3, 64, 48)
    visible = (item["visibility"][0] > 0) & (reference["visibility"][0] > 0)
    assert visible.sum() > 0
    np.testing.assert_allclose(item["keypoints"][0][visible, 1].numpy(), reference["keypoints"][0][visible, 1].numpy(), atol=1e-3)
