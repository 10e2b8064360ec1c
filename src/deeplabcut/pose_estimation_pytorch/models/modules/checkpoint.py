"""Gradient checkpointing of a module: keep its input, recompute its activations during backward.

A checkpointed module stores none of its intermediate activations; backward
runs its forward once more to get them. Training then holds only the tensors
that cross checkpoint boundaries plus one module's activations at a time, at
the cost of a second forward of each checkpointed module.

Batch norm would update its running statistics twice per step (once in the
forward, once in the recomputation). Every batch-norm layer of a checkpointed
module therefore gets back, after the recomputation, the running mean,
variance and batch counter it had before it, so a checkpointed step changes
the model exactly as a plain step does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint


def saved_activation_bytes(model: nn.Module, images: torch.Tensor, dtype: torch.dtype | None = None) -> int:
    """Bytes that a training forward of ``model`` on ``images`` keeps for backward (under autocast to ``dtype``).

    Counts each storage autograd saves once, outside checkpointed blocks; the
    model's batch-norm running statistics are left as they were, and no backward
    runs.
    """
    storages: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    was_training = model.training
    model.train()
    try:
        with _frozen_running_stats(model), torch.enable_grad():
            with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
                with torch.autocast(images.device.type, dtype=dtype, enabled=dtype is not None):
                    model(images)
    finally:
        model.train(was_training)
    return sum(storages.values())


def activation_bytes_per_image(
    model: nn.Module, image_size: tuple[int, int], device: torch.device, dtype: torch.dtype | None = None
) -> float:
    """Bytes per image of ``image_size`` (height, width) that a training forward of ``model`` keeps for backward.

    Measured on batches of one and two images of that size: the difference cancels
    what does not grow with the batch (weights and their autocast copies).
    """
    saved = [
        saved_activation_bytes(model, torch.zeros(batch, 3, *image_size, device=device), dtype) for batch in (1, 2)
    ]
    return max(0.0, float(saved[1] - saved[0]))


def checkpointed(module: nn.Module, *inputs: Any, function: Callable[..., Any] | None = None) -> Any:
    """``module(*inputs)`` (or ``function(*inputs)``, which uses only ``module``'s layers), checkpointed.

    A plain call when no gradients are being recorded.
    """
    function = module if function is None else function
    if not torch.is_grad_enabled():
        return function(*inputs)
    return checkpoint(
        function,
        *inputs,
        use_reentrant=False,
        context_fn=lambda: (contextlib.nullcontext(), _frozen_running_stats(module)),
    )


@contextlib.contextmanager
def _frozen_running_stats(module: nn.Module) -> Iterator[None]:
    """Batch-norm layers of ``module`` end the recomputation with the running statistics they began it with."""
    kept = [
        (buffer, buffer.clone())
        for layer in module.modules()
        if isinstance(layer, nn.modules.batchnorm._BatchNorm) and layer.training and layer.track_running_stats
        for buffer in (layer.running_mean, layer.running_var, layer.num_batches_tracked)
        if buffer is not None
    ]
    try:
        yield
    finally:
        with torch.no_grad():
            for buffer, before in kept:
                buffer.copy_(before)
