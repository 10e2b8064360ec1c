"""Choosing the device a model runs on, and the CPU threads it may use."""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.schema import DEVICE


def resolve_device(device: str | None) -> torch.device:
    """``"auto"`` (or None) gives CUDA when available, else CPU; anything else is passed to torch.

    Under ``torchrun`` (``LOCAL_RANK`` set), ``auto`` and a bare ``cuda`` mean
    this process's GPU, ``cuda:<LOCAL_RANK>``: one process per GPU.

    Raises:
        ConfigValueError: ``device`` is not ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.
        ConfigError: CUDA was asked for but is not available.
    """
    DEVICE.check(device, "device", "the device setting (argument or pytorch_config.yaml's device)")
    if device in (None, "auto"):
        resolved = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        resolved = torch.device(device)
        if resolved.type == "cuda" and not torch.cuda.is_available():
            raise ConfigError(f"device '{device}' was asked for but CUDA is not available here; use device='auto' or 'cpu'.")
    if resolved.type == "cuda" and resolved.index is None and "LOCAL_RANK" in os.environ:
        try:
            resolved = torch.device("cuda", int(os.environ["LOCAL_RANK"]) % max(1, torch.cuda.device_count()))
        except ValueError as err:
            raise ConfigError(f"LOCAL_RANK={os.environ['LOCAL_RANK']!r} is not a whole number; launch with torchrun.") from err
    if resolved.type == "cpu":
        fit_threads_to_usable_cpus()
    return resolved


def usable_cpus(cgroup_root: Path = Path("/sys/fs/cgroup")) -> int:
    """The CPUs this process may use: its affinity mask (``taskset``, Slurm's cpusets),
    capped by a cgroup CPU quota (Docker ``--cpus``, Kubernetes limits), which
    PyTorch's default thread count ignores."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS, Windows
        count = os.cpu_count() or 1
    try:
        quota, period = (cgroup_root / "cpu.max").read_text().split()[:2]
        if quota != "max":
            count = min(count, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 quota to honour
    return max(1, count)


def fit_threads_to_usable_cpus() -> None:
    """Lower torch's intra-op threads to :func:`usable_cpus` (never raise them).

    Too many threads on too few CPUs make each convolution wait for descheduled
    threads. A thread count chosen by the user (``OMP_NUM_THREADS``, or
    ``torch.set_num_threads`` to fewer threads) is kept.
    """
    if "OMP_NUM_THREADS" in os.environ:
        return
    usable = usable_cpus()
    if torch.get_num_threads() > usable:
        torch.set_num_threads(usable)
