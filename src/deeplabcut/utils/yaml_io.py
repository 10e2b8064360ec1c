"""YAML reading and writing that keeps comments and key order (ruamel.yaml)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.representer import RoundTripRepresenter

from deeplabcut.errors import ConfigError, MissingFileError
from deeplabcut.utils.atomic import write_text_atomic


class _Representer(RoundTripRepresenter):
    """Round-trip representer that writes ``None`` as ``null`` rather than an empty value."""

    def represent_none(self, data: Any) -> Any:  # noqa: ARG002 - ruamel's hook signature
        return self.represent_scalar("tag:yaml.org,2002:null", "null")


_Representer.add_representer(type(None), _Representer.represent_none)


def round_trip_yaml() -> YAML:
    """A ruamel.yaml instance that keeps comments, quotes and key order."""
    yaml = YAML(typ="rt")
    yaml.Representer = _Representer
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


def read_yaml(path: str | Path) -> Any:
    """Read a YAML file, keeping comments and key order for a later write.

    Raises:
        MissingFileError: the file does not exist.
        ConfigError: the file is not valid YAML (the message gives the line), or not UTF-8 text.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"YAML file '{path}' does not exist.")
    try:
        with path.open(encoding="utf-8") as stream:
            return round_trip_yaml().load(stream)
    except YAMLError as err:
        raise ConfigError(
            f"'{path}' is not valid YAML: {err}. Fix the syntax at the line shown "
            "(indentation with spaces, 'key: value' pairs)."
        ) from err
    except (UnicodeDecodeError, ValueError) as err:  # bytes that are not UTF-8 text; NUL and other unprintables
        raise ConfigError(
            f"'{path}' is not a YAML text file ({err}). Restore it from a backup, or save it again as UTF-8 text."
        ) from err


def dump_yaml(data: Any) -> str:
    """Serialize ``data`` to YAML text (round-trip style)."""
    stream = io.StringIO()
    round_trip_yaml().dump(data, stream)
    return stream.getvalue()


def write_yaml(path: str | Path, data: Any, header: str | None = None) -> None:
    """Write ``data`` as YAML to ``path`` atomically, with optional comment header."""
    text = dump_yaml(to_builtin(data) if not _is_round_trip(data) else data)
    if header:
        text = header + text
    write_text_atomic(path, text)


def _is_round_trip(data: Any) -> bool:
    return type(data).__module__.startswith("ruamel")


def to_builtin(data: Any) -> Any:
    """Convert ruamel containers / NumPy scalars into plain dicts, lists and numbers."""
    if isinstance(data, dict):
        return {str(k) if not isinstance(k, (int, float)) else k: to_builtin(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [to_builtin(v) for v in data]
    if hasattr(data, "item") and callable(data.item) and getattr(data, "shape", None) == ():
        return data.item()
    if type(data).__module__.startswith("ruamel"):
        # ruamel scalar subclasses (ScalarFloat, ScalarInt, ScalarBoolean...)
        for kind in (bool, int, float, str):
            if isinstance(data, kind):
                return kind(data)
    return data
