"""``learning_stats.csv``: one row per epoch, DeepLabCut's column names."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from deeplabcut.errors import DLCError
from deeplabcut.pose_estimation_pytorch.runtime.checkpoints import list_snapshots, load_checkpoint
from deeplabcut.utils.atomic import write_text_atomic


class CSVLogger:
    """Writes ``step`` (the epoch) then every metric name logged so far, sorted.

    The file is rewritten (atomically) after each call, so it is always
    complete. Rows already in the file are loaded, so a resumed run continues
    it; :meth:`truncate_after` drops rows of epochs that will be trained again.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.rows: dict[int, dict[str, float]] = {}
        if self.path.is_file():
            with self.path.open(newline="", encoding="utf-8") as stream:
                for row in csv.DictReader(stream):
                    step = int(float(row.pop("step")))
                    self.rows[step] = {key: float(value) for key, value in row.items() if value not in ("", None)}

    def truncate_after(self, step: int) -> None:
        """Forget rows after ``step`` (they belong to epochs that are about to be trained again)."""
        self.rows = {s: values for s, values in self.rows.items() if s <= step}
        self._write()

    def log(self, step: int, metrics: dict[str, float]) -> None:
        self.rows.setdefault(int(step), {}).update({key: float(value) for key, value in metrics.items()})
        self._write()

    def _write(self) -> None:
        names = sorted({name for values in self.rows.values() for name in values})
        stream = io.StringIO()
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["step", *names])
        for step in sorted(self.rows):
            values = self.rows[step]
            writer.writerow([step, *[_format(values.get(name)) for name in names]])
        write_text_atomic(self.path, stream.getvalue())


def rebuild_missing_rows(stats_path: str | Path, snapshot_prefix: str, up_to_epoch: int) -> list[int]:
    """Restore rows of ``learning_stats.csv`` that a crash lost, from the snapshots beside it.

    A run killed between writing a snapshot and its statistics row (or a file
    deleted by hand) leaves epochs that have a snapshot but no row. For each
    such epoch up to ``up_to_epoch`` the row is rebuilt from the snapshot's
    ``metadata``: ``learning_stats`` (the row as it was logged), or for older
    snapshots their ``losses`` and ``metrics``. Returns the epochs rebuilt
    (sorted); unreadable snapshots are skipped. Epochs without a snapshot
    cannot be rebuilt and stay missing.
    """
    stats_path = Path(stats_path)
    logger = CSVLogger(stats_path)
    lacking = {
        snapshot.epoch: snapshot
        for snapshot in list_snapshots(stats_path.parent, snapshot_prefix)
        if 0 < snapshot.epoch <= up_to_epoch and snapshot.epoch not in logger.rows
    }
    rebuilt = []
    for epoch, snapshot in sorted(lacking.items()):
        try:
            metadata = load_checkpoint(snapshot.path, mmap=True).get("metadata")
            row = metadata.get("learning_stats") or {**metadata.get("losses", {}), **metadata.get("metrics", {})}
            values = {str(name): float(value) for name, value in row.items()}
        except (DLCError, AttributeError, TypeError, ValueError):  # unreadable, or metadata of another shape
            continue
        if values:
            logger.rows[epoch] = values
            rebuilt.append(epoch)
    if rebuilt:
        logger._write()
    return rebuilt


def _format(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(float(value))
