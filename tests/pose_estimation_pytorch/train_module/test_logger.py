"""learning_stats.csv: sorted metric columns, empty cells, continued and truncated on resume."""

import csv
from pathlib import Path

from deeplabcut.pose_estimation_pytorch.train_module.logger import CSVLogger


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
