"""Helpers of the reliability tests: a digest of a folder tree, crafted pickles, damaged files."""

from __future__ import annotations

import hashlib
from pathlib import Path


def tree_digest(root: Path) -> dict[str, str]:
    """Every file and folder under ``root``: relative path -> sha256 of its bytes (``"<dir>"`` for folders)."""
    digest = {}
    for path in sorted(Path(root).rglob("*")):
        relative = str(path.relative_to(root))
        digest[relative] = "<dir>" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


class CreatesFile:
    """An object whose unpickling would create (truncate) the file ``target``: ``open(target, "w")``."""

    def __init__(self, target: Path) -> None:
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


def truncate(path: Path, keep: float = 0.5) -> None:
    """Cut ``path`` to the first ``keep`` fraction of its bytes."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
