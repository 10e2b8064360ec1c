"""Reading, updating and writing ``pytorch_config.yaml`` (and our extras beside it).

The file is written in DeepLabCut 3's layout, our settings it has no key for
in ``pytorch_config_extras.yaml`` next to it (see :mod:`.dlc_layout`); reading
merges the two back and checks the result against the schema (:mod:`.schema`).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.dlc_layout import merge_from_deeplabcut, split_for_deeplabcut
from deeplabcut.pose_estimation_pytorch.config.schema import validate_pytorch_config
from deeplabcut.utils.yaml_io import read_yaml, to_builtin, write_yaml

REQUIRED_SECTIONS = ("net_type", "method", "metadata", "data", "model", "runner", "train_settings")
#: Suffix of the file of our settings beside ``pytorch_config.yaml`` (``pytorch_config_extras.yaml``).
EXTRAS_SUFFIX = "_extras"


def extras_path(path: str | Path) -> Path:
    """``pytorch_config_extras.yaml`` beside ``path`` (our settings DeepLabCut 3 has no key for)."""
    path = Path(path)
    return path.with_name(f"{path.stem}{EXTRAS_SUFFIX}{path.suffix}")


def read_pytorch_config(path: str | Path) -> dict[str, Any]:
    """Read ``pytorch_config.yaml`` (and its extras) into plain Python data and check every key.

    Files in DeepLabCut 3's layout (its ``target_generator``/``predictor`` head
    sections, its loss names) and in our older layout (everything in one file)
    are read as well.

    Raises:
        MissingFileError: the file does not exist.
        ConfigError: a required section is missing.
        ConfigValueError: a key is unknown, or a value has the wrong type or range
            (naming the file, the key path, the value and what is allowed).
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
    extras = None
    if extras_path(path).exists():
        extras = to_builtin(read_yaml(extras_path(path)))
        if not isinstance(extras, dict | None):
            raise ConfigError(f"'{extras_path(path)}' does not hold a mapping; delete it or restore it.")
    cfg = merge_from_deeplabcut(cfg, extras)
    source = f"'{path}'" + (f" (with '{extras_path(path).name}')" if extras else "")
    validate_pytorch_config(cfg, source)
    return cfg


def is_top_down(cfg: dict[str, Any]) -> bool:
    """Whether ``cfg`` describes a top-down model (``method: td``): a detector, then pose on one crop per animal."""
    return cfg.get("method") in ("td", "ctd")


def write_pytorch_config(path: str | Path, cfg: dict[str, Any]) -> None:
    """Check ``cfg`` and write it: ``path`` in DeepLabCut 3's layout, our other settings in :func:`extras_path`.

    Each file is written atomically. The extras file is written (or emptied) first.

    Raises:
        ConfigValueError: ``cfg`` breaks the schema; nothing is written.
    """
    validate_pytorch_config(cfg, f"the config to be written to '{path}'")
    main, extras = split_for_deeplabcut(cfg)
    if extras or extras_path(path).exists():
        write_yaml(extras_path(path), extras)
    write_yaml(path, main)


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


def updated_keys(updates: dict[str, Any]) -> set[str]:
    """The dotted keys of the values that :func:`update_config` sets from ``updates`` (nested dicts expanded)."""
    keys: set[str] = set()
    for dotted, value in updates.items():
        if isinstance(value, dict) and value:
            keys.update(f"{dotted}.{key}" for key in updated_keys(value))
        else:
            keys.add(str(dotted))
    return keys


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
