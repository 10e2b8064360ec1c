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


def test_unique_bodyparts_tell_unlabeled_from_outside_the_crop(tiny_multianimal_project: Path):
    """visibility_unique: 1 inside the (cropped) image, 0 labeled but cropped away, -1 unlabeled."""
    create_training_dataset(tiny_multianimal_project, net_type="dekr_16")
    project = ShuffleData(tiny_multianimal_project)

    def left_half(image, keypoints, **_):
        return {"image": image[:, :64], "keypoints": keypoints}

    dataset = PoseTrainDataset(project, "train", transform=left_half)
    animals = np.full((2, 4, 2), np.nan)
    animals[0] = [[10, 10], [20, 10], [10, 20], [100, 50]]  # the last one is cropped away
    image = np.zeros((96, 128, 3), np.uint8)
    items = [dataset.make_item(image, animals, np.array([point]), "img.png", 0) for point in ([30, 40], [100, 40], [np.nan, np.nan])]
    assert items[0]["image"].shape == (3, 96, 64)
    assert [item["visibility_unique"].item() for item in items] == [1.0, 0.0, -1.0]
    np.testing.assert_allclose([item["keypoints_unique"].numpy()[0] for item in items], [[30, 40], [0, 0], [0, 0]])
    # Animals' keypoints keep 0 for both (DEKR trains a missing keypoint as background).
    assert items[0]["visibility"].tolist() == [[1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    # The unique head (its template's codec) trains the cropped-away object's channel as absent.
    from deeplabcut.pose_estimation_pytorch.models import PoseModel

    head = PoseModel.build(project.pytorch_config()["model"]).heads["unique_bodypart"]
    batch = torch.utils.data.default_collate([{k: v for k, v in item.items() if k != "image_path"} for item in items])
    targets = head.get_targets(batch, (96, 64), (24, 16), device=torch.device("cpu"))
    assert targets["heatmap_weight"].amin(dim=(1, 2, 3)).tolist() == [1.0, 1.0, 0.0]
    assert targets["heatmap"][1].max() == 0.0
