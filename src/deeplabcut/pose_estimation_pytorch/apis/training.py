"""``train_network``: train a shuffle's models from its ``pytorch_config.yaml``.

The API resolves the shuffle and the overrides, sets earlier runs aside, logs
and shows progress; ``train_module.build_shuffle_training`` builds the runs
(a top-down shuffle's detector, then its pose model on crops; a bottom-up
shuffle's pose model).

Launched by ``torchrun --nproc_per_node=N`` (``RANK``/``WORLD_SIZE`` set), the
N processes train one model together with ``DistributedDataParallel``
(``runtime.process_group``: ``nccl`` on GPUs, ``gloo`` on the CPU); rank 0 alone
writes files and prints. See ``docs/clusters.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel
from deeplabcut.pose_estimation_pytorch.apis.utils import LOGGER_NAME, ProgressReporter, file_logger, get_logger
from deeplabcut.pose_estimation_pytorch.config.pose_config import is_top_down, update_config, updated_keys, write_pytorch_config
from deeplabcut.pose_estimation_pytorch.config.schema import validate_pytorch_config
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.models.registry import check_model_types
from deeplabcut.pose_estimation_pytorch.runtime import (
    DistributedContext,
    list_snapshots,
    precision_description,
    process_group,
    resolve_device,
)
from deeplabcut.pose_estimation_pytorch.runtime.distributed import from_environment
from deeplabcut.pose_estimation_pytorch.train_module import (
    DETECTOR,
    POSE,
    CSVLogger,
    TrainingResult,
    TrainingSetup,
    TrainingTask,
    TrainingWatch,
    build_shuffle_training,
)
from deeplabcut.pose_estimation_pytorch.train_module.logger import rebuild_missing_rows
from deeplabcut.project.paths import TRAINING_LOCK_FILENAME, TRAINING_LOG_FILENAME, previous_run_folder_name
from deeplabcut.utils.atomic import remove_leftover_temporary_files
from deeplabcut.utils.locks import FileLock

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
#: DeepLabCut 3 arguments of top-down models, for their detector's config keys.
DETECTOR_SHORTCUTS = {
    "detector_epochs": "detector.train_settings.epochs",
    "detector_batch_size": "detector.train_settings.batch_size",
    "detector_save_epochs": "detector.runner.snapshots.save_epochs",
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
#: DeepLabCut 3 arguments accepted and ignored: a progress bar shows every batch, a line every
#: epoch (``display_iters``); ``pose_threshold`` only conditions DeepLabCut 3's CTD models.
IGNORED = ("display_iters", "pose_threshold")


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
    """Train the models of a shuffle.

    Bottom-up net types (DEKR) train one model on whole images. Top-down net
    types (TokenPose, top-down HRNet) train two, one after the other: the
    detector (when ``detector.train_settings.epochs`` > 0; snapshots
    ``snapshot-detector-XXX.pt``, ``learning_stats_detector.csv``), then the
    pose model on a crop around each labeled animal (when
    ``train_settings.epochs`` > 0; ``snapshot-XXX.pt``, ``learning_stats.csv``).

    Args:
        config: path to the project's ``config.yaml``.
        shuffle: index of the shuffle to train.
        trainingsetindex: index into ``TrainingFraction``.
        transform: augmentation of training images (a top-down model's detector
            images), called as ``transform(image=rgb, keypoints=(N, 2))``;
            ``None`` builds it from ``data.train`` (``detector.data.train``) in
            ``pytorch_config.yaml``. Keep the backbone's normalization (ImageNet
            statistics: ``A.Normalize()``'s defaults).
        transform_cropped: augmentation of the crops around each animal (top-down
            models), called the same way; ``None``: ``data.train``.
        modelprefix: folder (inside the project) that holds the model folders.
        snapshot_path: resume the pose model from this snapshot (model, optimizer,
            scheduler and epoch); ``resume_training_from`` in the config does the same.
        detector_path: resume a top-down model's detector from this ``snapshot-detector-*.pt``.
        load_head_weights: when resuming the pose model, also load the heads (False:
            backbone only, and training starts at epoch 0).
        pytorch_cfg_updates: ``{"dotted.key": value}`` overrides.
            Under ``torchrun`` the processes train one model with
            ``DistributedDataParallel``: ``batch_size`` is per process (the
            effective batch is ``batch_size x`` the number of processes; the
            learning rate is used as configured, see ``docs/clusters.md``), and
            only rank 0 writes snapshots, logs and ``learning_stats.csv``.
        **kwargs: more overrides: any ``pytorch_config.yaml`` entry by dotted key
            (``**{"train_settings.epochs": 5}``, or ``train_settings__epochs=5``),
            a top-level section, or a shortcut (``epochs``, ``batch_size``,
            ``save_epochs``, ``max_snapshots_to_keep``, ``eval_interval``,
            ``seed``, ``dataloader_workers``, ``device``; for top-down models
            ``detector_epochs``, ``detector_batch_size``, ``detector_save_epochs``).
            Overrides are saved into ``pytorch_config.yaml``. Epochs are final
            epoch counts: a resumed run trains the epochs that remain; 0 detector
            epochs (or 0 epochs) train only the other model of a top-down shuffle.

    Returns:
        The pose model's epochs and logged values; for top-down shuffles its
        ``detector`` attribute holds the detector's (None when it was not trained).

    Raises:
        ConfigError: unknown keys, TensorFlow-only arguments, detector arguments for a
            bottom-up model, or a bad config.
    """
    updates, detector_arguments = _collect_overrides(kwargs, pytorch_cfg_updates)
    model = TrainedModel.resolve(config, shuffle, trainingsetindex, modelprefix, select="none")
    # One run per train/ folder, from before anything is read for training until the last file is written.
    # Under torchrun, rank 0 holds it for all processes (the others write nothing; if rank 0 is refused,
    # torchrun stops them).
    main_process = from_environment().is_main
    with training_lock(model.shuffle.train_folder, model.shuffle.shuffle) if main_process else contextlib.nullcontext() as lock:
        if lock is not None and lock.previous is not None:
            get_logger().info(
                "Took over the lock of %s left by %s, which ended without releasing it.",
                model.shuffle.train_folder, lock.previous.describe(),
            )  # fmt: skip
        return _train_shuffle(
            model, shuffle, updates, detector_arguments, kwargs, transform, transform_cropped,
            snapshot_path, detector_path, load_head_weights,
        )  # fmt: skip


def training_lock(train_folder: Path, shuffle: int) -> FileLock:
    """The lock of ``train_folder`` (``.train.lock``): ``with training_lock(...):`` refuses a second run.

    Raises (on entering):
        InUseError: another ``train_network`` holds it; the message names its
            pid, host and start time.
    """
    return FileLock(
        train_folder / TRAINING_LOCK_FILENAME,
        purpose=f"train_network of shuffle {shuffle}",
        what=f"Training folder '{train_folder}'",
        advice=(
            "Nothing was changed. Wait for that run to finish (or stop it) before training this shuffle again, "
            "or create another shuffle to train a second model at the same time."
        ),
    )


def _train_shuffle(
    model: TrainedModel,
    shuffle: int,
    updates: dict[str, Any],
    detector_arguments: list[str],
    kwargs: dict[str, Any],
    transform: Callable[..., dict[str, Any]] | None,
    transform_cropped: Callable[..., dict[str, Any]] | None,
    snapshot_path: str | Path | None,
    detector_path: str | Path | None,
    load_head_weights: bool,
) -> TrainingResult:
    """``train_network`` once its folder is locked."""
    project = model.shuffle
    if is_top_down(model.pytorch_config):
        if "max_snapshots_to_keep" in kwargs and kwargs["max_snapshots_to_keep"] is not None:
            updates["detector.runner.snapshots.max_snapshots"] = kwargs["max_snapshots_to_keep"]
    elif detector_arguments:
        raise ConfigError(
            f"train_network argument(s) {detector_arguments} apply to top-down models (a detector); net_type "
            f"'{model.pytorch_config.get('net_type')}' of shuffle {shuffle} is bottom-up. Remove them."
        )
    pose_cfg = update_config(model.pytorch_config, updates, source=str(project.pose_config_path))
    source = f"'{project.pose_config_path}'" + (" with the overrides of train_network" if updates else "")
    validate_pytorch_config(pose_cfg, source)
    check_model_types(pose_cfg, source)

    with process_group(resolve_device(pose_cfg.get("device"))) as distributed:
        # In a function of its own, so that the models (and the process group they hold) are free to go
        # when the group is left.
        results = _train_in_group(
            project, pose_cfg, updates, transform, transform_cropped, snapshot_path, detector_path,
            load_head_weights, distributed,
        )  # fmt: skip
    result = results.get(POSE.name) or TrainingResult(last_epoch=0)
    result.detector = results.get(DETECTOR.name)
    return result


def _train_in_group(
    project: ShuffleData,
    pose_cfg: dict[str, Any],
    updates: dict[str, Any],
    transform: Callable[..., dict[str, Any]] | None,
    transform_cropped: Callable[..., dict[str, Any]] | None,
    snapshot_path: str | Path | None,
    detector_path: str | Path | None,
    load_head_weights: bool,
    distributed: DistributedContext,
) -> dict[str, TrainingResult]:
    """Build, check, then train each task of the shuffle (detector, pose model) inside the process group."""
    # Build and check everything first: bad input must leave the disk as it was.
    setups = build_shuffle_training(
        project, pose_cfg, transform, transform_cropped, snapshot_path, detector_path, load_head_weights,
        distributed=distributed, chosen=updated_keys(updates),
    )  # fmt: skip

    # Now write (rank 0): the overrides and the sizes the from-scratch recipe chose (inference must
    # see the pixels the model learned on), and keep the files of other runs out of this one's way.
    train_folder = project.train_folder
    written = {key: value for setup in setups if setup.recipe is not None for key, value in setup.recipe.written.items()}
    if distributed.is_main:
        _remove_litter(train_folder)
        if updates or written:
            write_pytorch_config(project.pose_config_path, update_config(pose_cfg, written))
        for setup in setups:
            _set_aside_other_runs(train_folder, after_epoch=setup.start_epoch, task=setup.task)
    distributed.barrier()

    results: dict[str, TrainingResult] = {}
    with _run_logger(train_folder, distributed) as log:
        for setup in setups:
            results[setup.task.name] = _train(setup, project.shuffle, train_folder, log)
    return results


@contextlib.contextmanager
def _run_logger(train_folder: Path, distributed: DistributedContext) -> Iterator[logging.Logger]:
    """Rank 0: the console and ``train.txt``; the other processes of a torchrun launch: silence."""
    if distributed.is_main:
        with file_logger(train_folder / TRAINING_LOG_FILENAME) as log:
            yield log
        return
    quiet = logging.getLogger(f"{LOGGER_NAME}.rank{distributed.rank}")
    quiet.propagate = False
    quiet.disabled = True
    yield quiet


def _remove_litter(train_folder: Path) -> None:
    """Remove temporary files of writes that a killed run left (the caller holds the folder's lock)."""
    removed = remove_leftover_temporary_files(train_folder)
    if removed:
        logging.getLogger("deeplabcut").info(
            "Removed %d temporary file(s) left in %s by an interrupted run: %s.",
            len(removed), train_folder, ", ".join(path.name for path in removed),
        )  # fmt: skip


def _train(setup: TrainingSetup, shuffle: int, train_folder: Path, log: logging.Logger) -> TrainingResult:
    """Run one model's training with a progress bar, epoch lines and its learning curve (rank 0)."""
    task = setup.task
    distributed = setup.distributed
    what = "" if task is POSE else f" {task.label} ({setup.model.__class__.__name__})"
    log.info(
        "Training shuffle %s (%s)%s on %s: %s",
        shuffle, setup.pytorch_config["net_type"], what, setup.device, train_folder.parent,
    )  # fmt: skip
    if distributed.world_size > 1:
        batch_size = int(task.section(setup.pytorch_config)["train_settings"].get("batch_size", 8))
        log.info(
            "DistributedDataParallel: %d processes x batch_size %d = %d images per step; learning rate %.2e as configured",
            distributed.world_size, batch_size, batch_size * distributed.world_size,
            setup.optimizer.param_groups[0]["lr"],
        )  # fmt: skip
    report = getattr(setup.model.backbone, "pretrained_report", None)
    if report is not None and report.from_scratch:
        log.warning("Backbone: %s", report)
    else:
        log.info("Backbone: %s", report if report is not None else "trained from scratch (pretrained: false)")
    if setup.recipe is not None and (setup.recipe.applied or setup.recipe.kept):
        log.info(setup.recipe.describe())
    log.info("Precision: %s", precision_description(setup.precision, setup.device))
    if setup.gradient_checkpointing:
        log.info(
            "Gradient checkpointing: on (%s): %d blocks recompute their activations in backward, for less "
            "memory and about 30%% more time per step; train_settings.gradient_checkpointing: false turns it off",
            setup.gradient_checkpointing_reason, len(setup.gradient_checkpointing),
        )
    epochs = setup.epochs
    if not distributed.is_main:  # no bar, no lines, no learning curve
        trainer = setup.build_trainer(train_folder)
        if setup.start_epoch >= epochs:
            return TrainingResult(last_epoch=setup.start_epoch)
        return trainer.fit(setup.train_loader, setup.test_loader, epochs=epochs, start_epoch=setup.start_epoch)
    reporter = ProgressReporter(
        log,
        total_epochs=epochs,
        curve=(train_folder / task.learning_stats_filename, train_folder / task.learning_curve_filename),
        label="Epoch" if task is POSE else f"{task.label.capitalize()} epoch",
        watch=TrainingWatch(epochs, model="pose model" if task is POSE else task.label),
    )
    if setup.start_epoch > 0:
        _restore_learning_stats(train_folder, task, setup.start_epoch, log)
    trainer = setup.build_trainer(train_folder, callbacks=reporter.callbacks())
    if setup.resumes:
        log.info("Resumed from %s (epoch %d)", setup.resume_from, setup.start_epoch)
    elif setup.checkpoint is not None:
        log.info("Started from the backbone weights of %s", setup.resume_from)

    if setup.start_epoch >= epochs:
        log.info("Nothing to train: the snapshot is at epoch %d and the %s's epochs are %d.", setup.start_epoch, task.label, epochs)
        return TrainingResult(last_epoch=setup.start_epoch)
    try:
        result = trainer.fit(setup.train_loader, setup.test_loader, epochs=epochs, start_epoch=setup.start_epoch)
    finally:
        reporter.close()
    log.info(
        "Training finished at epoch %d; %s-*.pt and %s are in %s",
        result.last_epoch, task.snapshot_prefix, task.learning_stats_filename, train_folder,
    )  # fmt: skip
    return result


def _restore_learning_stats(train_folder: Path, task: TrainingTask, start_epoch: int, log: logging.Logger) -> None:
    """Before resuming: rebuild the rows of epochs that have a snapshot but no row (a crash between the two)."""
    stats = train_folder / task.learning_stats_filename
    rebuilt = rebuild_missing_rows(stats, task.snapshot_prefix, start_epoch)
    if rebuilt:
        log.warning(
            "%s lacked the row(s) of epoch(s) %s; rebuilt them from the metadata of their snapshots.",
            stats.name, ", ".join(map(str, rebuilt)),
        )  # fmt: skip


def _collect_overrides(kwargs: dict[str, Any], pytorch_cfg_updates: dict[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """``({dotted key: value}, [detector arguments given])`` from ``train_network``'s keyword arguments."""
    updates: dict[str, Any] = dict(pytorch_cfg_updates or {})
    detector_arguments = []
    for key, value in kwargs.items():
        if key in IGNORED:
            continue
        if key in TENSORFLOW_ONLY:
            raise ConfigError(
                f"train_network argument '{key}' has no meaning in this PyTorch engine (it belongs to "
                f"DeepLabCut's TensorFlow one); use {TENSORFLOW_ONLY[key]}."
            )
        if value is None and (key in SHORTCUTS or key in DETECTOR_SHORTCUTS):
            continue
        if key in DETECTOR_SHORTCUTS:
            detector_arguments.append(key)
            updates[DETECTOR_SHORTCUTS[key]] = value
            continue
        updates[SHORTCUTS.get(key, key.replace("__", "."))] = value
    return updates, detector_arguments


def _set_aside_other_runs(train_folder: Path, after_epoch: int, task: TrainingTask = POSE) -> None:
    """Move one model's snapshots of other runs (those after ``after_epoch``) and their logs into ``previous-run-<time>/``.

    A new run (``after_epoch`` 0) moves every snapshot of the task's prefix, its
    learning statistics and its learning curve; a resumed run moves only
    snapshots newer than the one it resumes from, so that no later file of
    another run is mistaken for this run's (or deleted by the ``max_snapshots``
    rule), and keeps a copy of the statistics when they have rows past the
    resumed epoch (the resumed run replaces them). The other model's files (a
    top-down shuffle's detector or pose model) are left alone. Nothing is ever deleted.
    """
    old = [s.path for s in list_snapshots(train_folder, task.snapshot_prefix) if s.epoch > after_epoch]
    stats = train_folder / task.learning_stats_filename
    copied = []
    if after_epoch == 0:
        old += [
            train_folder / name
            for name in (task.learning_stats_filename, task.learning_curve_filename)
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
    resume_argument = "snapshot_path" if task is POSE else "detector_path"
    if old:
        log.warning(
            "%d file(s) of an earlier %s run were moved to %s (pass %s=... to resume instead).",
            len(old), task.label, archive, resume_argument,
        )  # fmt: skip
    if copied:
        log.warning(
            "The %s learning statistics of the run that went past epoch %d were copied to %s.",
            task.label, after_epoch, archive,
        )  # fmt: skip
