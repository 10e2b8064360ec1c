"""Validation metrics are pluggable: pose metrics in original pixels, and the trainer assumes nothing about poses."""

from pathlib import Path

import numpy as np
import pytest
import torch

from deeplabcut.pose_estimation_pytorch.train_module import CSVLogger, PoseEvaluator, PoseTrainer, SnapshotManager


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
