"""Watching a training run for the two ways it commonly goes nowhere, and saying what to try.

:class:`TrainingWatch` reads the per-epoch records the trainer produces (the
same keys as ``learning_stats.csv``) and returns, at most once each, a warning
when

* **the test score stays near zero** after a third of the epochs: keypoint
  ``mAP`` (or a detector's box ``mAP@50:95``) below :data:`NEAR_ZERO_MAP`
  at the first evaluation past ``epochs / 3``; or
* **the training loss has stalled far above where it started to fall**: over
  the last ``window`` epochs the mean loss fell by less than
  :data:`PLATEAU_DROP` (relative) compared with the ``window`` epochs before,
  while it is still above :data:`STALLED_FRACTION` of its early level (the
  smallest of epochs 2-3; epoch 1 is skipped everywhere because its loss
  reflects the random start). A run that learned and then converged is not flagged: its
  loss is by then a small fraction of the early level.

No figure here says what error the data allows (that depends on label noise
nobody has measured); the rules only catch runs that have barely moved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: A keypoint or box mAP (0-100) below this counts as "near zero".
NEAR_ZERO_MAP = 5.0
#: A relative fall of the windowed mean loss below this counts as "not falling".
PLATEAU_DROP = 0.03
#: A loss above this fraction of its early level has not really started to fall.
STALLED_FRACTION = 0.5

LOSS_KEY = "losses/train.total_loss"
MAP_KEYS = {"metrics/test.mAP": "keypoint mAP", "metrics/test.mAP@50:95": "box mAP@50:95"}


@dataclass
class TrainingWatch:
    """Turns epoch records into at most one warning of each kind (see the module docstring).

    Args:
        total_epochs: the run's final epoch count.
        model: how the warning names the model (``"pose model"``, ``"detector"``).
    """

    total_epochs: int
    model: str = "pose model"
    losses: dict[int, float] = field(default_factory=dict)
    warned: set[str] = field(default_factory=set)

    @property
    def window(self) -> int:
        """Epochs per comparison window of the plateau rule."""
        return max(4, self.total_epochs // 8)

    def observe(self, epoch: int, record: dict[str, float]) -> list[str]:
        """The warnings epoch ``epoch``'s ``record`` raises (each kind at most once per run)."""
        loss = record.get(LOSS_KEY)
        if loss is not None and math.isfinite(loss) and epoch > 1:  # epoch 1: the random start
            self.losses[epoch] = float(loss)
        warnings = []
        for rule in (self._score_near_zero, self._loss_stalled):
            name = rule.__name__
            if name in self.warned:
                continue
            message = rule(epoch, record)
            if message:
                self.warned.add(name)
                warnings.append(message)
        return warnings

    def _score_near_zero(self, epoch: int, record: dict[str, float]) -> str | None:
        if 3 * epoch < self.total_epochs or epoch >= self.total_epochs:
            return None
        for key, label in MAP_KEYS.items():
            value = record.get(key)
            if value is not None and math.isfinite(value) and value < NEAR_ZERO_MAP:
                fixes = [
                    "check the labels (deeplabcut.check_labels(config))",
                    f"train longer (epochs=...; this run has {self.total_epochs})",
                    "start the backbone from ImageNet weights (pretrained: true under model.backbone "
                    "in pytorch_config.yaml) when they exist for this width",
                ]
                if key == "metrics/test.mAP":
                    fixes.append("TokenPose from scratch often stays near zero for 15-30 epochs before it learns")
                return (
                    f"The {self.model}'s test {label} is {value:.1f} at epoch {epoch} of {self.total_epochs}: "
                    "after a third of the training it has not found the targets yet. Likely fixes: "
                    + "; ".join(fixes) + "."
                )
        return None

    def _loss_stalled(self, epoch: int, record: dict[str, float]) -> str | None:
        window = self.window
        recent = [self.losses[e] for e in range(epoch - window + 1, epoch + 1) if e in self.losses]
        before = [self.losses[e] for e in range(epoch - 2 * window + 1, epoch - window + 1) if e in self.losses]
        early = [self.losses[e] for e in (2, 3) if e in self.losses]
        if len(recent) < window or len(before) < window or not early:
            return None
        recent_mean = sum(recent) / window
        before_mean = sum(before) / window
        early_level = min(early)
        if before_mean <= 0 or early_level <= 0:
            return None
        drop = (before_mean - recent_mean) / before_mean
        if drop >= PLATEAU_DROP or recent_mean <= STALLED_FRACTION * early_level:
            return None
        return (
            f"The {self.model}'s training loss has stalled: {recent_mean:.4g} on average over epochs "
            f"{epoch - window + 1}-{epoch}, {100 * drop:.1f}% below the {window} epochs before and still "
            f"{100 * recent_mean / early_level:.0f}% of its level at epoch 2-3. Likely fixes: check the labels "
            "(deeplabcut.check_labels(config)); start the backbone from ImageNet weights (pretrained: true); "
            "a smaller learning rate (runner.optimizer.params.lr) if the loss jumps between epochs, a larger "
            "one if it creeps; weaker augmentation (data.train) if the keypoints leave the crops."
        )
