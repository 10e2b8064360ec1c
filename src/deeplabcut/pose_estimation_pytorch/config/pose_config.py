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


def is_top_down(cfg: dict[str, Any]) -> bool:
    """Whether ``cfg`` describes a top-down model (``method: td``): a detector, then pose on one crop per animal."""
    return cfg.get("method") in ("td", "ctd")


def write_pytorch_config(path: str | Path, cfg: dict[str, Any]) -> None:
    """Write ``cfg`` to ``path`` atomically."""
    write_yaml(path, cfg)


def update_config(cfg: dict[str, Any], updates: dict[str, Any], source: str = "pytorch_config.yaml") -> dict[str, Any]:
    """A copy of ``cfg`` with dotted-key ``updates`` applied (``{"train_settings.epochs": 5}``).

    Keys may also be nested dicts (``{"train_settings": {"epochs": 5}}``): a dict
    is merged into an existing dict, except ``runner.optimizer`` and
    ``runner.scheduler``, which are replaced whole (their parameters depend on
    their ``type``). A key the config does not have is an error (a typo must not
    be silently ignored), except inside the free-form sections
    :data:`OPEN_SECTIONS` (augmentation options, optimizer/scheduler parameters,
    backbone options), where new keys are created.

    Raises:
        ConfigError: naming the unknown key and the keys that exist at that level.
    """
    updated = copy.deepcopy(cfg)
    for dotted, value in updates.items():
        _apply(updated, str(dotted).split("."), value, source)
    return updated


#: Sections under which new keys may be created by overrides.
OPEN_SECTIONS = (
    ("data", "train"),
    ("data", "inference"),
    ("model", "backbone"),
    ("runner", "optimizer", "params"),
    ("runner", "scheduler", "params"),
    ("detector", "data", "train"),
    ("detector", "data", "inference"),
    ("detector", "model"),
    ("detector", "runner", "optimizer", "params"),
    ("detector", "runner", "scheduler", "params"),
)
#: Sub-configs replaced whole rather than merged.
REPLACED_WHOLE = (
    ("runner", "optimizer"),
    ("runner", "scheduler"),
    ("detector", "runner", "optimizer"),
    ("detector", "runner", "scheduler"),
)


def _is_open(parts: list[str]) -> bool:
    return any(tuple(parts[: len(prefix)]) == prefix and len(parts) > len(prefix) for prefix in OPEN_SECTIONS)


def _apply(root: dict[str, Any], parts: list[str], value: Any, source: str) -> None:
    node = root
    for depth, part in enumerate(parts[:-1]):
        here = parts[: depth + 1]
        if part not in node:
            if not _is_open(here):
                _unknown_key(parts, here, node, source)
            node[part] = {}
        elif not isinstance(node[part], dict):
            if node[part] is not None and not _is_open(here):
                _unknown_key(parts, parts[: depth + 2], {}, source)
            node[part] = {}  # e.g. "hflip: false" becoming {"p": 0.5, ...}
        node = node[part]
    last = parts[-1]
    if last not in node and not _is_open(parts):
        _unknown_key(parts, parts, node, source)
    if isinstance(value, dict) and isinstance(node.get(last), dict) and tuple(parts) not in REPLACED_WHOLE:
        for key, sub_value in value.items():
            _apply(root, [*parts, str(key)], sub_value, source)
    else:
        node[last] = copy.deepcopy(value)


def _unknown_key(parts: list[str], prefix: list[str], node: Any, source: str) -> None:
    known = sorted(node) if isinstance(node, dict) else []
    raise ConfigError(
        f"Unknown config key '{'.'.join(parts)}' ('{'.'.join(prefix)}' does not exist in {source}). "
        f"Keys at that level: {known}."
    )
