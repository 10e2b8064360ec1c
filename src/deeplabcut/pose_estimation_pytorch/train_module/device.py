"""Choosing the device, the mixed-precision mode and the seeds."""

from __future__ import annotations

import random

import numpy as np
import torch

from deeplabcut.errors import ConfigError


def resolve_device(device: str | None) -> torch.device:
    """``"auto"`` (or None) gives CUDA when available, else CPU; anything else is passed to torch.

    Raises:
        ConfigError: CUDA was asked for but is not available.
    """
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device '{device}' was asked for but CUDA is not available here; use device='auto' or 'cpu'.")
    return resolved


def autocast_dtype(mode: str | bool | None, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``runner.mixed_precision`` (``auto``, ``bf16``, ``fp16``, ``false``).

    ``auto`` uses bf16 on CUDA devices that support it (fp16 otherwise) and full
    precision on the CPU.
    """
    if mode in (None, False, "false", "no", "fp32"):
        return None
    if device.type != "cuda":
        return torch.bfloat16 if mode == "bf16" else None
    if mode == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if mode in ("bf16", "bfloat16"):
        return torch.bfloat16
    if mode in ("fp16", "float16", True):
        return torch.float16
    raise ConfigError(f"runner.mixed_precision must be auto, bf16, fp16 or false, not {mode!r}.")


def fix_seeds(seed: int) -> None:
    """Seed Python, NumPy and torch, and make cuDNN deterministic."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
