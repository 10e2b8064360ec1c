"""The training loop: epochs of optimisation, periodic validation, snapshots and logs.

The trainer never prints; it reports through :class:`TrainerCallbacks`, which
the API layer turns into a progress bar and log lines. It does not know what
the model predicts: validation metrics come from pluggable evaluators
(:mod:`.evaluators`). ``builder.build_training`` assembles a trainer from a
``pytorch_config.yaml``.

Under ``torchrun`` every process runs the same trainer on its share of each
epoch (:class:`~..runtime.DistributedContext`): the model is wrapped in
``DistributedDataParallel`` (gradients averaged over the processes), and rank 0
alone validates, writes snapshots and ``learning_stats.csv`` and reports.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils.data import DataLoader

from deeplabcut.errors import ModelError, TrainingDivergedError
from deeplabcut.pose_estimation_pytorch.runtime.distributed import SINGLE_PROCESS, DistributedContext
from deeplabcut.pose_estimation_pytorch.runtime.precision import autocast
from deeplabcut.pose_estimation_pytorch.train_module.evaluators import Evaluator
from deeplabcut.pose_estimation_pytorch.train_module.logger import CSVLogger
from deeplabcut.pose_estimation_pytorch.train_module.snapshots import SnapshotManager


@dataclass
class TrainerCallbacks:
    """Hooks for progress reporting (all optional).

    ``on_epoch_start(epoch, num_batches)``, ``on_batch(epoch, batch_index, loss)``,
    ``on_epoch_end(epoch, record)`` where ``record`` has ``losses/train.*``,
    ``learning_rate``, ``seconds``, ``images_per_second`` and, on validation
    epochs, ``losses/eval.*`` and ``metrics/test.*``.
    """

    on_epoch_start: Callable[[int, int], None] | None = None
    on_batch: Callable[[int, int, float], None] | None = None
    on_epoch_end: Callable[[int, dict[str, float]], None] | None = None


@dataclass
class TrainingResult:
    """What :meth:`PoseTrainer.fit` returns.

    Attributes:
        last_epoch: the last epoch trained (or resumed from).
        history: per epoch, the logged values.
        detector: for a top-down shuffle trained by ``train_network``, the
            detector's result (None when the detector was not trained).
    """

    last_epoch: int
    history: dict[int, dict[str, float]] = field(default_factory=dict)
    detector: TrainingResult | None = None


def _move(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    """Tensors of ``batch`` on ``device``; images in channels-last layout (faster convolutions on CPU and GPU)."""
    moved = {k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
    moved["image"] = moved["image"].contiguous(memory_format=torch.channels_last)
    return moved


class PoseTrainer:
    """Trains a ``PoseModel`` or a detector (same contract, see ``docs/architecture.md``).

    Args:
        model: the model, already on ``device`` (and best in ``channels_last`` memory format).
        optimizer, scheduler: from the ``runner`` section (the scheduler steps once per epoch).
        device: where batches go.
        snapshots: decides which snapshots to write.
        logger: ``learning_stats.csv``.
        eval_interval: validate every this many epochs (and at the last epoch).
        autocast_dtype: mixed-precision dtype, or None for full precision.
        seed: base seed; epoch ``e`` draws its data order and augmentation from ``seed + e``,
            so a resumed run repeats exactly what an uninterrupted one would do.
        evaluators: compute the validation metrics (``metrics/test.<name>``) from the
            model's predictions; none: validation logs losses only.
        save_optimizer_state: store the optimizer in snapshots (needed for exact resumes).
        callbacks: progress hooks.
        distributed: this process's rank among those training the model (torchrun). With
            several, ``model`` is trained through ``DistributedDataParallel`` and only rank 0
            validates, writes files and calls ``on_epoch_end``; losses and images/s are
            over all processes.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        scheduler: torch.optim.lr_scheduler.LRScheduler | None,
        device: torch.device,
        snapshots: SnapshotManager,
        logger: CSVLogger,
        eval_interval: int = 10,
        autocast_dtype: torch.dtype | None = None,
        seed: int = 42,
        evaluators: Sequence[Evaluator] = (),
        save_optimizer_state: bool = True,
        callbacks: TrainerCallbacks | None = None,
        extra_state: dict[str, Any] | None = None,
        distributed: DistributedContext = SINGLE_PROCESS,
    ) -> None:
        self.model = model
        self.distributed = distributed
        # What the training steps call: the model itself, or its DDP wrapper (which averages gradients).
        self.train_model: torch.nn.Module = model
        if distributed.active:
            # Some weights take no part in the loss (an HRNet stage a top-down model does not read, a
            # head without labels in the batch): DDP must look for them at every step.
            device_ids = [device] if device.type == "cuda" else None
            self.train_model = torch.nn.parallel.DistributedDataParallel(
                model, device_ids=device_ids, find_unused_parameters=True
            )
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.device = device
        self.snapshots = snapshots
        self.logger = logger
        self.eval_interval = max(1, int(eval_interval))
        self.autocast_dtype = autocast_dtype
        self.seed = int(seed)
        self.evaluators = list(evaluators)
        self.save_optimizer_state = save_optimizer_state
        self.callbacks = callbacks or TrainerCallbacks()
        self.extra_state = extra_state or {}
        use_scaler = autocast_dtype == torch.float16 and device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=use_scaler)

    # -- checkpoints ---------------------------------------------------------
    def checkpoint(
        self, epoch: int, metrics: dict[str, float], losses: dict[str, float], logged: dict[str, float] | None = None
    ) -> dict[str, Any]:
        """The snapshot dict: ``metadata``, ``model``, ``scheduler`` and (optionally) ``optimizer``.

        ``metadata["learning_stats"]`` holds the epoch's row of the learning
        statistics (``logged``), so that a row lost to a crash between the
        snapshot and the row can be rebuilt (``logger.rebuild_missing_rows``).
        """
        metadata = {"epoch": int(epoch), "metrics": dict(metrics), "losses": dict(losses), **self.extra_state}
        if logged is not None:
            metadata["learning_stats"] = {name: float(value) for name, value in logged.items()}
        state: dict[str, Any] = {
            "metadata": metadata,
            "model": self.model.state_dict(),
        }
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        if self.save_optimizer_state:
            state["optimizer"] = self.optimizer.state_dict()
        return state

    def restore(self, checkpoint: dict[str, Any], source: Any = "the snapshot") -> int:
        """Resume from a snapshot whose weights are already in the model (see ``runtime.load_snapshot``).

        Restores the optimizer moments and the schedule's position. The learning
        rate follows the *configured* optimizer and schedule, replayed up to the
        snapshot's epoch: resuming with an unchanged config continues exactly
        where the run stopped, and a learning rate or schedule changed for the
        resumed run takes effect. Returns the snapshot's epoch.

        Raises:
            ModelError: the optimizer state does not fit the model's parameters.
        """
        epoch = int(checkpoint.get("metadata", {}).get("epoch", 0))
        configured_lrs = [group["lr"] for group in self.optimizer.param_groups]
        if "optimizer" in checkpoint:
            try:
                self.optimizer.load_state_dict(checkpoint["optimizer"])
            except ValueError as err:
                raise ModelError(f"The optimizer state in {source} does not fit this model's parameters: {err}.") from err
            for group, lr in zip(self.optimizer.param_groups, configured_lrs):
                group["lr"] = lr
                group["initial_lr"] = lr
        if self.scheduler is not None:
            with warnings.catch_warnings():  # stepping a schedule without optimizer steps is intended here
                warnings.simplefilter("ignore", UserWarning)
                for _ in range(epoch):
                    self.scheduler.step()
        return epoch

    # -- loop ----------------------------------------------------------------
    def _seed_epoch(self, loader: DataLoader, epoch: int) -> None:
        sampler = getattr(loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)  # the epoch's permutation: seed + epoch, the same on every process
        rank_offset = 100_003 * self.distributed.rank  # other processes augment their items with other draws
        generator = getattr(loader, "generator", None)
        if generator is not None:
            generator.manual_seed(self.seed + epoch + rank_offset)
        torch.manual_seed(self.seed + epoch + rank_offset)
        dataset = loader.dataset
        if hasattr(dataset, "set_epoch_seed") and loader.num_workers == 0:
            dataset.set_epoch_seed(self.seed + 1000 * epoch + rank_offset)

    def train_epoch(self, loader: DataLoader, epoch: int) -> tuple[dict[str, float], int]:
        """One pass over ``loader``; returns the mean losses and the number of images (of all processes)."""
        self.train_model.train()
        self._seed_epoch(loader, epoch)
        sums: dict[str, float] = {}
        batches, images = 0, 0
        if self.callbacks.on_epoch_start:
            self.callbacks.on_epoch_start(epoch, len(loader))
        for index, batch in enumerate(loader):
            batch = _move(batch, self.device)
            self.optimizer.zero_grad(set_to_none=True)
            with autocast(self.device, self.autocast_dtype):
                outputs = self.train_model(batch["image"])
            outputs = _to_float(outputs)  # losses in float32 whatever the autocast dtype
            targets = self.model.get_targets(batch)
            losses = self.model.get_loss(outputs, targets)
            total = losses["total_loss"]
            if not torch.isfinite(total):
                raise TrainingDivergedError(
                    f"The training loss became {total.item()} at epoch {epoch}, batch {index}. Lower the "
                    "learning rate (runner.optimizer.params.lr) or disable mixed precision."
                )
            self.scaler.scale(total).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            for name, value in losses.items():
                sums[name] = sums.get(name, 0.0) + float(value.detach())
            batches += 1
            images += int(batch["image"].shape[0])
            if self.callbacks.on_batch:
                self.callbacks.on_batch(epoch, index, float(total.detach()))
        means = self.distributed.mean({f"losses/train.{name}": value / max(batches, 1) for name, value in sums.items()})
        return means, images * self.distributed.world_size

    @torch.no_grad()
    def evaluate(self, loader: Iterable[dict[str, Any]]) -> dict[str, float]:
        """Validation losses (``losses/eval.*``) and the evaluators' metrics (``metrics/test.*``)."""
        self.model.eval()
        sums: dict[str, float] = {}
        batches = 0
        for evaluator in self.evaluators:
            evaluator.reset()
        for batch in loader:
            batch = _move(batch, self.device)
            with autocast(self.device, self.autocast_dtype):
                outputs = self.model(batch["image"])
            outputs = _to_float(outputs)
            losses = self.model.get_loss(outputs, self.model.get_targets(batch))
            for name, value in losses.items():
                sums[name] = sums.get(name, 0.0) + float(value)
            batches += 1
            if self.evaluators:
                predictions = self.model.predict(outputs)
                for evaluator in self.evaluators:
                    evaluator.update(batch, predictions)
        record = {f"losses/eval.{name}": value / max(batches, 1) for name, value in sums.items()}
        for evaluator in self.evaluators:
            for name, value in evaluator.compute().items():
                record[f"metrics/test.{name}"] = float(value)
        return record

    def fit(
        self,
        train_loader: DataLoader,
        test_loader: Iterable[dict[str, Any]] | None,
        epochs: int,
        start_epoch: int = 0,
    ) -> TrainingResult:
        """Train epochs ``start_epoch + 1 .. epochs`` (``epochs`` is the final epoch count).

        With several processes, each returns the same epochs; only rank 0's records hold
        validation results, and every process waits at the end until rank 0 has written.
        """
        main = self.distributed.is_main
        result = TrainingResult(last_epoch=start_epoch)
        if main:
            self.logger.truncate_after(start_epoch)
        for epoch in range(start_epoch + 1, epochs + 1):
            started = time.perf_counter()
            learning_rate = float(self.optimizer.param_groups[0]["lr"])
            record, images = self.train_epoch(train_loader, epoch)
            if self.scheduler is not None:
                self.scheduler.step()
            last = epoch == epochs
            if main and test_loader is not None and (epoch % self.eval_interval == 0 or last):
                record.update(self.evaluate(test_loader))  # the others wait at the next step's gradient exchange
            seconds = time.perf_counter() - started
            record["learning_rate"] = learning_rate
            metrics = {k: v for k, v in record.items() if k.startswith("metrics/")}
            losses = {k: v for k, v in record.items() if k.startswith("losses/")}
            if main:
                self.snapshots.update(epoch, metrics, lambda: self.checkpoint(epoch, metrics, losses, record), last)
                self.logger.log(epoch, record)
            record["seconds"] = seconds
            record["images_per_second"] = images / seconds if seconds > 0 else math.nan
            result.history[epoch] = record
            result.last_epoch = epoch
            if main and self.callbacks.on_epoch_end:
                self.callbacks.on_epoch_end(epoch, record)
        self.distributed.barrier()  # nobody returns before rank 0 has written the last snapshot
        return result


def _to_float(outputs: dict[str, Any]) -> dict[str, Any]:
    return {
        head: {name: tensor.float() for name, tensor in values.items()} if isinstance(values, dict) else values
        for head, values in outputs.items()
    }
