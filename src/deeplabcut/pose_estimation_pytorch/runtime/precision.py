"""Mixed precision: the autocast dtype of ``runner.mixed_precision`` and the context that applies it."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

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
    otherwise), bf16 on CPUs with native bfloat16 instructions (see
    :func:`cpu_has_native_bf16`) and full precision on other CPUs and devices.
    ``bf16`` is honoured on every CPU (emulated where it is not native, which is
    slower); ``fp16`` only on CUDA (the CPU runs it in full precision).

    Raises:
        ConfigError: an unknown value.
    """
    key = mode.lower() if isinstance(mode, str) else mode
    if key not in _PRECISIONS:
        raise ConfigError(f"runner.mixed_precision must be auto, bf16, fp16 or false, not {mode!r}.")
    dtype = _PRECISIONS[key]
    if dtype == "auto":
        if device.type == "cpu":
            return torch.bfloat16 if cpu_has_native_bf16() else None
        if device.type != "cuda":
            return None
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if dtype == torch.float16 and device.type != "cuda":
        return None
    return dtype


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (x86 AVX512-BF16 or AMX-BF16), as PyTorch detects it.

    Only there is bf16 autocast faster than float32 (about 2x for HRNet training
    on an AVX512-BF16 CPU); elsewhere oneDNN emulates it, which is slower.
    """
    get_capabilities = getattr(getattr(torch, "cpu", None), "get_capabilities", None)
    if get_capabilities is None:  # PyTorch before 2.6
        return False
    try:
        capabilities = get_capabilities()
    except Exception:  # noqa: BLE001 - an unknown CPU: no claim of native bf16
        return False
    return bool(capabilities.get("avx512_bf16") or capabilities.get("amx_bf16"))


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """``torch.autocast`` on ``device`` with ``dtype``; a no-op for full precision (``dtype`` None)."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


@contextlib.contextmanager
def inference_context(device: torch.device, dtype: torch.dtype | None) -> Iterator[None]:
    """What a forward pass of analysis or evaluation runs under: :func:`autocast`, and on CUDA
    cuDNN's autotuner (``benchmark``), which pays at once because a video's frames all have
    one size. Training keeps cuDNN deterministic (``fix_seeds``); the flags are restored on exit."""
    with contextlib.ExitStack() as stack:
        if device.type == "cuda":
            stack.enter_context(torch.backends.cudnn.flags(enabled=True, benchmark=True, deterministic=False))
        stack.enter_context(autocast(device, dtype))
        yield


def precision_description(dtype: torch.dtype | None, device: torch.device) -> str:
    """One phrase for logs: what ``runner.mixed_precision`` chose on ``device``."""
    if dtype is None:
        return "float32"
    name = {torch.bfloat16: "bfloat16", torch.float16: "float16"}.get(dtype, str(dtype))
    where = "this CPU's native bf16 instructions" if device.type == "cpu" else f"the {device.type} device"
    return f"{name} autocast on {where}, losses in float32 (runner.mixed_precision: false for float32)"
