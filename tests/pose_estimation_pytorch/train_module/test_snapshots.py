"""Snapshots a training run keeps: DeepLabCut's keep/delete rules."""

from pathlib import Path

import torch

from deeplabcut.pose_estimation_pytorch.runtime.checkpoints import list_snapshots
from deeplabcut.pose_estimation_pytorch.train_module.snapshots import SnapshotManager


def names(folder: Path) -> list[str]:
    return [s.path.name for s in list_snapshots(folder)]


def state(epoch: int, value: float | None = None) -> dict:
    metrics = {} if value is None else {"metrics/test.mAP": value}
    return {"metadata": {"epoch": epoch, "metrics": metrics, "losses": {}}, "model": {"w": torch.ones(1) * epoch}}


def run(manager: SnapshotManager, values: list[float | None]) -> None:
    for epoch, value in enumerate(values, start=1):
        metrics = {} if value is None else {"metrics/test.mAP": value}
        manager.update(epoch, metrics, lambda e=epoch, v=value: state(e, v), last=epoch == len(values))


def test_regular_snapshots_every_save_epochs_and_at_the_end(tmp_path: Path):
    run(SnapshotManager(tmp_path, save_epochs=3, max_snapshots=10, key_metric=None), [None] * 7)
    assert names(tmp_path) == ["snapshot-003.pt", "snapshot-006.pt", "snapshot-007.pt"]


def test_best_snapshot_rules(tmp_path: Path):
    manager = SnapshotManager(tmp_path, save_epochs=2, max_snapshots=2, key_metric="test.mAP")
    run(manager, [10, 5, 20, None, 15, 30, 1, 2])
    # best moved 1 -> 3 -> 6; 1 and 3 were not multiples of 2 so they were deleted,
    # 6 is the best; regular ones: 2, 4, 8 with only the last 2 kept.
    assert names(tmp_path) == ["snapshot-004.pt", "snapshot-008.pt", "snapshot-best-006.pt"]
    # a new manager on the same folder remembers the best value
    assert SnapshotManager(tmp_path, key_metric="test.mAP").best_value == 30


def test_lower_is_better_metric(tmp_path: Path):
    manager = SnapshotManager(tmp_path, save_epochs=100, key_metric="test.rmse", key_metric_asc=False)
    for epoch, rmse in enumerate([9.0, 4.0, 6.0], start=1):
        manager.update(epoch, {"metrics/test.rmse": rmse}, lambda e=epoch: state(e), last=epoch == 3)
    assert names(tmp_path) == ["snapshot-003.pt", "snapshot-best-002.pt"]
