"""``utils.locks``: one holder at a time, the holder named to whoever is refused, nothing left stale."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deeplabcut.errors import DLCError, InUseError
from deeplabcut.utils import locks
from deeplabcut.utils.locks import FileLock, LockHolder, hold_lock, read_holder

from reliability.crash import python_child


def dead_pid() -> int:
    """The pid of a process of this host that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_second_holder_is_refused_with_the_first_one_named(tmp_path: Path):
    path = tmp_path / ".train.lock"
    with hold_lock(path, "train_network of shuffle 1"):
        assert read_holder(path) == LockHolder(os.getpid(), socket.gethostname(), read_holder(path).since, "train_network of shuffle 1")
        written = path.read_bytes()
        with pytest.raises(InUseError) as refused:
            FileLock(path, "another", what="Training folder 'x'", advice="Wait for it.").acquire()
        assert isinstance(refused.value, DLCError)
        message = str(refused.value)
        assert message.startswith("Training folder 'x' is in use by train_network of shuffle 1 ")
        assert f"process {os.getpid()} on host '{socket.gethostname()}', since {lock_since(path)}" in message
        assert message.endswith("Wait for it.")
        assert refused.value.holder.pid == os.getpid()
        assert path.read_bytes() == written  # the refused one wrote nothing
    assert not path.exists()  # released and removed


def lock_since(path: Path) -> str:
    return read_holder(path).since


@pytest.mark.parametrize("interruption", [RuntimeError, KeyboardInterrupt])
def test_the_lock_is_released_on_any_exit(tmp_path: Path, interruption):
    path = tmp_path / ".lock"
    with pytest.raises(interruption):
        with hold_lock(path, "first"):
            raise interruption("stop")
    assert not path.exists()
    with hold_lock(path, "second") as lock:
        assert lock.previous is None  # released properly: nothing to take over


@pytest.mark.skipif(sys.platform == "win32", reason="kill -9 is a POSIX signal")
def test_the_lock_of_a_killed_process_is_taken_over(tmp_path: Path):
    path = tmp_path / ".lock"
    child = python_child(
        """
        import sys
        from deeplabcut.utils.locks import FileLock
        from reliability.crash import kill_self
        FileLock(sys.argv[1], "train_network of shuffle 1").acquire()
        kill_self()
        """,
        str(path),
    )
    assert child.returncode == -9
    left = read_holder(path)
    assert left is not None and left.purpose == "train_network of shuffle 1"  # the file is still there...
    with hold_lock(path, "me") as lock:  # ...but the kernel released the lock with the process
        assert lock.previous == left
        assert read_holder(path).pid == os.getpid()


def test_without_os_locks_a_lock_file_of_a_dead_process_of_this_host_is_taken_over(tmp_path: Path, monkeypatch):
    def unsupported(fd: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(locks, "_lock", unsupported)
    path = tmp_path / ".lock"
    dead = LockHolder(dead_pid(), socket.gethostname(), "2026-01-01 00:00:00", "train_network of shuffle 1")
    path.write_text(dead.to_json())
    with hold_lock(path, "me") as lock:
        assert lock.previous == dead
        with pytest.raises(InUseError, match=f"in use by me \\(process {os.getpid()} "):
            FileLock(path, "other").acquire()
    assert not path.exists()

    # A process of another host cannot be checked: its lock file is respected.
    elsewhere = LockHolder(dead.pid, "another-host", "2026-01-01 00:00:00", "train_network of shuffle 1")
    path.write_text(elsewhere.to_json())
    with pytest.raises(InUseError, match="host 'another-host'"):
        FileLock(path, "me").acquire()
    assert read_holder(path) == elsewhere


@pytest.mark.skipif(sys.platform == "win32", reason="fork and kill -9 are POSIX")
def test_a_dead_holders_forked_worker_still_holding_the_lock_is_waited_for(tmp_path: Path, monkeypatch):
    """kill -9 of a training process leaves its data-loader workers alive for a moment, holding the lock."""
    path = tmp_path / ".lock"
    child = python_child(
        """
        import os, sys, time
        from deeplabcut.utils.locks import FileLock
        from reliability.crash import kill_self
        FileLock(sys.argv[1], "train_network of shuffle 1").acquire()
        if os.fork() == 0:  # a worker: shares the open lock file, outlives its parent by a few seconds
            os.close(1), os.close(2)
            time.sleep(4)
            os._exit(0)
        kill_self()
        """,
        str(path),
    )
    assert child.returncode == -9
    monkeypatch.setattr(locks, "ORPHANED_LOCK_WAIT_S", 0.0)
    with pytest.raises(InUseError):  # not waiting: the worker still holds it
        FileLock(path, "me").acquire()
    monkeypatch.setattr(locks, "ORPHANED_LOCK_WAIT_S", 30.0)
    with hold_lock(path, "me") as lock:  # waiting: taken once the worker has exited
        assert lock.previous is not None and lock.previous.purpose == "train_network of shuffle 1"


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="zombies are read from Linux's /proc")
def test_a_holder_that_exited_but_was_not_reaped_counts_as_dead():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        for _ in range(200):  # until it has exited; not waited for, so it stays a zombie
            if locks._is_zombie(process.pid):
                break
            time.sleep(0.05)
        assert locks._is_dead_here(LockHolder(process.pid, socket.gethostname(), "", "train_network"))
    finally:
        process.wait()
    assert not locks._is_zombie(os.getpid())
