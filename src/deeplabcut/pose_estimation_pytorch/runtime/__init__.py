"""What training and inference share: snapshot files, device, precision, seeds and the process group.

Layer 7: imports ``models`` and below, and is imported by ``train_module`` and
``inference`` (which never import each other).
"""

from deeplabcut.pose_estimation_pytorch.runtime.checkpoints import (
    Snapshot,
    list_snapshots,
    load_checkpoint,
    load_snapshot,
    save_checkpoint,
    select_snapshots,
)
from deeplabcut.pose_estimation_pytorch.runtime.device import resolve_device
from deeplabcut.pose_estimation_pytorch.runtime.distributed import (
    DistributedContext,
    SINGLE_PROCESS,
    process_group,
)
from deeplabcut.pose_estimation_pytorch.runtime.memory import available_memory_bytes, release_free_memory
from deeplabcut.pose_estimation_pytorch.runtime.precision import (
    autocast,
    autocast_dtype,
    cpu_has_native_bf16,
    inference_context,
    precision_description,
)
from deeplabcut.pose_estimation_pytorch.runtime.seeds import fix_seeds

__all__ = [
    "SINGLE_PROCESS",
    "DistributedContext",
    "Snapshot",
    "autocast",
    "autocast_dtype",
    "available_memory_bytes",
    "cpu_has_native_bf16",
    "precision_description",
    "fix_seeds",
    "inference_context",
    "list_snapshots",
    "load_checkpoint",
    "load_snapshot",
    "process_group",
    "release_free_memory",
    "resolve_device",
    "save_checkpoint",
    "select_snapshots",
]
