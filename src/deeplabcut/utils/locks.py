"""One writer at a time: an exclusive lock on a lock file, naming the process that holds it.

``train_network`` holds one on a shuffle's ``train/`` folder and
``analyze_videos`` one per video (beside its output files), so a second run
is refused before it moves or writes anything, with a message that names the
running one.

How it works. The lock is an OS advisory lock on the lock file
(``fcntl.flock`` on Linux and macOS, ``msvcrt.locking`` on Windows), held for
as long as the file stays open. The kernel drops it when the process ends in
any way, ``kill -9`` included, so a lock can never be left stale: a lock file
that nobody holds is simply taken over. (Processes the holder forked, such as
data-loader workers, share its open file and so the lock until they exit, a
few seconds after the holder dies; a lock whose named holder is dead is
therefore waited for, up to :data:`ORPHANED_LOCK_WAIT_S`.) The holder's pid, host, start time and
purpose are written into the file only to be shown to the process that is
refused. The file is removed on release; a process that locked a file
which was removed meanwhile notices (its inode is no longer the path's) and
tries again, so two processes never both believe they hold the lock.

Where the file system has no such locks (some network or FUSE mounts answer
``ENOLCK``), the lock file is created exclusively instead, and a lock file
whose holder ran on this host and no longer runs is taken over; one from
another host is respected (delete it by hand if that process is gone).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from deeplabcut.errors import InUseError

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    fcntl = None
else:
    import fcntl

    msvcrt = None

#: Seconds to wait for a lock whose holder has died but whose forked children (data-loader
#: workers, which inherit the open lock file) have not exited yet.
ORPHANED_LOCK_WAIT_S = 30.0
#: Windows locks a byte range; one byte far past the holder's details leaves them readable.
_WINDOWS_LOCK_OFFSET = 1 << 30
#: errno values meaning "this file system does not do locks" (not "someone holds it").
_UNSUPPORTED = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP)}


@dataclass(frozen=True)
class LockHolder:
    """The process that holds (or held) a lock: what the refused process is told."""

    pid: int
    host: str
    since: str
    purpose: str

    @classmethod
    def current(cls, purpose: str) -> LockHolder:
        return cls(os.getpid(), socket.gethostname(), dt.datetime.now().isoformat(sep=" ", timespec="seconds"), purpose)

    def describe(self) -> str:
        """``train_network (process 1234 on host 'lab-pc', since 2026-11-30 13:02:11)``."""
        return f"{self.purpose} (process {self.pid} on host '{self.host}', since {self.since})"

    def to_json(self) -> str:
        return json.dumps({"pid": self.pid, "host": self.host, "since": self.since, "purpose": self.purpose})

    @classmethod
    def parse(cls, text: str) -> LockHolder | None:
        """The holder written in a lock file, or None when the file is empty or not ours."""
        try:
            data = json.loads(text)
            return cls(int(data["pid"]), str(data["host"]), str(data["since"]), str(data["purpose"]))
        except (ValueError, TypeError, KeyError):
            return None


def read_holder(path: str | Path) -> LockHolder | None:
    """Who the lock file ``path`` names (whether or not it still holds it); None if absent or unreadable."""
    try:
        return LockHolder.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


class FileLock:
    """An exclusive, non-blocking lock on ``path``; use it as a context manager.

    Args:
        path: the lock file (created, and removed on release).
        purpose: what the holder is doing, shown to a refused process (``"train_network"``).
        what: what the lock protects, for the refusal (``"Training folder '.../train'"``).
        advice: what a refused user should do.

    Attributes:
        previous: after :meth:`acquire`, the holder named in a lock file left by a
            process that ended without releasing it (None when there was none).
    """

    def __init__(self, path: str | Path, purpose: str, what: str = "", advice: str = "") -> None:
        self.path = Path(path)
        self.purpose = purpose
        self.what = what or f"'{self.path.parent}'"
        self.advice = advice
        self.previous: LockHolder | None = None
        self._fd: int | None = None
        self._exclusive_file = False

    @property
    def held(self) -> bool:
        return self._fd is not None or self._exclusive_file

    def acquire(self) -> FileLock:
        """Take the lock or raise :class:`InUseError` naming the holder. Writes nothing when refused."""
        if self.held:
            raise RuntimeError(f"The lock {self.path} is already held by this object.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        holder = LockHolder.current(self.purpose)
        orphan_deadline = None
        retries = 10  # another process may remove the file between our open and lock
        while retries > 0:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                _lock(fd)
            except OSError as err:
                os.close(fd)
                if err.errno in _UNSUPPORTED:
                    return self._acquire_exclusive_file(holder)
                found = read_holder(self.path)
                if found is not None and _is_dead_here(found):
                    # The holder is gone but a process it forked (a data-loader worker) still has the
                    # file open, and with it the lock, until it notices and exits: wait for that.
                    orphan_deadline = orphan_deadline or time.monotonic() + ORPHANED_LOCK_WAIT_S
                    if time.monotonic() < orphan_deadline:
                        time.sleep(0.2)
                        continue
                raise self._refusal(found) from None
            if not _same_file(fd, self.path):
                _unlock_and_close(fd)
                retries -= 1
                continue
            self.previous = _read_fd(fd)
            _write_fd(fd, holder.to_json())
            self._fd = fd
            return self
        raise self._refusal(read_holder(self.path))

    def release(self) -> None:
        """Give the lock up and remove the lock file (idempotent)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            if msvcrt is None:
                _remove(self.path)  # while still locked: see the module docstring
                _unlock_and_close(fd)
            else:  # pragma: no cover - Windows cannot remove an open file
                _unlock_and_close(fd)
                _remove(self.path)
        elif self._exclusive_file:
            self._exclusive_file = False
            _remove(self.path)

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def _refusal(self, holder: LockHolder | None) -> InUseError:
        who = holder.describe() if holder else "another process (it has not written its details yet)"
        message = f"{self.what} is in use by {who}; lock file '{self.path}'."
        if self.advice:
            message += f" {self.advice}"
        return InUseError(message, holder=holder, lock_file=self.path)

    def _acquire_exclusive_file(self, holder: LockHolder) -> FileLock:
        """The fallback where the file system has no locks: the lock file's existence is the lock."""
        for _ in range(10):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                found = read_holder(self.path)
                if found is None or not _is_dead_here(found):
                    raise self._refusal(found) from None
                self.previous = found
                _remove(self.path)
                continue
            try:
                os.write(fd, holder.to_json().encode("utf-8"))
            finally:
                os.close(fd)
            self._exclusive_file = True
            return self
        raise self._refusal(read_holder(self.path))


