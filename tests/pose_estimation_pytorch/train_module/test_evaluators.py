"""Validation metrics are pluggable: pose metrics in original pixels, and the trainer assumes nothing about poses."""

from pathlib import Path

import numpy as np
import pytest
import torch

from deeplabcut.pose_estimation_pytorch.train_module import (
    BoxEvaluator,
    CSVLogger,
    PoseEvaluator,
    PoseTrainer,
    SnapshotManager,
)


def test_pose_evaluator_scores_in_original_image_pixels():
    keypoints = torch.tensor([[[[10.0, 20.0], [30.0, 40.0]]], [[[5.0, 5.0], [8.0, 9.0]]]])  # (B=2, A=1, K=2, 2), network pixels
    batch = {
        "keypoints": keypoints,
        "visibility": torch.ones(2, 1, 2),
        "scale": torch.tensor([[2.0, 2.0], [0.5, 0.5]]),
        "offset": torch.tensor([[100.0, 0.0], [0.0, 50.0]]),
    }
    shifted = keypoints + torch.tensor([1.0, 0.0])  # one network pixel to the right
    predictions = {"bodyparts": torch.cat([shifted, torch.full((2, 1, 2, 1), 0.9)], dim=-1)}
    evaluator = PoseEvaluator(pcutoff=0.6, single_animal=True)
    evaluator.update(batch, predictions)
    metrics = evaluator.compute()
    assert set(metrics) == {"rmse", "rmse_pcutoff", "mAP", "mAR"}
    assert metrics["rmse"] == pytest.approx((2.0 + 2.0 + 0.5 + 0.5) / 4)  # errors scale back with each image
    np.testing.assert_allclose(evaluator.ground_truth[0][0, 0], [120.0, 40.0])  # 10 * 2 + 100, 20 * 2 + 0
    evaluator.reset()
    assert evaluator.predictions == [] and evaluator.ground_truth == []


class MeanBrightness(torch.nn.Module):
    """A model that predicts no pose at all: one number per image."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = torch.nn.Parameter(torch.zeros(1))

    def forward(self, images: torch.Tensor) -> dict:
        return {"brightness": {"value": images.mean(dim=(1, 2, 3)) + self.bias}}

    def get_targets(self, batch: dict) -> dict:
        return {}

    def get_loss(self, outputs: dict, targets: dict) -> dict:
        return {"total_loss": outputs["brightness"]["value"].mean()}

    def predict(self, outputs: dict) -> dict:
        return {"brightness": outputs["brightness"]["value"]}


class CountingEvaluator:
    def reset(self) -> None:
        self.images = 0

    def update(self, batch: dict, predictions: dict) -> None:
        self.images += len(predictions["brightness"])

    def compute(self) -> dict[str, float]:
        return {"images": self.images}


def test_the_trainer_logs_what_its_evaluators_compute(tmp_path: Path):
    model = MeanBrightness()
    trainer = PoseTrainer(
        model=model,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        scheduler=None,
        device=torch.device("cpu"),
        snapshots=SnapshotManager(tmp_path, key_metric=None),
        logger=CSVLogger(tmp_path / "learning_stats.csv"),
        evaluators=[CountingEvaluator()],
    )
    batches = [{"image": torch.ones(2, 3, 8, 8)}, {"image": torch.zeros(1, 3, 8, 8)}]
    record = trainer.evaluate(batches)
    assert record["metrics/test.images"] == 3.0
    assert record["losses/eval.total_loss"] == pytest.approx(0.5)
    assert trainer.evaluate(batches)["metrics/test.images"] == 3.0  # each pass starts afresh
    assert not any(key.startswith("metrics/") for key in PoseTrainer(
        model=model, optimizer=trainer.optimizer, scheduler=None, device=torch.device("cpu"),
        snapshots=trainer.snapshots, logger=trainer.logger,
    ).evaluate(batches))


def test_pose_evaluator_scores_the_crops_of_one_image_together():
    """Two crops (one animal each) of image 7 and one of image 9: two images, the first with two animals."""
    keypoints = torch.tensor([[[[4.0, 4.0], [8.0, 8.0]]]] * 3)  # (B=3, A=1, K=2, 2) crop pixels
    batch = {
        "keypoints": keypoints,
        "visibility": torch.ones(3, 1, 2),
        "scale": torch.tensor([[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]]),
        "offset": torch.tensor([[0.0, 0.0], [50.0, 50.0], [10.0, 0.0]]),
        "index": torch.tensor([7, 7, 9]),
    }
    predictions = {"bodyparts": torch.cat([keypoints, torch.full((3, 1, 2, 1), 0.9)], dim=-1)}
    evaluator = PoseEvaluator(single_animal=False)
    evaluator.update(batch, predictions)
    assert [truth.shape for truth in evaluator.ground_truth] == [(2, 2, 2), (1, 2, 2)]
    np.testing.assert_allclose(evaluator.ground_truth[0][1, 0], [54.0, 54.0])
    np.testing.assert_allclose(evaluator.predictions[1][0, 1], [26.0, 16.0, 0.9])
    metrics = evaluator.compute()
    assert metrics["rmse"] == pytest.approx(0.0) and metrics["mAP"] == pytest.approx(100.0)


def test_box_evaluator_scores_boxes_in_original_image_pixels():
    """Image 1 (scale 2): both animals found; image 2: one of two found, plus a -1 padding row."""
    truth = torch.tensor(
        [[[0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 30.0, 40.0]], [[0.0, 0.0, 50.0, 50.0], [60.0, 0.0, 90.0, 30.0]]]
    )
    found = torch.tensor(
        [[[20.0, 20.0, 30.0, 40.0], [0.0, 0.0, 10.0, 10.0]], [[3.0, 3.0, 50.0, 50.0], [-1.0, -1.0, -1.0, -1.0]]]
    )
    batch = {"boxes": truth, "scale": torch.tensor([[2.0, 2.0], [1.0, 1.0]]), "offset": torch.tensor([[5.0, 0.0], [0.0, 0.0]])}
    predictions = {"bboxes": found, "bbox_scores": torch.tensor([[0.9, 0.8], [0.7, -1.0]])}
    evaluator = BoxEvaluator(max_individuals=2)
    evaluator.update(batch, predictions)
    np.testing.assert_allclose(evaluator.ground_truth[0][1], [45.0, 40.0, 65.0, 80.0])  # 2 * box + (5, 0)
    metrics = evaluator.compute()
    assert set(metrics) == {"mAP@50:95", "mAR@50:95", "mAP@50", "recall@50"}
    assert metrics["recall@50"] == pytest.approx(75.0)  # 3 of 4 animals
    # Every detection is right and one animal is missed: precision 1 up to recall 0.75, i.e.
    # 76 of COCO's 101 recall points.
    assert metrics["mAP@50"] == pytest.approx(100 * 76 / 101)
    assert metrics["mAP@50:95"] < metrics["mAP@50"]  # (3, 3, 50, 50) has IoU 0.88 with its animal
    evaluator.reset()
    assert evaluator.ground_truth == [] and evaluator.detections == []
