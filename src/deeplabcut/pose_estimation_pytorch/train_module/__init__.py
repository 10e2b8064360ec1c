"""Training: the loop (``PoseTrainer``), its builder, evaluators, snapshot rules, learning statistics and schedules."""

from deeplabcut.pose_estimation_pytorch.train_module.builder import TrainingSetup, build_training
from deeplabcut.pose_estimation_pytorch.train_module.evaluators import Evaluator, PoseEvaluator
from deeplabcut.pose_estimation_pytorch.train_module.logger import CSVLogger
from deeplabcut.pose_estimation_pytorch.train_module.schedulers import LRListScheduler, build_optimizer, build_scheduler
from deeplabcut.pose_estimation_pytorch.train_module.snapshots import SnapshotManager
from deeplabcut.pose_estimation_pytorch.train_module.trainer import PoseTrainer, TrainerCallbacks, TrainingResult

__all__ = [
    "CSVLogger",
    "Evaluator",
    "LRListScheduler",
    "PoseEvaluator",
    "PoseTrainer",
    "SnapshotManager",
    "TrainerCallbacks",
    "TrainingResult",
    "TrainingSetup",
    "build_optimizer",
    "build_scheduler",
    "build_training",
]
