"""The exceptions raised when input is wrong.

Every error says which file (or key, or bodypart) is at fault, what was
expected, and how to fix it. They all derive from :class:`DLCError`, so a
script can catch the whole family at once; the more specific classes also
derive from the built-in exception a Python user would expect
(``FileNotFoundError``, ``ValueError``...).
"""

from __future__ import annotations

from pathlib import Path


class DLCError(Exception):
    """Base class of every error raised for bad input by ``deeplabcut``."""


class ConfigError(DLCError, ValueError):
    """A ``config.yaml`` or ``pytorch_config.yaml`` is missing a key or holds a bad value."""


class LabelError(DLCError, ValueError):
    """Labeled data (``CollectedData_*.h5``/``.csv``) do not match the project."""


class MissingFileError(DLCError, FileNotFoundError):
    """A file the project refers to does not exist."""


class CorruptFileError(DLCError, ValueError):
    """A file exists but cannot be read: empty, truncated, damaged, or not the format its name says."""


class UnsafeFileError(DLCError, ValueError):
    """A file would run code when loaded (a pickle naming a forbidden global); it was not loaded."""


class VideoError(DLCError, OSError):
    """A video cannot be opened or read."""


class ShuffleExistsError(DLCError, FileExistsError):
    """A training-dataset shuffle already exists and overwriting was not asked for."""


class ModelError(DLCError, ValueError):
    """A model cannot be built, loaded or used as asked."""


class TrainingDivergedError(DLCError, FloatingPointError):
    """The training loss became NaN or infinite."""


def where(path: str | Path) -> str:
    """Format a path for an error message."""
    return f"'{Path(path)}'"


class TrackingDataError(DLCError, ValueError):
    """Detections, assemblies or tracklets handed to the tracking code have a wrong shape or content."""


class MissingDependencyError(DLCError, ImportError):
    """An optional package a feature needs is not installed; the message says how to install it."""


class InUseError(DLCError, RuntimeError):
    """Another process is writing the same files (a training folder, a video's analysis); nothing was done.

    Attributes:
        holder: the running process as its lock file names it (``pid``, ``host``,
            ``since``, ``purpose``; see ``deeplabcut.utils.locks``), or None if unknown.
        lock_file: the lock file.
    """

    def __init__(self, message: str, holder: object = None, lock_file: str | Path | None = None) -> None:
        super().__init__(message)
        self.holder = holder
        self.lock_file = lock_file
