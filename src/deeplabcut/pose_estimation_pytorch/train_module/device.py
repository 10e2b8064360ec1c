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


_PRECISIONS = {
    None: None, False: None, "false": None, "no": None, "fp32": None, "float32": None,
    "bf16": torch.bfloat16, "bfloat16": torch.bfloat16,
    "fp16": torch.float16, "float16": torch.float16, True: "auto", "auto": "auto",
}


def autocast_dtype(mode: str | bool | None, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``runner.mixed_precision`` (``auto``, ``bf16``, ``fp16``, ``false``).

    ``auto`` (or ``true``) uses bf16 on CUDA devices that support it (fp16
    otherwise) and full precision on the CPU. ``bf16`` is honoured on the CPU
    too; ``fp16`` only on CUDA (the CPU runs it in full precision).

    Raises:
        ConfigError: an unknown value.
    """
    key = mode.lower() if isinstance(mode, str) else mode
    if key not in _PRECISIONS:
        raise ConfigError(f"runner.mixed_precision must be auto, bf16, fp16 or false, not {mode!r}.")
    dtype = _PRECISIONS[key]
    if dtype == "auto":
        if device.type != "cuda":
            return None
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if dtype == torch.float16 and device.type != "cuda":
        return None
    return dtype


def fix_seeds(seed: int) -> None:
    """Seed Python, NumPy and torch, and make cuDNN deterministic."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
