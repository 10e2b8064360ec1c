"""Training: the loop (``PoseTrainer``), snapshots, learning statistics and schedules."""

from deeplabcut.pose_estimation_pytorch.train_module.device import autocast_dtype, fix_seeds, resolve_device
from deeplabcut.pose_estimation_pytorch.train_module.logger import CSVLogger
from deeplabcut.pose_estimation_pytorch.train_module.schedulers import LRListScheduler, build_optimizer, build_scheduler
from deeplabcut.pose_estimation_pytorch.train_module.snapshots import (
    Snapshot,
    SnapshotManager,
    list_snapshots,
    load_checkpoint,
    save_checkpoint,
    select_snapshots,
)
from deeplabcut.pose_estimation_pytorch.train_module.trainer import PoseTrainer, TrainerCallbacks, TrainingResult, load_weights

__all__ = [
    "CSVLogger",
    "LRListScheduler",
    "PoseTrainer",
    "Snapshot",
    "SnapshotManager",
    "TrainerCallbacks",
    "TrainingResult",
    "autocast_dtype",
    "build_optimizer",
    "build_scheduler",
    "fix_seeds",
    "list_snapshots",
    "load_checkpoint",
    "load_weights",
    "resolve_device",
    "save_checkpoint",
    "select_snapshots",
]
