"""The models a shuffle trains: the pose model, and for top-down net types first a detector.

A :class:`TrainingTask` names where one model's settings live in
``pytorch_config.yaml`` (the top level for the pose model, the ``detector``
section for the detector: each has ``model``, ``data``, ``runner`` and
``train_settings``) and the files its training writes into ``train/``
(DeepLabCut 3's names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.pose_config import is_top_down
from deeplabcut.project.paths import (
    DETECTOR_LEARNING_CURVE_FILENAME,
    DETECTOR_LEARNING_STATS_FILENAME,
    DETECTOR_SNAPSHOT_PREFIX,
    LEARNING_CURVE_FILENAME,
    LEARNING_STATS_FILENAME,
    SNAPSHOT_PREFIX,
)

#: Settings a detector section inherits from the top level when it lacks them.
INHERITED_TRAIN_SETTINGS = ("seed", "dataloader_workers", "dataloader_pin_memory", "sync_batchnorm", "from_scratch_recipe", "gradient_checkpointing")
INHERITED_RUNNER = ("mixed_precision",)


@dataclass(frozen=True)
class TrainingTask:
    """One trainable model of a shuffle.

    Attributes:
        name: ``"pose"`` or ``"detector"``.
        config_key: the ``pytorch_config.yaml`` section holding its settings (None: the top level).
        snapshot_prefix: ``snapshot`` or ``snapshot-detector`` (``<prefix>-<epoch:03d>.pt``).
        learning_stats_filename, learning_curve_filename: its files in ``train/``.
        label: how messages name it (``pose model``, ``detector``).
    """

    name: Literal["pose", "detector"]
    config_key: str | None
    snapshot_prefix: str
    learning_stats_filename: str
    learning_curve_filename: str
    label: str

    def section(self, pytorch_config: dict[str, Any]) -> dict[str, Any]:
        """This model's ``model``/``data``/``runner``/``train_settings`` section, with the
        top-level ``train_settings`` (seed, data loading) and ``runner`` (precision)
        entries it does not set itself.

        Raises:
            ConfigError: the config has no such section (a detector of a bottom-up model).
        """
        if self.config_key is None:
            return pytorch_config
        section = pytorch_config.get(self.config_key)
        if not isinstance(section, dict):
            raise ConfigError(
                f"pytorch_config.yaml has no '{self.config_key}' section: net_type "
                f"'{pytorch_config.get('net_type')}' is not top-down, so it has no {self.label} to train."
            )
        missing = [key for key in ("model", "runner", "train_settings") if key not in section]
        if missing:
            raise ConfigError(f"pytorch_config.yaml's '{self.config_key}' section lacks {missing}.")
        section = dict(section)
        top_settings, top_runner = pytorch_config.get("train_settings", {}), pytorch_config.get("runner", {})
        section["train_settings"] = {
            **{key: top_settings[key] for key in INHERITED_TRAIN_SETTINGS if key in top_settings},
            **section["train_settings"],
        }
        section["runner"] = {**{key: top_runner[key] for key in INHERITED_RUNNER if key in top_runner}, **section["runner"]}
        section.setdefault("data", {})
        return section

    def epochs(self, pytorch_config: dict[str, Any]) -> int:
        """Its ``train_settings.epochs`` (the final epoch count)."""
        return int(self.section(pytorch_config)["train_settings"].get("epochs", 200))


POSE = TrainingTask("pose", None, SNAPSHOT_PREFIX, LEARNING_STATS_FILENAME, LEARNING_CURVE_FILENAME, "pose model")
DETECTOR = TrainingTask(
    "detector",
    "detector",
    DETECTOR_SNAPSHOT_PREFIX,
    DETECTOR_LEARNING_STATS_FILENAME,
    DETECTOR_LEARNING_CURVE_FILENAME,
    "detector",
)


def shuffle_tasks(pytorch_config: dict[str, Any]) -> list[TrainingTask]:
    """Every model of the shuffle, in training order: ``[DETECTOR, POSE]`` (top-down) or ``[POSE]``."""
    return [DETECTOR, POSE] if is_top_down(pytorch_config) else [POSE]
