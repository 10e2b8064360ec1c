"""``train_network``: train a shuffle's pose model from its ``pytorch_config.yaml``."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.apis.utils import ProgressReporter, file_logger, require_bottom_up
from deeplabcut.pose_estimation_pytorch.config.pose_config import update_config, write_pytorch_config
from deeplabcut.pose_estimation_pytorch.data import PoseTrainDataset, Project
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.train_module import (
    CSVLogger,
    PoseTrainer,
    SnapshotManager,
    TrainingResult,
    autocast_dtype,
    build_optimizer,
    build_scheduler,
    fix_seeds,
    list_snapshots,
    load_checkpoint,
    load_weights,
    resolve_device,
)

#: DeepLabCut argument names that are shortcuts for config keys.
SHORTCUTS = {
    "epochs": "train_settings.epochs",
    "batch_size": "train_settings.batch_size",
    "seed": "train_settings.seed",
    "dataloader_workers": "train_settings.dataloader_workers",
    "save_epochs": "runner.snapshots.save_epochs",
    "max_snapshots_to_keep": "runner.snapshots.max_snapshots",
    "eval_interval": "runner.eval_interval",
    "device": "device",
}
#: TensorFlow-era arguments with no meaning here, and what to use instead.
TENSORFLOW_ONLY = {
    "maxiters": "epochs=...",
    "max_iters": "epochs=...",
    "saveiters": "save_epochs=...",
    "save_iters": "save_epochs=...",
    "displayiters": "nothing (a progress bar shows every batch, a log line every epoch)",
    "allow_growth": "nothing (PyTorch allocates GPU memory as needed)",
    "gputouse": "device='cuda:0'",
    "autotune": "nothing",
    "keepdeconvweights": "load_head_weights=...",
    "superanimal_name": "nothing (SuperAnimal models are not available)",
    "superanimal_transfer_learning": "nothing (SuperAnimal models are not available)",
}
#: DeepLabCut 3 arguments of top-down models (a detector), which this package does not train.
TOP_DOWN_ONLY = ("detector_epochs", "detector_batch_size", "detector_save_epochs", "pose_threshold")
#: DeepLabCut 3 arguments accepted and ignored: a progress bar shows every batch, a line every epoch.
IGNORED = ("display_iters",)
LEARNING_STATS = "learning_stats.csv"
LEARNING_CURVE = "learning_curve.png"


def train_network(
    config: str | Path,
    shuffle: int = 1,
    trainingsetindex: int = 0,
    transform: Callable[..., dict[str, Any]] | None = None,
    transform_cropped: Callable[..., dict[str, Any]] | None = None,
    modelprefix: str = "",
    snapshot_path: str | Path | None = None,
    detector_path: str | Path | None = None,
    load_head_weights: bool = True,
    pytorch_cfg_updates: dict[str, Any] | None = None,
    **kwargs: Any,
) -> TrainingResult:
    """Train the pose model of a shuffle.

    Args:
        config: path to the project's ``config.yaml``.
        shuffle: index of the shuffle to train.
        trainingsetindex: index into ``TrainingFraction``.
        transform: augmentation of training images, called as
            ``transform(image=rgb, keypoints=(N, 2))``; ``None`` builds it from
            ``data.train`` in ``pytorch_config.yaml``. Keep the backbone's
            normalization (ImageNet statistics: ``A.Normalize()``'s defaults).
        transform_cropped: augmentation of the crops of top-down models.
        modelprefix: folder (inside the project) that holds the model folders.
        snapshot_path: resume from this snapshot (model, optimizer, scheduler
            and epoch); ``resume_training_from`` in the config does the same.
        detector_path: resume the detector of a top-down model.
        load_head_weights: when resuming, also load the heads (False: backbone only,
            and training starts at epoch 0).
        pytorch_cfg_updates: ``{"dotted.key": value}`` overrides.
        **kwargs: more overrides: any ``pytorch_config.yaml`` entry by dotted key
            (``**{"train_settings.epochs": 5}``, or ``train_settings__epochs=5``),
            a top-level section, or a shortcut (``epochs``, ``batch_size``,
            ``save_epochs``, ``max_snapshots_to_keep``, ``eval_interval``,
            ``seed``, ``dataloader_workers``, ``device``). Overrides are saved into
            ``pytorch_config.yaml``. ``epochs`` is the final epoch count: a
            resumed run trains the epochs that remain.

    Returns:
        The epochs trained and their logged values.

    Raises:
        ConfigError: unknown keys, TensorFlow-only arguments, or a bad config.
    """
    updates = _collect_overrides(kwargs, pytorch_cfg_updates)
    project = Project(config, shuffle=shuffle, trainingsetindex=trainingsetindex, modelprefix=modelprefix)
    pose_cfg = update_config(project.pytorch_config(), updates, source=str(project.pose_config_path))
    require_bottom_up(pose_cfg, project.pose_config_path)
    if detector_path is not None or transform_cropped is not None:
        raise ConfigError("detector_path and transform_cropped apply to top-down models only; this shuffle is bottom-up.")

    # Build and check everything first: bad input must leave the disk as it was.
    train_folder = project.train_folder
    settings = pose_cfg["train_settings"]
    runner = pose_cfg["runner"]
    seed = int(settings.get("seed", 42))
    fix_seeds(seed)
    device = resolve_device(pose_cfg.get("device"))
    model = PoseModel.build(pose_cfg["model"]).to(device, memory_format=torch.channels_last)
    normalization = model.backbone.normalization
    train_set = PoseTrainDataset(
        project, "train", transform=transform, augment=True, pytorch_config=pose_cfg, seed=seed, normalization=normalization
    )
    test_set = PoseTrainDataset(project, "test", augment=False, pytorch_config=pose_cfg, normalization=normalization)
    workers = _dataloader_workers(settings.get("dataloader_workers", 0), device)
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
    epochs = int(settings.get("epochs", 200))
    resume = snapshot_path or pose_cfg.get("resume_training_from")
    checkpoint = load_checkpoint(resume, map_location=device) if resume is not None else None
    start_epoch = int(checkpoint["metadata"].get("epoch", 0)) if checkpoint is not None and load_head_weights else 0
    if checkpoint is not None:
        load_weights(model, checkpoint, load_head_weights, source=f"Snapshot '{resume}'")

    # Now write: the overrides, and keep the files of other runs out of this one's way.
    if updates:
        write_pytorch_config(project.pose_config_path, pose_cfg)
    _set_aside_other_runs(train_folder, after_epoch=start_epoch)

    with file_logger(train_folder / "train.txt") as log:
        log.info("Training shuffle %s (%s) on %s: %s", shuffle, pose_cfg["net_type"], device, project.model_folder)
        report = getattr(model.backbone, "pretrained_report", None)
        log.info("Backbone: %s", report if report is not None else "trained from scratch (model.backbone.pretrained: false)")
        snapshots_cfg = runner.get("snapshots", {})
        trainer = PoseTrainer(
            model=model,
            optimizer=optimizer,
            scheduler=scheduler,
            device=device,
            snapshots=SnapshotManager(
                train_folder,
                save_epochs=snapshots_cfg.get("save_epochs", 25),
                max_snapshots=snapshots_cfg.get("max_snapshots", 5),
                key_metric=runner.get("key_metric"),
                key_metric_asc=runner.get("key_metric_asc", True),
            ),
            logger=CSVLogger(train_folder / LEARNING_STATS),
            eval_interval=runner.get("eval_interval", 10),
            autocast_dtype=autocast_dtype(runner.get("mixed_precision", "auto"), device),
            seed=seed,
            pcutoff=float(pose_cfg.get("inference", {}).get("eval", {}).get("pcutoff", 0.6)),
            single_animal=not project.multianimal,
            save_optimizer_state=bool(snapshots_cfg.get("save_optimizer_state", True)),
            extra_state={"net_type": pose_cfg["net_type"]},
        )
        if checkpoint is not None and load_head_weights:
            trainer.restore(checkpoint, source=f"snapshot '{resume}'")
            log.info("Resumed from %s (epoch %d)", resume, start_epoch)
        elif checkpoint is not None:
            log.info("Started from the backbone weights of %s", resume)

        reporter = ProgressReporter(log, total_epochs=epochs, curve=(train_folder / LEARNING_STATS, train_folder / LEARNING_CURVE))
        trainer.callbacks = reporter.callbacks()
        if start_epoch >= epochs:
            log.info("Nothing to train: the snapshot is at epoch %d and train_settings.epochs is %d.", start_epoch, epochs)
            return TrainingResult(last_epoch=start_epoch)
        try:
            result = trainer.fit(train_loader, test_loader, epochs=epochs, start_epoch=start_epoch)
        finally:
            reporter.close()
        log.info("Training finished at epoch %d; snapshots and learning_stats.csv are in %s", result.last_epoch, train_folder)
    return result


def _dataloader_workers(value: Any, device: torch.device) -> int:
    """``train_settings.dataloader_workers``: a number, or ``auto`` (0 on CPU, up to 8 with a GPU)."""
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


def _collect_overrides(kwargs: dict[str, Any], pytorch_cfg_updates: dict[str, Any] | None) -> dict[str, Any]:
    updates: dict[str, Any] = dict(pytorch_cfg_updates or {})
    for key, value in kwargs.items():
        if key in IGNORED:
            continue
        if key in TOP_DOWN_ONLY:
            if value is None:
                continue
            raise ConfigError(
                f"train_network argument '{key}' applies to top-down models with a detector, which this "
                "package does not train; remove it."
            )
        if key in TENSORFLOW_ONLY:
            raise ConfigError(
                f"train_network argument '{key}' has no meaning in this PyTorch engine (it belongs to "
                f"DeepLabCut's TensorFlow one); use {TENSORFLOW_ONLY[key]}."
            )
        if value is None and key in SHORTCUTS:
            continue
        updates[SHORTCUTS.get(key, key.replace("__", "."))] = value
    return updates


def _set_aside_other_runs(train_folder: Path, after_epoch: int) -> None:
    """Move snapshots of other runs (those after ``after_epoch``) and their logs into ``previous-run-<time>/``.

    A new run (``after_epoch`` 0) moves every snapshot, ``learning_stats.csv`` and
    the learning curve; a resumed run moves only snapshots newer than the one it
    resumes from, so that no later file of another run is mistaken for this
    run's (or deleted by the ``max_snapshots`` rule), and keeps a copy of
    ``learning_stats.csv`` when it has rows past the resumed epoch (the resumed
    run replaces them). Nothing is ever deleted.
    """
    old = [s.path for s in list_snapshots(train_folder) if s.epoch > after_epoch]
    stats = train_folder / LEARNING_STATS
    copied = []
    if after_epoch == 0:
        old += [train_folder / name for name in (LEARNING_STATS, LEARNING_CURVE) if (train_folder / name).exists()]
    elif stats.exists() and max(CSVLogger(stats).rows, default=0) > after_epoch:
        copied.append(stats)  # its rows after the resumed epoch are about to be replaced
    if not old and not copied:
        return
    archive = train_folder / f"previous-run-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}"
    archive.mkdir(parents=True, exist_ok=True)
    for path in old:
        shutil.move(str(path), archive / path.name)
    for path in copied:
        shutil.copy2(path, archive / path.name)
    log = logging.getLogger("deeplabcut")
    if old:
        log.warning(
            "%d file(s) of an earlier run were moved to %s (pass snapshot_path=... to resume instead).", len(old), archive
        )
    if copied:
        log.warning("The learning statistics of the run that went past epoch %d were copied to %s.", after_epoch, archive)
