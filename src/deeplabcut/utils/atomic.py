"""Atomic file writes: write to a temporary name beside the target, then rename.

A process killed at any moment leaves either the old file, the complete new
file, or nothing; never a half-written file under the final name.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

#: The name :func:`atomic_path` gives a temporary file: ``.<stem>.<8 random characters>.tmp<suffix>``
#: beside its target ``<stem><suffix>`` (e.g. ``.snapshot-005.k2j9x_0a.tmp.pt``).
TEMPORARY_NAME = re.compile(r"^\.(?P<stem>.+)\.[a-z0-9_]{8}\.tmp(?P<suffix>\.[^.]+)?$")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The temporary file keeps ``path``'s suffix, so libraries that choose a
    format from the extension (pandas, OpenCV, matplotlib) still work. On an
    exception the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent
    )
    os.close(handle)
    tmp = Path(tmp_name)
    tmp.unlink()  # let the writer create it (some writers refuse an existing file)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def leftover_temporary_files(folder: str | Path, targets: Iterable[str] | None = None) -> list[Path]:
    """Temporary files of atomic writes in ``folder`` (not its subfolders) that were never renamed.

    Only names of :data:`TEMPORARY_NAME`'s pattern are listed, and with
    ``targets`` only those whose target (``<stem><suffix>``) is one of these
    file names. A write that is running now has such a file too: call this
    only while holding the lock of every writer of those targets
    (``deeplabcut.utils.locks``), when what is left belongs to a process that died.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    wanted = None if targets is None else set(targets)
    found = []
    for path in folder.iterdir():
        match = TEMPORARY_NAME.match(path.name)
        if match and path.is_file() and (wanted is None or match["stem"] + (match["suffix"] or "") in wanted):
            found.append(path)
    return sorted(found)


def remove_leftover_temporary_files(folder: str | Path, targets: Iterable[str] | None = None) -> list[Path]:
    """Remove :func:`leftover_temporary_files`; returns those removed (same caveat: hold the lock)."""
    removed = []
    for path in leftover_temporary_files(folder, targets):
        with contextlib.suppress(OSError):  # gone meanwhile, or a folder we may not write to: leave it
            path.unlink()
            removed.append(path)
    return removed
