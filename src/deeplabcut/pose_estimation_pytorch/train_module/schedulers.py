"""Optimizers and learning-rate schedules built from the ``runner`` config section."""

from __future__ import annotations

from typing import Any

import torch

from deeplabcut.errors import ConfigError


class LRListScheduler(torch.optim.lr_scheduler.LRScheduler):
    """DeepLabCut's step schedule: at epoch ``milestones[i]`` the learning rates become ``lr_list[i]``.

    Between milestones the learning rate is left as it is. ``lr_list[i]`` holds
    one value per parameter group (or one value for all). Stepped once per epoch.

    With ``warmup_epochs`` W > 0 the first W epochs ramp linearly up to the
    optimizer's learning rate: epoch ``e`` (1-based, e <= W) trains at
    ``lr * (warmup_start_factor + (1 - warmup_start_factor) * (e - 1) / W)``,
    and epoch W + 1 at ``lr`` (transformers such as TokenPose need a warm-up).
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        milestones: list[int],
        lr_list: list[list[float]],
        warmup_epochs: int = 0,
        warmup_start_factor: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        if len(milestones) != len(lr_list):
            raise ConfigError(
                f"LRListScheduler needs one lr_list entry per milestone; got {len(milestones)} milestones "
                f"and {len(lr_list)} lr_list entries (runner.scheduler.params in pytorch_config.yaml)."
            )
        if int(warmup_epochs) < 0 or not 0 < float(warmup_start_factor) <= 1:
            raise ConfigError(
                "LRListScheduler needs warmup_epochs >= 0 and 0 < warmup_start_factor <= 1; got "
                f"{warmup_epochs} and {warmup_start_factor} (runner.scheduler.params in pytorch_config.yaml)."
            )
        self.milestones = [int(m) for m in milestones]
        self.lr_list = [list(lrs) if isinstance(lrs, (list, tuple)) else [lrs] for lrs in lr_list]
        self.warmup_epochs = int(warmup_epochs)
        self.warmup_start_factor = float(warmup_start_factor)
        super().__init__(optimizer, last_epoch)

    def _warmup_factor(self, epoch: int) -> float:
        """Factor of the base learning rate for 0-based ``epoch`` (1 after the warm-up)."""
        if epoch >= self.warmup_epochs:
            return 1.0
        return self.warmup_start_factor + (1 - self.warmup_start_factor) * epoch / self.warmup_epochs

    def get_lr(self) -> list[float]:
        current = [group["lr"] for group in self.optimizer.param_groups]
        if self.last_epoch in self.milestones:
            values = self.lr_list[self.milestones.index(self.last_epoch)]
            return [float(values[i] if i < len(values) else values[-1]) for i in range(len(current))]
        if self.last_epoch <= self.warmup_epochs:
            factor = self._warmup_factor(self.last_epoch)
            return [base * factor for base in self.base_lrs]
        return current


def build_optimizer(parameters: Any, optimizer_cfg: dict[str, Any]) -> torch.optim.Optimizer:
    """``getattr(torch.optim, type)(parameters, **params)``.

    Raises:
        ConfigError: unknown optimizer type or parameters it does not accept.
    """
    name = optimizer_cfg.get("type", "AdamW")
    optimizer_class = getattr(torch.optim, name, None)
    if optimizer_class is None or not isinstance(optimizer_class, type):
        raise ConfigError(f"runner.optimizer.type '{name}' is not a torch.optim optimizer (e.g. AdamW, SGD, Adam).")
    try:
        return optimizer_class(parameters, **(optimizer_cfg.get("params") or {}))
    except TypeError as err:
        raise ConfigError(f"runner.optimizer.params do not fit {name}: {err}") from err


def build_scheduler(optimizer: torch.optim.Optimizer, scheduler_cfg: dict[str, Any] | None) -> torch.optim.lr_scheduler.LRScheduler | None:
    """``LRListScheduler`` or any ``torch.optim.lr_scheduler`` class, from ``runner.scheduler``."""
    if not scheduler_cfg:
        return None
    name = scheduler_cfg.get("type")
    params = dict(scheduler_cfg.get("params") or {})
    if name == "LRListScheduler":
        return LRListScheduler(optimizer, **params)
    scheduler_class = getattr(torch.optim.lr_scheduler, str(name), None)
    if scheduler_class is None:
        raise ConfigError(
            f"runner.scheduler.type '{name}' is unknown; use LRListScheduler or a torch.optim.lr_scheduler "
            "class (e.g. StepLR, CosineAnnealingLR)."
        )
    try:
        return scheduler_class(optimizer, **params)
    except TypeError as err:
        raise ConfigError(f"runner.scheduler.params do not fit {name}: {err}") from err