@contextlib.contextmanager
def hold_lock(path: str | Path, purpose: str, what: str = "", advice: str = "") -> Iterator[FileLock]:
    """``with hold_lock(...) as lock:``, released on any exit (exceptions and ``KeyboardInterrupt`` included)."""
    lock = FileLock(path, purpose, what, advice)
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()


def _lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:  # pragma: no cover - Windows
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


def _unlock_and_close(fd: int) -> None:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        else:  # pragma: no cover - Windows
            os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    except OSError:
        pass  # closing releases it anyway
    finally:
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    """Whether the locked descriptor still is the file at ``path`` (not one removed by its last holder)."""
    if msvcrt is not None:  # pragma: no cover - Windows cannot remove a file that is open
        return True
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _read_fd(fd: int) -> LockHolder | None:
    os.lseek(fd, 0, os.SEEK_SET)
    data = b""
    while chunk := os.read(fd, 4096):
        data += chunk
        if len(data) > 65536:
            break
    try:
        return LockHolder.parse(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None


def _write_fd(fd: int, text: str) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, text.encode("utf-8"))


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _is_dead_here(holder: LockHolder) -> bool:
    """Whether ``holder`` ran on this host and its process no longer exists."""
    if holder.host != socket.gethostname():
        return False
    if holder.pid == os.getpid():
        return False
    if sys.platform == "win32":  # pragma: no cover - os.kill would terminate the process there
        return False
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return _is_zombie(holder.pid)


def _is_zombie(pid: int) -> bool:
    """Whether ``pid`` has exited but not been reaped (Linux ``/proc``; elsewhere False).

    A killed ``torchrun`` worker stays a zombie where nothing reaps orphans (PID 1 of
    many containers); it holds no files any more, but ``kill(pid, 0)`` still finds it.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]
