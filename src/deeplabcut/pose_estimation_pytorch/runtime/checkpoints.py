"""Snapshot files: naming, listing, choosing, saving (atomically) and loading into a model.

Names are DeepLabCut's: ``snapshot-005.pt`` and ``snapshot-best-120.pt``
(``snapshot-detector-...`` for detectors). Sorting puts the best snapshot last,
so ``snapshotindex: -1`` selects the best one when it exists. Which snapshots a
training run keeps is decided in ``train_module.snapshots``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from deeplabcut.errors import ConfigError, MissingFileError, ModelError
from deeplabcut.project.paths import SNAPSHOT_PREFIX, snapshot_pattern
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


def load_snapshot(
    model: torch.nn.Module,
    path: str | Path,
    load_head_weights: bool = True,
    map_location: str | torch.device = "cpu",
) -> dict[str, Any]:
    """Load the weights of snapshot ``path`` into ``model``; returns the whole checkpoint.

    The one way a snapshot enters a model, for inference and for resuming
    training. With ``load_head_weights=False`` only the backbone's weights
    (keys ``backbone.*``) are loaded.

    Raises:
        MissingFileError: the file does not exist.
        ModelError: the snapshot does not fit the model, naming the file.
    """
    checkpoint = load_checkpoint(path, map_location=map_location)
    weights = checkpoint["model"]
    try:
        if load_head_weights:
            model.load_state_dict(weights)
        else:
            model.load_state_dict({k: v for k, v in weights.items() if k.startswith("backbone.")}, strict=False)
    except RuntimeError as err:
        trained_as = checkpoint.get("metadata", {}).get("net_type")
        origin = f" (it was trained as net_type {trained_as})" if trained_as else ""
        raise ModelError(
            f"Snapshot '{path}'{origin} does not fit the model described by this shuffle's pytorch_config.yaml: "
            f"{str(err).rstrip('.')}. Use a snapshot trained with this config (was pytorch_config.yaml edited after training?); "
            "to start training from only its backbone, pass load_head_weights=False."
        ) from err
    return checkpoint
