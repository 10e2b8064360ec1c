"""Snapshot files: naming, listing, choosing, saving (atomically) and loading into a model.

Names are DeepLabCut's: ``snapshot-005.pt`` and ``snapshot-best-120.pt``
(``snapshot-detector-...`` for detectors). Sorting puts the best snapshot last,
so ``snapshotindex: -1`` selects the best one when it exists. Which snapshots a
training run keeps is decided in ``train_module.snapshots``.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from deeplabcut.errors import ConfigError, CorruptFileError, MissingFileError, ModelError, UnsafeFileError
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


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu", mmap: bool = False) -> dict[str, Any]:
    """Load a snapshot with ``weights_only=True`` (no arbitrary code runs).

    ``mmap=True`` maps the file instead of reading it: only the tensors used are
    read, so a caller that wants the model weights (or the metadata) of a snapshot
    that also holds the optimizer state never has that state in memory (a third of
    a ``dekr_32`` snapshot, about 230 MB). For callers that drop the checkpoint soon
    after (the file stays mapped while its tensors live); files in the legacy
    non-zip format are read whole.

    Raises:
        MissingFileError: the file does not exist.
        UnsafeFileError: the file holds objects that ``weights_only`` loading refuses.
        CorruptFileError: the file is empty, truncated or not a snapshot.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"Snapshot '{path}' does not exist.")
    try:
        try:
            checkpoint = torch.load(path, map_location=map_location, weights_only=True, mmap=mmap)
        except RuntimeError as err:
            if not mmap or "mmap" not in str(err):
                raise
            checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        detail = _weights_only_detail(err)
        if "Unsupported global" in detail:
            raise UnsafeFileError(
                f"Snapshot '{path}' was not loaded: it holds Python objects beyond tensors and plain data, "
                f"which could run code ({detail.split(' was not ')[0]}). Use a snapshot written by train_network."
            ) from err
        raise _corrupt_snapshot(path, err, detail) from err
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as err:
        raise _corrupt_snapshot(path, err) from err
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("model"), dict):
        raise CorruptFileError(
            f"Snapshot '{path}' does not hold a checkpoint dict with model weights under 'model' "
            f"(it holds a {type(checkpoint).__name__}). Use a snapshot written by train_network."
        )
    return checkpoint


def _first_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return (lines[0] if lines else type(err).__name__)[:300]


def _weights_only_detail(err: BaseException) -> str:
    """The line of torch's ``weights_only`` refusal that says what was refused."""
    lines = [line.strip() for line in str(err).splitlines()]
    for number, line in enumerate(lines):
        if "WeightsUnpickler error:" in line:
            after = [line.split("WeightsUnpickler error:", 1)[1].strip(), *lines[number + 1 :]]
            return next((text for text in after if text), "unreadable pickle data")
    return _first_line(err)


def _corrupt_snapshot(path: Path, err: BaseException, detail: str | None = None) -> CorruptFileError:
    return CorruptFileError(
        f"Snapshot '{path}' cannot be read ({type(err).__name__}: {detail or _first_line(err)}); it is empty, truncated "
        "or damaged (was training killed while saving it?). Delete it and use another snapshot, or train again."
    )


def load_snapshot(
    model: torch.nn.Module,
    path: str | Path,
    load_head_weights: bool = True,
    map_location: str | torch.device = "cpu",
    mmap: bool = False,
) -> dict[str, Any]:
    """Load the weights of snapshot ``path`` into ``model``; returns the whole checkpoint.

    The one way a snapshot enters a model, for inference and for resuming
    training. With ``load_head_weights=False`` only the backbone's weights
    (keys ``backbone.*``) are loaded. ``mmap``: see :func:`load_checkpoint`
    (for inference, which keeps only the model).

    Raises:
        MissingFileError: the file does not exist.
        ModelError: the snapshot does not fit the model, naming the file.
    """
    checkpoint = load_checkpoint(path, map_location=map_location, mmap=mmap)
    weights = checkpoint["model"]
    if not load_head_weights:
        weights = {k: v for k, v in weights.items() if k.startswith("backbone.")}
    problems = state_dict_mismatch(model.state_dict(), weights, strict=load_head_weights)
    if problems:
        metadata = checkpoint.get("metadata")
        trained_as = metadata.get("net_type") if isinstance(metadata, dict) else None
        origin = f" (it was trained as net_type {trained_as})" if trained_as else ""
        raise ModelError(
            f"Snapshot '{path}'{origin} does not fit the model described by this shuffle's pytorch_config.yaml: "
            f"{problems}. Use a snapshot trained with this config (was pytorch_config.yaml edited after training?); "
            "to start training from only its backbone, pass load_head_weights=False."
        )
    try:
        model.load_state_dict(weights, strict=load_head_weights)
    except RuntimeError as err:  # anything the comparison above did not foresee
        raise ModelError(f"Snapshot '{path}' cannot be loaded into this model: {_first_line(err)}.") from err
    return checkpoint


def state_dict_mismatch(expected: dict[str, Any], found: dict[str, Any], strict: bool = True, examples: int = 3) -> str:
    """A short summary of how ``found`` weights differ from a model's ``expected`` state dict, or ``""``.

    Counts the weights whose shape differs, those the model lacks and (with
    ``strict``) those the snapshot lacks, with a few examples of each, so a
    snapshot of another net type is described in one sentence rather than
    a line per tensor.
    """
    shape_of = lambda value: tuple(getattr(value, "shape", ()))  # noqa: E731
    mismatched = [
        f"{key} {list(shape_of(value))} in the snapshot vs {list(shape_of(expected[key]))} in the model"
        for key, value in found.items()
        if key in expected and shape_of(value) != shape_of(expected[key])
    ]
    unexpected = [key for key in found if key not in expected]
    missing = [key for key in expected if key not in found] if strict else []
    parts = []
    for count_of, items in (("weight(s) of another shape", mismatched), ("weight(s) the model does not have", unexpected), ("weight(s) missing from the snapshot", missing)):
        if items:
            shown = "; ".join(items[:examples])
            more = f"; ... {len(items) - examples} more" if len(items) > examples else ""
            parts.append(f"{len(items)} {count_of} (e.g. {shown}{more})")
    return ", ".join(parts)
