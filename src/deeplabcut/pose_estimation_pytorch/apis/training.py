"""``train_network``: train a shuffle's pose model from its ``pytorch_config.yaml``.

The API resolves the shuffle and the overrides, sets earlier runs aside, logs
and shows progress; ``train_module.build_training`` builds the run.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel
from deeplabcut.pose_estimation_pytorch.apis.utils import ProgressReporter, file_logger
from deeplabcut.pose_estimation_pytorch.config.pose_config import update_config, write_pytorch_config
from deeplabcut.pose_estimation_pytorch.runtime import list_snapshots
from deeplabcut.pose_estimation_pytorch.train_module import CSVLogger, TrainingResult, build_training
from deeplabcut.project.paths import (
    LEARNING_CURVE_FILENAME,
    LEARNING_STATS_FILENAME,
    TRAINING_LOG_FILENAME,
    previous_run_folder_name,
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
    model = TrainedModel.resolve(config, shuffle, trainingsetindex, modelprefix, select="none")
    project = model.shuffle
    pose_cfg = update_config(model.pytorch_config, updates, source=str(project.pose_config_path))
    if detector_path is not None or transform_cropped is not None:
        raise ConfigError("detector_path and transform_cropped apply to top-down models only; this shuffle is bottom-up.")

    # Build and check everything first: bad input must leave the disk as it was.
    setup = build_training(project, pose_cfg, transform, snapshot_path, load_head_weights)

    # Now write: the overrides, and keep the files of other runs out of this one's way.
    train_folder = project.train_folder
    if updates:
        write_pytorch_config(project.pose_config_path, pose_cfg)
    _set_aside_other_runs(train_folder, after_epoch=setup.start_epoch)

    with file_logger(train_folder / TRAINING_LOG_FILENAME) as log:
        log.info("Training shuffle %s (%s) on %s: %s", shuffle, pose_cfg["net_type"], setup.device, project.model_folder)
        report = getattr(setup.model.backbone, "pretrained_report", None)
        log.info("Backbone: %s", report if report is not None else "trained from scratch (model.backbone.pretrained: false)")
        epochs = setup.epochs
        reporter = ProgressReporter(
            log, total_epochs=epochs, curve=(train_folder / LEARNING_STATS_FILENAME, train_folder / LEARNING_CURVE_FILENAME)
        )
        trainer = setup.build_trainer(train_folder, callbacks=reporter.callbacks())
        if setup.resumes:
            log.info("Resumed from %s (epoch %d)", setup.resume_from, setup.start_epoch)
        elif setup.checkpoint is not None:
            log.info("Started from the backbone weights of %s", setup.resume_from)

        if setup.start_epoch >= epochs:
            log.info("Nothing to train: the snapshot is at epoch %d and train_settings.epochs is %d.", setup.start_epoch, epochs)
            return TrainingResult(last_epoch=setup.start_epoch)
        try:
            result = trainer.fit(setup.train_loader, setup.test_loader, epochs=epochs, start_epoch=setup.start_epoch)
        finally:
            reporter.close()
        log.info("Training finished at epoch %d; snapshots and learning_stats.csv are in %s", result.last_epoch, train_folder)
    return result


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
    stats = train_folder / LEARNING_STATS_FILENAME
    copied = []
    if after_epoch == 0:
        old += [
            train_folder / name
            for name in (LEARNING_STATS_FILENAME, LEARNING_CURVE_FILENAME)
            if (train_folder / name).exists()
        ]
    elif stats.exists() and max(CSVLogger(stats).rows, default=0) > after_epoch:
        copied.append(stats)  # its rows after the resumed epoch are about to be replaced
    if not old and not copied:
        return
    archive = train_folder / previous_run_folder_name(dt.datetime.now())
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
