"""Choosing the device a model runs on."""

from __future__ import annotations

import os

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
    return resolved
