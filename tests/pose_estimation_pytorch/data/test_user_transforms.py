"""``train_network(transform=...)``: albumentations pipelines as DeepLabCut 3 users write them."""

from __future__ import annotations

import warnings
from pathlib import Path

import albumentations as A
import numpy as np
import pytest

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.data import PoseTrainDataset, ShuffleData
from deeplabcut.pose_estimation_pytorch.data.user_transforms import UserTrainTransform
from deeplabcut.training_dataset.create import create_training_dataset

IMAGENET_NORMALIZE = A.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])


def deeplabcut_style(*steps, normalize: bool = True) -> A.Compose:
    """The pipeline of DeepLabCut 3's ``build_transforms``: keypoint label fields and COCO boxes."""
    return A.Compose(
        [*steps, *([IMAGENET_NORMALIZE] if normalize else [])],
        keypoint_params=A.KeypointParams("xy", remove_invisible=False, label_fields=["class_labels"]),
        bbox_params=A.BboxParams(format="coco", label_fields=["bbox_labels"]),
    )


@pytest.fixture
def shuffle(tiny_multianimal_project: Path) -> ShuffleData:
    create_training_dataset(tiny_multianimal_project, net_type="dekr_16")
    return ShuffleData(tiny_multianimal_project)


def test_a_deeplabcut_style_pipeline_gets_its_labels_and_boxes(shuffle: ShuffleData):
    wrapped = UserTrainTransform(deeplabcut_style(A.HorizontalFlip(p=1)), shuffle.bodyparts, shuffle.unique_bodyparts, 2)
    data = shuffle.split("train")
    image = np.zeros((60, 80, 3), np.uint8)
    points = np.concatenate([data.keypoints[0].reshape(-1, 2), data.unique_keypoints[0]]).astype(np.float32)
    result = wrapped(image=image, keypoints=points)
    # DeepLabCut 3's names (data/dataset.py): individual<i>_<bodypart>, then unique_<bodypart>.
    assert result["class_labels"][:5] == ["individual0_snout", "individual0_leftear", "individual0_rightear",
                                          "individual0_tail", "individual1_snout"]
    assert result["class_labels"][-1] == "unique_" + shuffle.unique_bodyparts[0]
    assert len(result["bboxes"]) == len(result["bbox_labels"]) >= 1  # one COCO box per labeled animal
    flipped = np.asarray(result["keypoints"])
    labeled = np.isfinite(points).all(axis=1)
    np.testing.assert_allclose(flipped[labeled, 1], points[labeled, 1], atol=1e-4)  # y unchanged, x mirrored
    assert not np.allclose(flipped[labeled, 0], points[labeled, 0])


def test_items_from_a_deeplabcut_style_pipeline_equal_a_plain_ones(shuffle: ShuffleData):
    plain = A.Compose([A.HorizontalFlip(p=1), IMAGENET_NORMALIZE], keypoint_params=A.KeypointParams("xy", remove_invisible=False))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # normalised: no warning
        item = PoseTrainDataset(shuffle, "train", transform=deeplabcut_style(A.HorizontalFlip(p=1)))[0]
    reference = PoseTrainDataset(shuffle, "train", transform=plain)[0]
    assert item["image"].shape == reference["image"].shape == (3, 96, 128)
    np.testing.assert_array_equal(item["keypoints"].numpy(), reference["keypoints"].numpy())
    np.testing.assert_array_equal(item["visibility"].numpy(), reference["visibility"].numpy())
    assert item["visibility"].sum() > 0


def test_to_tensor_v2_is_refused_before_training(shuffle: ShuffleData):
    pytest.importorskip("albumentations.pytorch")
    from albumentations.pytorch import ToTensorV2

    with pytest.raises(ConfigError, match="ToTensorV2.*Remove ToTensorV2"):
        PoseTrainDataset(shuffle, "train", transform=deeplabcut_style(A.HorizontalFlip(p=0.5), ToTensorV2()))


def test_a_channels_first_image_is_refused_with_the_fix(shuffle: ShuffleData):
    def channels_first(image, keypoints, **_):
        return {"image": np.ascontiguousarray(image.transpose(2, 0, 1)).astype(np.float32) / 255, "keypoints": keypoints}

    dataset = PoseTrainDataset(shuffle, "train", transform=channels_first)
    with pytest.raises(ConfigError, match=r"shape \(3, 96, 128\), channels first.*\(height, width, channels\)"):
        dataset[0]


def test_unnormalised_images_are_warned_about_once(shuffle: ShuffleData):
    dataset = PoseTrainDataset(shuffle, "train", transform=deeplabcut_style(A.HorizontalFlip(p=1), normalize=False))
    with pytest.warns(UserWarning, match=r"values up to \d+ \(not normalised\).*A\.Normalize\(mean=\[0\.485"):
        item = dataset[0]
    assert float(item["image"].max()) > 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dataset[1]  # once per dataset


def test_no_warning_when_inference_does_not_normalise_either(shuffle: ShuffleData):
    config = shuffle.pytorch_config()
    config["data"]["inference"]["normalize_images"] = False
    dataset = PoseTrainDataset(shuffle, "train", transform=deeplabcut_style(A.HorizontalFlip(p=1), normalize=False), pytorch_config=config)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dataset[0]


def test_train_network_trains_with_a_deeplabcut_style_pipeline(tiny_dekr_project: Path):
    from deeplabcut.pose_estimation_pytorch.apis import train_network

    result = train_network(tiny_dekr_project, epochs=1, transform=deeplabcut_style(A.HorizontalFlip(p=0.5)))
    losses = [value for key, value in result.history[1].items() if key == "losses/train.total_loss"]
    assert len(losses) == 1 and np.isfinite(losses[0])
