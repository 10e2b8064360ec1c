"""Mixed precision: the autocast dtype of ``runner.mixed_precision`` and the context that applies it."""

from __future__ import annotations

import contextlib

import torch

from deeplabcut.errors import ConfigError

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


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """``torch.autocast`` on ``device`` with ``dtype``; a no-op for full precision (``dtype`` None)."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)
