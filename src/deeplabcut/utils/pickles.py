"""Pickle files: atomic writes, reads with a clear error, and large dicts written as a stream.

:func:`write_dict_stream` writes an ordinary pickle of a ``dict``
(``pickle.load`` reads it back whole) from an iterator of ``(key, value)``
pairs: the dict is opened once and items are appended in chunks with the
``SETITEMS`` opcode, so only one chunk is ever held in memory.

Only open pickles you trust: unpickling can run arbitrary code.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from deeplabcut.errors import MissingFileError, where
from deeplabcut.utils.atomic import atomic_path, write_bytes_atomic

PROTOCOL = 3  # explicit memo indices (PUT/GET), so each chunk can use a fresh pickler
CHUNK = 256


def write_pickle(path: str | Path, data: Any) -> None:
    """Pickle ``data`` to ``path`` atomically (temporary file beside it, then rename)."""
    write_bytes_atomic(path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))


def read_pickle(path: str | Path) -> Any:
    """Load a pickle written by DeepLabCut or :func:`write_pickle`.

    Raises:
        MissingFileError: there is no file at ``path``.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"No such pickle file: {where(path)}.")
    with path.open("rb") as stream:
        return pickle.load(stream)


def write_dict_stream(path: str | Path, items: Iterable[tuple[Any, Any]], chunk: int = CHUNK) -> None:
    """Pickle ``dict(items)`` to ``path`` (atomically) while holding at most ``chunk`` items at a time."""
    with atomic_path(path) as tmp, open(tmp, "wb") as stream:
        stream.write(pickle.PROTO + bytes([PROTOCOL]))
        stream.write(pickle.EMPTY_DICT)
        pending: list[tuple[Any, Any]] = []
        for item in items:
            pending.append(item)
            if len(pending) >= chunk:
                _write_items(stream, pending)
                pending = []
        if pending:
            _write_items(stream, pending)
        stream.write(pickle.STOP)


def _write_items(stream: io.BufferedWriter, items: list[tuple[Any, Any]]) -> None:
    buffer = io.BytesIO()
    # The pure-Python pickler exposes save(); each chunk gets a fresh memo, and
    # the items land on the dict that stays on the unpickler's stack.
    pickler = pickle._Pickler(buffer, protocol=PROTOCOL)  # noqa: SLF001 - documented pure-Python pickler
    buffer.write(pickle.MARK)
    for key, value in items:
        pickler.save(key)
        pickler.save(value)
    buffer.write(pickle.SETITEMS)
    stream.write(buffer.getvalue())
