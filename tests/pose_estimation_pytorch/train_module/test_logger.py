"""learning_stats.csv: sorted metric columns, empty cells, continued and truncated on resume, rows rebuilt from snapshots."""

import csv
from pathlib import Path

import torch

from deeplabcut.pose_estimation_pytorch.train_module.logger import CSVLogger, rebuild_missing_rows


def read(path: Path) -> list[dict[str, str]]:
    with path.open() as stream:
        return list(csv.DictReader(stream))


def test_columns_and_resume(tmp_path: Path):
    path = tmp_path / "learning_stats.csv"
    logger = CSVLogger(path)
    logger.log(1, {"losses/train.total_loss": 0.5})
    logger.log(2, {"losses/train.total_loss": 0.4, "metrics/test.rmse": 3.0})
    logger.log(3, {"losses/train.total_loss": 0.3})
    assert path.read_text().splitlines()[0] == "step,losses/train.total_loss,metrics/test.rmse"
    assert read(path)[0]["metrics/test.rmse"] == ""

    resumed = CSVLogger(path)
    resumed.truncate_after(2)
    resumed.log(3, {"losses/train.total_loss": 0.25})
    rows = read(path)
    assert [r["step"] for r in rows] == ["1", "2", "3"]
    assert float(rows[2]["losses/train.total_loss"]) == 0.25


def test_rows_lost_between_a_snapshot_and_its_row_are_rebuilt_from_the_snapshots(tmp_path: Path):
    stats = tmp_path / "learning_stats.csv"
    logger = CSVLogger(stats)
    logger.log(1, {"losses/train.total_loss": 0.5, "learning_rate": 0.001})
    row_2 = {"losses/train.total_loss": 0.25, "learning_rate": 0.001, "metrics/test.rmse": 3.5}
    torch.save({"metadata": {"epoch": 1, "learning_stats": {"losses/train.total_loss": 9.0}}, "model": {}}, tmp_path / "snapshot-001.pt")
    torch.save({"metadata": {"epoch": 2, "learning_stats": row_2}, "model": {}}, tmp_path / "snapshot-best-002.pt")
    older = {"epoch": 3, "losses": {"losses/train.total_loss": 0.125}, "metrics": {"metrics/test.rmse": 2.0}}
    torch.save({"metadata": older, "model": {}}, tmp_path / "snapshot-003.pt")
    (tmp_path / "snapshot-004.pt").write_bytes(b"truncated")
    torch.save({"metadata": {"epoch": 5, "learning_stats": row_2}, "model": {}}, tmp_path / "snapshot-005.pt")

    assert rebuild_missing_rows(stats, "snapshot", up_to_epoch=4) == [2, 3]
    rows = CSVLogger(stats).rows
    assert rows == {
        1: {"losses/train.total_loss": 0.5, "learning_rate": 0.001},  # kept, not replaced by the snapshot's
        2: row_2,
        3: {"losses/train.total_loss": 0.125, "metrics/test.rmse": 2.0},
    }
    assert rebuild_missing_rows(stats, "snapshot", up_to_epoch=4) == []  # nothing left to rebuild
