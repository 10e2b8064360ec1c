"""Choosing the device a model runs on."""

from __future__ import annotations

import torch

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.schema import DEVICE


def resolve_device(device: str | None) -> torch.device:
    """``"auto"`` (or None) gives CUDA when available, else CPU; anything else is passed to torch.

    Raises:
        ConfigValueError: ``device`` is not ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.
        ConfigError: CUDA was asked for but is not available.
    """
    DEVICE.check(device, "device", "the device setting (argument or pytorch_config.yaml's device)")
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device '{device}' was asked for but CUDA is not available here; use device='auto' or 'cpu'.")
    return resolved
