"""A training run built from a shuffle's ``pytorch_config.yaml``: model, data loaders, optimizer, schedule, trainer.

:func:`build_training` builds and checks one model's run (the pose model, or
a top-down model's detector: a :class:`~.tasks.TrainingTask`) without writing
a file, so that bad input leaves the disk as it was;
:func:`build_shuffle_training` builds every run a ``train_network`` call
makes, in order (a top-down shuffle's detector, then its pose model on
crops). :meth:`TrainingSetup.build_trainer` then opens the training folder
(snapshots, learning statistics) and restores a resumed run.

Under ``torchrun`` (a :class:`~..runtime.DistributedContext` with several
processes) each process builds the same run; its loader draws this process's
share of every epoch's permutation (``DistributedSampler``), ``batch_size`` is
per process, and the trainer wraps the model in ``DistributedDataParallel``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, DistributedSampler

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.pose_config import is_top_down
from deeplabcut.pose_estimation_pytorch.config.make_config import crop_size_for_side, video_sizes
from deeplabcut.pose_estimation_pytorch.config.recipes import (
    RecipeChoice,
    apply_recipe,
    choose_downscale,
    choose_recipe,
    choose_schedule,
    declared_cpu_batch,
    declared_downscale,
    declared_recipe,
    declared_schedule,
    keep_large_batch,
    recipe_enabled,
    with_downscale,
    with_values,
)
from deeplabcut.pose_estimation_pytorch.data import CroppedPoseDataset, DetectorDataset, PoseTrainDataset, ShuffleData
from deeplabcut.pose_estimation_pytorch.data.normalization import Normalization
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.models.detectors import build_detector
from deeplabcut.pose_estimation_pytorch.models.modules.checkpoint import activation_bytes_per_image
from deeplabcut.pose_estimation_pytorch.runtime import (
    SINGLE_PROCESS,
    DistributedContext,
    autocast_dtype,
    available_memory_bytes,
    fix_seeds,
    load_snapshot,
    resolve_device,
)
from deeplabcut.pose_estimation_pytorch.train_module.evaluators import BoxEvaluator, Evaluator, PoseEvaluator
from deeplabcut.pose_estimation_pytorch.train_module.logger import CSVLogger
from deeplabcut.pose_estimation_pytorch.train_module.schedulers import build_optimizer, build_scheduler
from deeplabcut.pose_estimation_pytorch.train_module.snapshots import SnapshotManager
from deeplabcut.pose_estimation_pytorch.train_module.tasks import DETECTOR, POSE, TrainingTask
from deeplabcut.pose_estimation_pytorch.train_module.trainer import PoseTrainer, TrainerCallbacks

#: Snapshot ``metadata`` key of the from-scratch recipe values a run trained with (``{dotted key: value}``).
RECIPE_METADATA_KEY = "from_scratch_recipe"


@dataclass
class TrainingSetup:
    """Everything a training run needs, built from the config; nothing written yet.

    Attributes:
        pytorch_config: the (updated) ``pytorch_config.yaml`` the run follows, with the
            from-scratch recipe's values (``recipe.applied``) in the task's section.
        device: where the model and batches live.
        model: the model (a ``PoseModel``, or a detector with the same contract), on
            ``device`` in ``channels_last`` memory format, with the resumed snapshot's
            weights loaded when there is one.
        train_loader, test_loader: the train split (augmented, shuffled) and the test
            split (inference transform; batch size 1, or the training batch size for
            fixed-size crops); no test loader without test images.
        optimizer, scheduler: from the task's ``runner`` section.
        evaluators: compute the validation metrics.
        epochs: the final epoch count (the task's ``train_settings.epochs``).
        seed: ``train_settings.seed``.
        resume_from: the snapshot resumed from (``snapshot_path`` or ``resume_training_from``).
        checkpoint: its contents.
        load_head_weights: whether the whole model was resumed (else only its backbone).
        task: which model of the shuffle (its config section and file names).
        distributed: this process's rank among the processes training the model
            (rank 0 of 1 outside torchrun).
        recipe: the from-scratch recipe's values the run applied and the user's values it kept
            (``config.recipes``); None when the backbone starts from trained weights.
        gradient_checkpointing: the submodules that recompute their activations in
            backward (``train_settings.gradient_checkpointing``); empty when off.
        gradient_checkpointing_reason: why it is on ("" when off).
    """

    pytorch_config: dict[str, Any]
    device: torch.device
    model: torch.nn.Module
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
    task: TrainingTask = POSE
    distributed: DistributedContext = SINGLE_PROCESS
    recipe: RecipeChoice | None = None
    gradient_checkpointing: list[str] = field(default_factory=list)
    gradient_checkpointing_reason: str = ""

    @property
    def precision(self) -> torch.dtype | None:
        """The autocast dtype of ``runner.mixed_precision`` on :attr:`device` (None: float32)."""
        runner = self.task.section(self.pytorch_config)["runner"]
        return autocast_dtype(runner.get("mixed_precision", "auto"), self.device)

    @property
    def resumes(self) -> bool:
        """True when the run continues a snapshot (weights, optimizer, schedule and epoch)."""
        return self.checkpoint is not None and self.load_head_weights

    @property
    def start_epoch(self) -> int:
        """The epoch training continues after: the snapshot's when resuming, else 0."""
        return int(self.checkpoint["metadata"].get("epoch", 0)) if self.resumes else 0  # type: ignore[index]

    def build_trainer(self, train_folder: str | Path, callbacks: TrainerCallbacks | None = None) -> PoseTrainer:
        """The trainer writing snapshots (``<task prefix>-<epoch>.pt``) and the task's
        learning statistics (``learning_stats.csv``, ``learning_stats_detector.csv``) into ``train_folder``.

        Reads what the folder already holds (the best snapshot's key metric, the
        logged rows) and, when resuming, restores the optimizer and schedule.
        Under torchrun every process builds one; only rank 0's writes.
        """
        train_folder = Path(train_folder)
        runner = self.task.section(self.pytorch_config)["runner"]
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
                prefix=self.task.snapshot_prefix,
            ),
            logger=CSVLogger(train_folder / self.task.learning_stats_filename),
            eval_interval=runner.get("eval_interval", 10),
            autocast_dtype=self.precision,
            seed=self.seed,
            evaluators=self.evaluators,
            save_optimizer_state=bool(snapshots_cfg.get("save_optimizer_state", True)),
            callbacks=callbacks,
            extra_state={
                "net_type": self.pytorch_config["net_type"],
                RECIPE_METADATA_KEY: dict(self.recipe.applied) if self.recipe is not None else {},
            },
            distributed=self.distributed,
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
    task: TrainingTask = POSE,
    distributed: DistributedContext = SINGLE_PROCESS,
    chosen: Collection[str] = (),
) -> TrainingSetup:
    """Build one model's training run from the shuffle's ``pytorch_config``; writes nothing.

    Seeds every generator with ``train_settings.seed`` first, so the model's
    initial weights and the data order are reproducible.

    When the backbone starts from random weights (no pretrained weights loaded, no
    snapshot's backbone), the net type's from-scratch recipe (``config.recipes``) is
    applied to the task's settings before the data, optimizer and schedule are built,
    except values the user set (in the file, or ``chosen``) and unless
    ``train_settings.from_scratch_recipe`` is false; a resumed run applies the values
    its snapshot records.

    What the model sees depends on ``task`` and the net type:

    * pose model, bottom-up: whole images (:class:`PoseTrainDataset`);
    * pose model, top-down: one ``top_down_crop`` per labeled animal, cut around
      its keypoints' box (:class:`CroppedPoseDataset`); validated on the test
      images' ground-truth boxes, predictions mapped back to the images;
    * detector (``task=DETECTOR``, settings from the ``detector`` section): whole
      images, resized as ``detector.data`` says, with a box per animal
      (:class:`DetectorDataset`); validated with box mAP (:class:`BoxEvaluator`).

    Args:
        shuffle: the shuffle's labels and split.
        pytorch_config: its ``pytorch_config.yaml`` (with any overrides applied).
        transform: augmentation of training items (images, crops or detector images)
            instead of the section's ``data.train``.
        snapshot_path: resume from this snapshot (default: the section's ``resume_training_from``).
        load_head_weights: when resuming, load the whole model (False: only the backbone,
            and training starts at epoch 0).
        evaluators: validation metrics (default: :class:`PoseEvaluator` with
            ``inference.eval.pcutoff``, 0.6 when unset; :class:`BoxEvaluator` for a detector).
        task: :data:`~.tasks.POSE` or :data:`~.tasks.DETECTOR`.
        distributed: this process's rank and the number of processes (torchrun);
            each process then sees ``1 / world_size`` of every epoch's images in
            batches of ``train_settings.batch_size``, and with
            ``train_settings.sync_batchnorm`` batch norm uses the statistics of
            the whole batch (GPUs only).
        chosen: dotted keys of ``pytorch_config`` the caller's arguments set (``train_network(batch_size=8)``):
            the recipe keeps their values even where they equal the template's.

    Raises:
        ConfigError: a bad device, augmentation, optimizer or schedule, no detector section,
            or ``sync_batchnorm`` for processes training on the CPU.
        ModelError: the snapshot does not fit the model.
    """
    section = task.section(pytorch_config)
    settings = section["train_settings"]
    runner = section["runner"]
    seed = int(settings.get("seed", 42))
    fix_seeds(seed)
    device = resolve_device(pytorch_config.get("device"))
    model = _build_model(task, section)
    if _sync_batchnorm(settings, device, distributed, task):
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(device, memory_format=torch.channels_last)
    resume = snapshot_path or section.get("resume_training_from")
    checkpoint = None
    if resume is not None:
        checkpoint = load_snapshot(model, resume, load_head_weights, map_location=device)
    recipe = _choose_recipe(
        task, pytorch_config, section, model, checkpoint, load_head_weights, shuffle, device, chosen, distributed.world_size
    )
    if recipe is not None and recipe.applied:
        pytorch_config = _with_recipe(task, pytorch_config, recipe.applied)
        section = task.section(pytorch_config)
        settings, runner = section["train_settings"], section["runner"]
    normalization = model.backbone.normalization  # the statistics the backbone's weights expect
    train_set, test_set = _datasets(task, shuffle, pytorch_config, transform, seed, normalization)
    precision = autocast_dtype(runner.get("mixed_precision", "auto"), device)
    checkpointing, checkpointing_reason = _gradient_checkpointing(settings, device, model, task, precision, train_set)
    workers = dataloader_workers(settings.get("dataloader_workers", 0), device)
    batch_size = int(settings.get("batch_size", 8))
    # Epoch e's order is a permutation seeded with seed + e (the trainer calls set_epoch);
    # process r of n takes its items r, r + n, ...: with one process, the whole permutation.
    sampler = DistributedSampler(
        train_set, num_replicas=distributed.world_size, rank=distributed.rank, shuffle=True, seed=seed
    ) if len(train_set) else None  # fmt: skip
    per_process = sampler.num_samples if sampler is not None else 0
    train_loader = DataLoader(
        train_set,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=workers,
        pin_memory=bool(settings.get("dataloader_pin_memory", False)) and device.type == "cuda",
        drop_last=per_process > batch_size,
        generator=torch.Generator().manual_seed(seed),
        worker_init_fn=_seed_worker if workers else None,
        persistent_workers=False,
    )
    fixed_size = isinstance(test_set, CroppedPoseDataset)  # crops stack; whole images may differ in size
    test_loader = DataLoader(test_set, batch_size=batch_size if fixed_size else 1, shuffle=False) if len(test_set) else None
    optimizer = build_optimizer(model.parameters(), runner["optimizer"])
    scheduler = build_scheduler(optimizer, runner.get("scheduler"))
    if evaluators is None:
        evaluators = _default_evaluators(task, shuffle, pytorch_config, model)
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
        task=task,
        distributed=distributed,
        recipe=recipe,
        gradient_checkpointing=checkpointing,
        gradient_checkpointing_reason=checkpointing_reason,
    )


