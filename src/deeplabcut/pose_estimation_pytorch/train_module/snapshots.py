"""Snapshot files: naming, listing, choosing, saving (atomically) and loading.

Names are DeepLabCut's: ``snapshot-005.pt`` and ``snapshot-best-120.pt``
(``snapshot-detector-...`` for detectors). Sorting puts the best snapshot last,
so ``snapshotindex: -1`` selects the best one when it exists.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from deeplabcut.errors import ConfigError, MissingFileError
from deeplabcut.project.paths import SNAPSHOT_PREFIX, snapshot_filename, snapshot_pattern
from deeplabcut.utils.atomic import atomic_path


@dataclass(frozen=True)
class Snapshot:
    """One snapshot file."""

    path: Path
    epoch: int
    best: bool

    @property
    def uid(self) -> str:
        """``"120"`` or ``"best-120"``: the suffix of scorer names."""
        return f"best-{self.epoch}" if self.best else str(self.epoch)


def list_snapshots(folder: str | Path, prefix: str = SNAPSHOT_PREFIX) -> list[Snapshot]:
    """Snapshots in ``folder`` sorted by (is best, epoch): the best one sorts last."""
    folder = Path(folder)
    pattern = snapshot_pattern(prefix)
    snapshots = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = pattern.match(path.name)
            if match:
                snapshots.append(Snapshot(path=path, epoch=int(match["epoch"]), best=bool(match["best"])))
    return sorted(snapshots, key=lambda s: (s.best, s.epoch))


def select_snapshots(folder: str | Path, index: int | str | None, prefix: str = SNAPSHOT_PREFIX) -> list[Snapshot]:
    """The snapshot(s) that ``index`` names: an int (negative counts from the end), ``"all"`` or ``"best"``.

    Raises:
        MissingFileError: the folder holds no snapshot.
        ConfigError: the index is out of range or malformed.
    """
    snapshots = list_snapshots(folder, prefix)
    if not snapshots:
        raise MissingFileError(
            f"No {prefix}-*.pt file in '{folder}'. Train the network first (api.train_network)."
        )
    if index == "all":
        return snapshots
    if index == "best":
        best = [s for s in snapshots if s.best]
        if not best:
            raise ConfigError(f"No best snapshot in '{folder}'; choose an index instead ({[s.path.name for s in snapshots]}).")
        return best
    try:
        position = int(index)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise ConfigError(f"snapshotindex must be an integer, 'all' or 'best', not {index!r}.") from err
    if not -len(snapshots) <= position < len(snapshots):
        raise ConfigError(
            f"snapshotindex {position} is out of range: '{folder}' has {len(snapshots)} snapshots "
            f"({[s.path.name for s in snapshots]})."
        )
    return [snapshots[position]]


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """``torch.save`` to a temporary file beside ``path``, then rename."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a snapshot with ``weights_only=True`` (no arbitrary code runs).

    Raises:
        MissingFileError: the file does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"Snapshot '{path}' does not exist.")
    return torch.load(path, map_location=map_location, weights_only=True)


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
            value = load_checkpoint(best[-1].path)["metadata"].get("metrics", {}).get(self.key_metric)
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
