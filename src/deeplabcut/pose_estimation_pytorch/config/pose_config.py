"""Reading, updating and writing ``pytorch_config.yaml``."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from deeplabcut.errors import ConfigError
from deeplabcut.utils.yaml_io import read_yaml, to_builtin, write_yaml

REQUIRED_SECTIONS = ("net_type", "method", "metadata", "data", "model", "runner", "train_settings")


def read_pytorch_config(path: str | Path) -> dict[str, Any]:
    """Read ``pytorch_config.yaml`` into plain Python data and check its sections.

    Raises:
        MissingFileError: the file does not exist.
        ConfigError: a required section is missing.
    """
    cfg = to_builtin(read_yaml(path))
    if not isinstance(cfg, dict):
        raise ConfigError(f"'{path}' does not hold a mapping; it is not a pytorch_config.yaml.")
    missing = [key for key in REQUIRED_SECTIONS if key not in cfg]
    if missing:
        raise ConfigError(
            f"'{path}' lacks section(s) {missing}. Recreate it with "
            "deeplabcut.create_training_dataset, or restore the missing sections."
        )
    return cfg


def write_pytorch_config(path: str | Path, cfg: dict[str, Any]) -> None:
    """Write ``cfg`` to ``path`` atomically."""
    write_yaml(path, cfg)


def update_config(cfg: dict[str, Any], updates: dict[str, Any], source: str = "pytorch_config.yaml") -> dict[str, Any]:
    """A copy of ``cfg`` with dotted-key ``updates`` applied (``{"train_settings.epochs": 5}``).

    Keys may also be nested dicts (``{"train_settings": {"epochs": 5}}``), which
    are merged. A key whose parent section does not exist, or that names a value
    the config does not have, is an error: a typo must not be silently ignored.

    Raises:
        ConfigError: naming the unknown key and the keys that exist at that level.
    """
    updated = copy.deepcopy(cfg)
    for dotted, value in _flatten(updates):
        parts = dotted.split(".")
        node = updated
        for depth, part in enumerate(parts[:-1]):
            if not isinstance(node, dict) or part not in node:
                _unknown_key(dotted, parts[: depth + 1], node, source)
            if node[part] is None:
                node[part] = {}
            node = node[part]
        if not isinstance(node, dict):
            _unknown_key(dotted, parts, node, source)
        if parts[-1] not in node and not _open_section(parts):
            _unknown_key(dotted, parts, node, source)
        node[parts[-1]] = copy.deepcopy(value)
    return updated


#: Sections whose sub-keys are free-form (optimizer/scheduler params, augmentation options).
_OPEN_SECTIONS = (("runner", "optimizer", "params"), ("runner", "scheduler", "params"), ("data", "train"), ("data", "inference"))


def _open_section(parts: list[str]) -> bool:
    return any(tuple(parts[: len(prefix)]) == prefix and len(parts) == len(prefix) + 1 for prefix in _OPEN_SECTIONS)


def _flatten(updates: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in updates.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value and not dotted.endswith(("params", "optimizer", "scheduler")):
            items.extend(_flatten(value, prefix=f"{dotted}."))
        else:
            items.append((dotted, value))
    return items


def _unknown_key(dotted: str, parts: list[str], node: Any, source: str) -> None:
    known = sorted(node) if isinstance(node, dict) else []
    raise ConfigError(
        f"Unknown config key '{dotted}' ('{'.'.join(parts)}' does not exist in {source}). "
        f"Keys at that level: {known}."
    )
