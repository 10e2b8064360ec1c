"""Training: the loop (``PoseTrainer``), its builder, evaluators, snapshot rules, learning statistics and schedules.

A shuffle trains one model (bottom-up) or two (top-down: the detector, then
the pose model on crops); :mod:`.tasks` names each one's config section and files.
"""

from deeplabcut.pose_estimation_pytorch.train_module.builder import (
    TrainingSetup,
    build_shuffle_training,
    build_training,
)
from deeplabcut.pose_estimation_pytorch.train_module.evaluators import BoxEvaluator, Evaluator, PoseEvaluator
from deeplabcut.pose_estimation_pytorch.train_module.logger import CSVLogger
from deeplabcut.pose_estimation_pytorch.train_module.schedulers import LRListScheduler, build_optimizer, build_scheduler
from deeplabcut.pose_estimation_pytorch.train_module.snapshots import SnapshotManager
from deeplabcut.pose_estimation_pytorch.train_module.tasks import DETECTOR, POSE, TrainingTask, shuffle_tasks
from deeplabcut.pose_estimation_pytorch.train_module.trainer import PoseTrainer, TrainerCallbacks, TrainingResult
from deeplabcut.pose_estimation_pytorch.train_module.watch import TrainingWatch

__all__ = [
    "DETECTOR",
    "POSE",
    "BoxEvaluator",
    "CSVLogger",
    "Evaluator",
    "LRListScheduler",
    "PoseEvaluator",
    "PoseTrainer",
    "SnapshotManager",
    "TrainerCallbacks",
    "TrainingResult",
    "TrainingSetup",
    "TrainingTask",
    "TrainingWatch",
    "build_optimizer",
    "build_scheduler",
    "build_shuffle_training",
    "build_training",
    "shuffle_tasks",
]
