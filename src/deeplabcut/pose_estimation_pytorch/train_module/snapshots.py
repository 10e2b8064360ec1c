"""Which snapshots a training run writes and keeps (DeepLabCut's rules).

Naming, listing, selecting and loading snapshot files live in
``runtime.checkpoints``, which inference uses too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deeplabcut.pose_estimation_pytorch.runtime.checkpoints import list_snapshots, load_checkpoint, save_checkpoint
from deeplabcut.project.paths import SNAPSHOT_PREFIX, snapshot_filename


class SnapshotManager:
    """Decides, per epoch, which snapshot to write and which to delete (DeepLabCut's rules).

    1. If the key metric improved (and is not NaN), write ``best-<epoch>``; the
       previous best becomes a regular snapshot if its epoch is a multiple of
       ``save_epochs``, else it is deleted.
    2. Otherwise write a regular snapshot when ``epoch % save_epochs == 0`` or
       at the last epoch.
    3. Keep at most ``max_snapshots`` regular snapshots (the oldest go first).
    """

    def __init__(
        self,
        folder: str | Path,
        save_epochs: int = 25,
        max_snapshots: int = 5,
        key_metric: str | None = "test.mAP",
        key_metric_asc: bool = True,
        prefix: str = SNAPSHOT_PREFIX,
    ) -> None:
        self.folder = Path(folder)
        self.save_epochs = max(1, int(save_epochs))
        self.max_snapshots = max(1, int(max_snapshots))
        self.key_metric = f"metrics/{key_metric}" if key_metric and not key_metric.startswith("metrics/") else key_metric
        self.key_metric_asc = key_metric_asc
        self.prefix = prefix
        self.best_value: float | None = None
        best = [s for s in list_snapshots(self.folder, prefix) if s.best]
        if best and self.key_metric:
            value = load_checkpoint(best[-1].path, mmap=True)["metadata"].get("metrics", {}).get(self.key_metric)
            self.best_value = None if value is None or math.isnan(value) else float(value)

    def _improved(self, value: float | None) -> bool:
        if value is None or math.isnan(value):
            return False
        if self.best_value is None:
            return True
        return value > self.best_value if self.key_metric_asc else value < self.best_value

    def update(self, epoch: int, metrics: dict[str, float], state: Callable[[], dict[str, Any]], last: bool) -> Path | None:
        """Apply the rules for ``epoch``; ``state()`` builds the checkpoint dict only if one is written."""
        self.folder.mkdir(parents=True, exist_ok=True)
        value = metrics.get(self.key_metric) if self.key_metric else None
        written = None
        if self._improved(value):
            written = self.folder / snapshot_filename(epoch, best=True, prefix=self.prefix)
            save_checkpoint(written, state())
            for old in [s for s in list_snapshots(self.folder, self.prefix) if s.best and s.epoch != epoch]:
                if old.epoch % self.save_epochs == 0:
                    old.path.replace(self.folder / snapshot_filename(old.epoch, prefix=self.prefix))
                else:
                    old.path.unlink()
            self.best_value = float(value)  # type: ignore[arg-type]
        elif epoch % self.save_epochs == 0 or last:
            written = self.folder / snapshot_filename(epoch, prefix=self.prefix)
            save_checkpoint(written, state())
        regular = [s for s in list_snapshots(self.folder, self.prefix) if not s.best]
        for old in regular[: max(0, len(regular) - self.max_snapshots)]:
            old.path.unlink()
        return written
