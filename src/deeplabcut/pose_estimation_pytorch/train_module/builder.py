"""A training run built from a shuffle's ``pytorch_config.yaml``: model, data loaders, optimizer, schedule, trainer.

:func:`build_training` builds and checks everything without writing a file,
so that bad input leaves the disk as it was; :meth:`TrainingSetup.build_trainer`
then opens the training folder (snapshots, ``learning_stats.csv``) and
restores a resumed run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.data import PoseTrainDataset, ShuffleData
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.runtime import autocast_dtype, fix_seeds, load_snapshot, resolve_device
from deeplabcut.pose_estimation_pytorch.train_module.evaluators import Evaluator, PoseEvaluator
from deeplabcut.pose_estimation_pytorch.train_module.logger import CSVLogger
from deeplabcut.pose_estimation_pytorch.train_module.schedulers import build_optimizer, build_scheduler
from deeplabcut.pose_estimation_pytorch.train_module.snapshots import SnapshotManager
from deeplabcut.pose_estimation_pytorch.train_module.trainer import PoseTrainer, TrainerCallbacks
from deeplabcut.project.paths import LEARNING_STATS_FILENAME


@dataclass
class TrainingSetup:
    """Everything a training run needs, built from the config; nothing written yet.

    Attributes:
        pytorch_config: the (updated) ``pytorch_config.yaml`` the run follows.
        device: where the model and batches live.
        model: the model, on ``device`` in ``channels_last`` memory format, with the
            resumed snapshot's weights loaded when there is one.
        train_loader, test_loader: the train split (augmented, shuffled) and the test
            split (inference transform, batch size 1); no test loader without test images.
        optimizer, scheduler: from the ``runner`` section.
        evaluators: compute the validation metrics.
        epochs: the final epoch count (``train_settings.epochs``).
        seed: ``train_settings.seed``.
        resume_from: the snapshot resumed from (``snapshot_path`` or ``resume_training_from``).
        checkpoint: its contents.
        load_head_weights: whether the whole model was resumed (else only its backbone).
    """

    pytorch_config: dict[str, Any]
    device: torch.device
    model: PoseModel
    train_loader: DataLoader
    test_loader: DataLoader | None
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler | None
    evaluators: list[Evaluator]
    epochs: int
    seed: int
    resume_from: Path | None = None
    checkpoint: dict[str, Any] | None = None
    load_head_weights: bool = True

    @property
    def resumes(self) -> bool:
        """True when the run continues a snapshot (weights, optimizer, schedule and epoch)."""
        return self.checkpoint is not None and self.load_head_weights

    @property
    def start_epoch(self) -> int:
        """The epoch training continues after: the snapshot's when resuming, else 0."""
        return int(self.checkpoint["metadata"].get("epoch", 0)) if self.resumes else 0  # type: ignore[index]

    def build_trainer(self, train_folder: str | Path, callbacks: TrainerCallbacks | None = None) -> PoseTrainer:
        """The trainer writing snapshots and ``learning_stats.csv`` into ``train_folder``.

        Reads what the folder already holds (the best snapshot's key metric, the
        logged rows) and, when resuming, restores the optimizer and schedule.
        """
        train_folder = Path(train_folder)
        runner = self.pytorch_config["runner"]
        snapshots_cfg = runner.get("snapshots", {})
        trainer = PoseTrainer(
            model=self.model,
            optimizer=self.optimizer,
            scheduler=self.scheduler,
            device=self.device,
            snapshots=SnapshotManager(
                train_folder,
                save_epochs=snapshots_cfg.get("save_epochs", 25),
                max_snapshots=snapshots_cfg.get("max_snapshots", 5),
                key_metric=runner.get("key_metric"),
                key_metric_asc=runner.get("key_metric_asc", True),
            ),
            logger=CSVLogger(train_folder / LEARNING_STATS_FILENAME),
            eval_interval=runner.get("eval_interval", 10),
            autocast_dtype=autocast_dtype(runner.get("mixed_precision", "auto"), self.device),
            seed=self.seed,
            evaluators=self.evaluators,
            save_optimizer_state=bool(snapshots_cfg.get("save_optimizer_state", True)),
            callbacks=callbacks,
            extra_state={"net_type": self.pytorch_config["net_type"]},
        )
        if self.resumes:
            trainer.restore(self.checkpoint, source=f"snapshot '{self.resume_from}'")  # type: ignore[arg-type]
        return trainer


