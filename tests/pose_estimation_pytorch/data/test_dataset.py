"""ShuffleData splits, COCO export and PoseTrainDataset items."""

from pathlib import Path

import numpy as np
import torch

from deeplabcut.pose_estimation_pytorch.data import PoseTrainDataset, ShuffleData
from deeplabcut.training_dataset.create import create_training_dataset


def test_project_splits_and_coco(tiny_multianimal_project: Path, tmp_path: Path):
    create_training_dataset(tiny_multianimal_project, net_type="dekr_16")
    project = ShuffleData(tiny_multianimal_project, shuffle=1)
    train, test = project.split("train"), project.split("test")
    assert len(train) + len(test) == 10 and len(test) == 1
    assert train.keypoints.shape[1:] == (2, 4, 2) and train.unique_keypoints.shape[1:] == (1, 2)
    coco = project.to_coco("train")
    assert [c["name"] for c in coco["categories"]] == ["animal", "unique_bodypart"]
    assert coco["categories"][0]["keypoints"] == ["snout", "leftear", "rightear", "tail"]
    first = [a for a in coco["annotations"] if a["image_id"] == 1 and a["category_id"] == 1][0]
    np.testing.assert_allclose(first["keypoints"][:2], train.keypoints[0, 0, 0], atol=1e-3)
    assert first["bbox"][2] > 0 and first["iscrowd"] == 0
    paths = project.export_coco(tmp_path / "coco")
    assert paths["train"].is_file() and paths["test"].is_file()


def test_dataset_items(tiny_multianimal_project: Path):
    create_training_dataset(tiny_multianimal_project, net_type="dekr_16")
    project = ShuffleData(tiny_multianimal_project)
    evaluation = PoseTrainDataset(project, "train", augment=False)
    item = evaluation[1]
    assert item["image"].shape == (3, 96, 128) and item["image"].dtype == torch.float32
    row = project.split("train").keypoints[1]
    labeled = np.isfinite(row).all(axis=-1)
    np.testing.assert_array_equal(item["visibility"].numpy(), labeled.astype(np.float32))
    np.testing.assert_allclose(item["keypoints"].numpy()[labeled], row[labeled], atol=1e-5)
    assert (item["keypoints"].numpy()[~labeled] == 0).all()

    training = PoseTrainDataset(project, "train", augment=True, seed=0)
    batch = next(iter(torch.utils.data.DataLoader(training, batch_size=4)))
    assert batch["image"].shape == (4, 3, 96, 96)
    assert batch["keypoints"].shape == (4, 2, 4, 2) and batch["visibility_unique"].shape == (4, 1)
    inside = batch["visibility"] > 0
    assert (batch["keypoints"][inside] >= 0).all() and (batch["keypoints"][inside] <= 95).all()


def test_project_is_the_seed_name_of_shuffle_data():
    from deeplabcut.pose_estimation_pytorch.data import Project

    assert Project is ShuffleData