#: ``train_settings.gradient_checkpointing: auto`` turns it on when training on the CPU and a batch's
#: activations would take more than this share of the memory available (:func:`_gradient_checkpointing`).
AUTO_CHECKPOINTING_SHARE = 1 / 8


def _gradient_checkpointing(
    settings: dict[str, Any],
    device: torch.device,
    model: torch.nn.Module,
    task: TrainingTask,
    precision: torch.dtype | None,
    train_set: PoseTrainDataset,
) -> tuple[list[str], str]:
    """Turn on ``train_settings.gradient_checkpointing`` if asked or chosen.

    ``auto`` chooses it only where it pays: when training on the CPU, where training
    memory is the machine's RAM, and the activations of a batch (bytes per image
    measured on batches of one and two images of the first training item's size,
    times the batch size) would take more than :data:`AUTO_CHECKPOINTING_SHARE` of
    the memory available (``runtime.available_memory_bytes``, a cgroup's limit
    included). Side by side with DeepLabCut (``benchmarks/side_by_side.py``,
    ``dekr_32``, 448x448, batch 8, bf16, 2 cores), where it is on: training peak PSS
    5885 -> 3408 MiB, images/s 1.72 -> 1.26. Small images and narrow models train as
    fast as they can. On a GPU it is off unless asked for.

    Returns:
        The submodules that recompute, and why it is on (both empty when off).

    Raises:
        ConfigError: neither true, false nor ``auto``.
    """
    value = settings.get("gradient_checkpointing", "auto")
    if value not in ("auto", True, False):
        raise ConfigError(
            f"train_settings.gradient_checkpointing of the {task.label} must be true, false or 'auto', not {value!r}."
        )
    if not value or not hasattr(model, "set_gradient_checkpointing"):
        return [], ""
    why = "train_settings.gradient_checkpointing: true"
    if value == "auto":
        if device.type != "cpu" or not len(train_set):
            return [], ""
        available = available_memory_bytes()
        why = "auto, training on the CPU"
        if available is not None:
            image_size = tuple(int(n) for n in train_set[0]["image"].shape[-2:])
            needed = activation_bytes_per_image(model, image_size, device, precision) * int(settings.get("batch_size", 8))
            if needed <= AUTO_CHECKPOINTING_SHARE * available:
                return [], ""
            why = (
                f"auto: a batch's activations, about {needed / 2**30:.1f} GiB, exceed 1/{round(1 / AUTO_CHECKPOINTING_SHARE)} "
                f"of the {available / 2**30:.1f} GiB of memory available"
            )
    return model.set_gradient_checkpointing(True), why