def build_training(
    shuffle: ShuffleData,
    pytorch_config: dict[str, Any],
    transform: Callable[..., dict[str, Any]] | None = None,
    snapshot_path: str | Path | None = None,
    load_head_weights: bool = True,
    evaluators: Sequence[Evaluator] | None = None,
) -> TrainingSetup:
    """Build a shuffle's training run from its ``pytorch_config``; writes nothing.

    Seeds every generator with ``train_settings.seed`` first, so the model's
    initial weights and the data order are reproducible.

    Args:
        shuffle: the shuffle's labels and split.
        pytorch_config: its ``pytorch_config.yaml`` (with any overrides applied).
        transform: augmentation of training images instead of ``data.train``.
        snapshot_path: resume from this snapshot (default: ``resume_training_from``).
        load_head_weights: when resuming, load the whole model (False: only the backbone,
            and training starts at epoch 0).
        evaluators: validation metrics (default: :class:`PoseEvaluator` with
            ``inference.eval.pcutoff``, 0.6 when unset).

    Raises:
        ConfigError: a bad device, augmentation, optimizer or schedule.
        ModelError: the snapshot does not fit the model.
    """
    settings = pytorch_config["train_settings"]
    runner = pytorch_config["runner"]
    seed = int(settings.get("seed", 42))
    fix_seeds(seed)
    device = resolve_device(pytorch_config.get("device"))
    model = PoseModel.build(pytorch_config["model"]).to(device, memory_format=torch.channels_last)
    normalization = model.backbone.normalization  # the statistics the backbone's weights expect
    train_set = PoseTrainDataset(
        shuffle, "train", transform=transform, augment=True, pytorch_config=pytorch_config, seed=seed, normalization=normalization
    )
    test_set = PoseTrainDataset(shuffle, "test", augment=False, pytorch_config=pytorch_config, normalization=normalization)
    workers = dataloader_workers(settings.get("dataloader_workers", 0), device)
    batch_size = int(settings.get("batch_size", 8))
    train_loader = DataLoader(
        train_set,
        batch_size=batch_size,
        shuffle=True,
        num_workers=workers,
        pin_memory=bool(settings.get("dataloader_pin_memory", False)) and device.type == "cuda",
        drop_last=len(train_set) > batch_size,
        generator=torch.Generator().manual_seed(seed),
        worker_init_fn=_seed_worker if workers else None,
        persistent_workers=False,
    )
    test_loader = DataLoader(test_set, batch_size=1, shuffle=False) if len(test_set) else None
    optimizer = build_optimizer(model.parameters(), runner["optimizer"])
    scheduler = build_scheduler(optimizer, runner.get("scheduler"))
    if evaluators is None:
        pcutoff = float(pytorch_config.get("inference", {}).get("eval", {}).get("pcutoff", 0.6))
        evaluators = [PoseEvaluator(pcutoff=pcutoff, single_animal=not shuffle.multianimal)]
    resume = snapshot_path or pytorch_config.get("resume_training_from")
    checkpoint = None
    if resume is not None:
        checkpoint = load_snapshot(model, resume, load_head_weights, map_location=device)
    return TrainingSetup(
        pytorch_config=pytorch_config,
        device=device,
        model=model,
        train_loader=train_loader,
        test_loader=test_loader,
        optimizer=optimizer,
        scheduler=scheduler,
        evaluators=list(evaluators),
        epochs=int(settings.get("epochs", 200)),
        seed=seed,
        resume_from=Path(resume) if resume is not None else None,
        checkpoint=checkpoint,
        load_head_weights=load_head_weights,
    )


def dataloader_workers(value: Any, device: torch.device) -> int:
    """``train_settings.dataloader_workers``: a number, or ``auto`` (0 on CPU, up to 8 with a GPU).

    Raises:
        ConfigError: neither a number nor ``auto``.
    """
    if value == "auto":
        return 0 if device.type == "cpu" else max(0, min(8, (os.cpu_count() or 1) - 1))
    try:
        return max(0, int(value))
    except (TypeError, ValueError) as err:
        raise ConfigError(f"train_settings.dataloader_workers must be a number or 'auto', not {value!r}.") from err


def _seed_worker(worker_id: int) -> None:
    info = torch.utils.data.get_worker_info()
    if info is not None and hasattr(info.dataset, "set_epoch_seed"):
        info.dataset.set_epoch_seed(torch.initial_seed() % 2**31)
