"""Writing one large pickled dict piece by piece, without holding it in memory.

The file is an ordinary pickle of a ``dict`` (``pickle.load`` reads it back
whole), but it is produced from an iterator of ``(key, value)`` pairs: the
dict is opened once and items are appended in chunks with the ``SETITEMS``
opcode. Only one chunk is ever held in memory.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from deeplabcut.utils.atomic import atomic_path

PROTOCOL = 3  # explicit memo indices (PUT/GET), so each chunk can use a fresh pickler
CHUNK = 256


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