def _choose_recipe(
    task: TrainingTask,
    pytorch_config: dict[str, Any],
    section: dict[str, Any],
    model: torch.nn.Module,
    checkpoint: dict[str, Any] | None,
    load_head_weights: bool,
    shuffle: ShuffleData,
    device: torch.device,
    chosen: Collection[str] = (),
    processes: int = 1,
) -> RecipeChoice | None:
    """The from-scratch recipe of this run, or None when its backbone starts from trained weights.

    A resumed run takes the values its snapshot records (so that it trains as it
    started, whatever weights could be had today or wherever it resumes); older snapshots
    without the record, and new runs, decide from the backbone's pretrained-weights report.
    A run on the CPU also gets the template's ``from_scratch_cpu`` values; a new pose-model run
    keeps its configured batch when each of the ``processes`` already makes enough steps per
    epoch with it (``recipes.keep_large_batch``). A pose model's
    learning-rate drops (``recipes.choose_schedule``) follow the epochs of this run. A new pose-model
    run on the CPU also gets its template's downscale (``recipes.choose_downscale``),
    which the caller writes into ``pytorch_config.yaml`` (``RecipeChoice.written``).
    """
    net_type = str(pytorch_config.get("net_type", ""))
    recipe, defaults = declared_recipe(net_type, detector=task is DETECTOR, cpu=device.type == "cpu")
    if checkpoint is not None and not load_head_weights:
        return None  # the backbone starts from the snapshot's trained weights
    recorded = checkpoint.get("metadata", {}).get(RECIPE_METADATA_KEY) if checkpoint is not None else None
    if isinstance(recorded, dict):  # its CPU values too, wherever it resumes
        _, defaults = declared_recipe(net_type, detector=task is DETECTOR, cpu=True)
        recipe = {key: value for key, value in recorded.items() if key in defaults}
    elif not backbone_from_scratch(model):
        return None
    prefix = f"{task.config_key}." if task.config_key is not None else ""
    yours = {key[len(prefix) :] for key in chosen if key.startswith(prefix)}  # relative to the section
    choice = choose_recipe(section, net_type, recipe, defaults, chosen=yours)
    if task is POSE and not isinstance(recorded, dict):  # a resumed run's record already holds its batch, or not
        train_images = -(-len(shuffle.split_indices["train"]) // max(processes, 1))  # per process, as the sampler splits
        choice = keep_large_batch(choice, declared_cpu_batch(net_type), train_images)
    schedule, schedule_defaults = declared_schedule(net_type) if task is POSE else (None, {})
    # recomputed from this run's epochs, a resumed run's too; a snapshot that records no values may
    # come from a pretrained backbone (its record is empty as well), so it resumes without drops
    if schedule and (not isinstance(recorded, dict) or recorded):
        drops = choose_schedule(apply_recipe(section, choice.applied), net_type, schedule, schedule_defaults, yours)
        choice = with_values(choice, drops)
    declared = declared_downscale(net_type)
    if checkpoint is None and task is POSE and device.type == "cpu" and declared and recipe_enabled(section):
        keypoints = shuffle.split("train").keypoints
        downscale = choose_downscale(section, declared, keypoints, video_sizes(shuffle.cfg), crop_size_for_side)
        choice = with_downscale(choice, downscale)
    return choice


def backbone_from_scratch(model: torch.nn.Module) -> bool:
    """Whether the model's backbone holds random weights: ``pretrained: false``, or no weights could be had.

    Reads the backbone's ``pretrained_report`` (``models.weights.LoadReport``): None means
    nothing was loaded; a report with ``from_scratch`` says why ``pretrained: true`` found none.
    """
    backbone = getattr(model, "backbone", None)
    report = getattr(backbone, "pretrained_report", None)
    return report is None or bool(report.from_scratch)


def _with_recipe(task: TrainingTask, pytorch_config: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``pytorch_config`` with the recipe's dotted keys set in the task's section."""
    if task.config_key is None:
        return apply_recipe(pytorch_config, values)
    return {**pytorch_config, task.config_key: apply_recipe(pytorch_config[task.config_key], values)}


def _sync_batchnorm(
    settings: dict[str, Any], device: torch.device, distributed: DistributedContext, task: TrainingTask
) -> bool:
    """Whether to convert batch norm to ``SyncBatchNorm`` (``train_settings.sync_batchnorm``, default false).

    Raises:
        ConfigError: asked for while several processes train on the CPU (torch syncs on GPUs only).
    """
    value = settings.get("sync_batchnorm", False)
    if not isinstance(value, bool):
        raise ConfigError(f"train_settings.sync_batchnorm of the {task.label} must be true or false, not {value!r}.")
    if not value or distributed.world_size == 1:
        return False
    if device.type != "cuda":
        raise ConfigError(
            f"train_settings.sync_batchnorm is true but the {task.label} trains on {device}: PyTorch synchronizes "
            "batch norm on GPUs only. Set train_settings.sync_batchnorm: false in pytorch_config.yaml to train on the CPU."
        )
    return True


def build_shuffle_training(
    shuffle: ShuffleData,
    pytorch_config: dict[str, Any],
    transform: Callable[..., dict[str, Any]] | None = None,
    transform_cropped: Callable[..., dict[str, Any]] | None = None,
    snapshot_path: str | Path | None = None,
    detector_path: str | Path | None = None,
    load_head_weights: bool = True,
    distributed: DistributedContext = SINGLE_PROCESS,
    chosen: Collection[str] = (),
) -> list[TrainingSetup]:
    """Every training run of a shuffle, in order, built and checked; writes nothing.

    Bottom-up net types: the pose model on whole images (``transform``,
    ``snapshot_path``). Top-down net types: the detector when
    ``detector.train_settings.epochs`` > 0 (augmented by ``transform``, resumed
    from ``detector_path``), then the pose model on crops when
    ``train_settings.epochs`` > 0 (augmented by ``transform_cropped``, resumed
    from ``snapshot_path``). ``distributed`` and ``chosen``: see :func:`build_training`.

    Raises:
        ConfigError: ``detector_path`` or ``transform_cropped`` for a bottom-up model; a
            snapshot to resume for a model with 0 epochs; both epochs 0; anything
            :func:`build_training` raises.
        ModelError: a snapshot does not fit its model.
    """
    if not is_top_down(pytorch_config):
        if detector_path is not None or transform_cropped is not None:
            raise ConfigError(
                f"detector_path and transform_cropped apply to top-down models only; net_type "
                f"'{pytorch_config.get('net_type')}' is bottom-up (augment its images with transform=...)."
            )
        return [
            build_training(
                shuffle, pytorch_config, transform, snapshot_path, load_head_weights, distributed=distributed, chosen=chosen
            )
        ]
    runs = ((DETECTOR, transform, detector_path, "detector_path", "detector_epochs"),
            (POSE, transform_cropped, snapshot_path, "snapshot_path", "epochs"))  # fmt: skip
    setups = []
    for task, task_transform, resume, resume_name, epochs_name in runs:
        if task.epochs(pytorch_config) > 0:
            setups.append(
                build_training(
                    shuffle, pytorch_config, task_transform, resume,
                    load_head_weights if task is POSE else True, task=task, distributed=distributed,
                    chosen=chosen,
                )  # fmt: skip
            )
        elif resume is not None:
            raise ConfigError(
                f"{resume_name} resumes the {task.label}, but its epochs are 0 ({epochs_name}=0); "
                f"give {epochs_name} > 0 (the final epoch count)."
            )
    if not setups:
        raise ConfigError(
            "Nothing to train: the detector's and the pose model's epochs are both 0 "
            "(detector_epochs / detector.train_settings.epochs and epochs / train_settings.epochs)."
        )
    return setups


def _build_model(task: TrainingTask, section: dict[str, Any]) -> torch.nn.Module:
    if task is DETECTOR:
        return build_detector(section["model"])
    return PoseModel.build(section["model"])


def _datasets(
    task: TrainingTask,
    shuffle: ShuffleData,
    pytorch_config: dict[str, Any],
    transform: Callable[..., dict[str, Any]] | None,
    seed: int,
    normalization: Normalization,
) -> tuple[PoseTrainDataset, PoseTrainDataset]:
    """Train (augmented) and test (inference transform) datasets of the task."""
    if task is DETECTOR:
        dataset_type: type[PoseTrainDataset] = DetectorDataset
    elif is_top_down(pytorch_config):
        dataset_type = CroppedPoseDataset
    else:
        dataset_type = PoseTrainDataset
    train_set = dataset_type(
        shuffle, "train", transform=transform, augment=True, pytorch_config=pytorch_config, seed=seed, normalization=normalization
    )
    test_set = dataset_type(shuffle, "test", augment=False, pytorch_config=pytorch_config, normalization=normalization)
    return train_set, test_set


def _default_evaluators(
    task: TrainingTask, shuffle: ShuffleData, pytorch_config: dict[str, Any], model: torch.nn.Module
) -> list[Evaluator]:
    if task is DETECTOR:
        return [BoxEvaluator(max_individuals=getattr(model, "max_individuals", None))]
    pcutoff = float(pytorch_config.get("inference", {}).get("eval", {}).get("pcutoff", 0.6))
    return [PoseEvaluator(pcutoff=pcutoff, single_animal=not shuffle.multianimal)]


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
