"""A multi-animal shuffle's ``test/inference_cfg.yaml``: assembly and tracking settings.

``create_training_dataset`` writes it from the package's template (the keys of
DeepLabCut's ``inference_cfg.yaml``) with three keys set for the project, and
``convert_detections2tracklets`` reads it. The tracking keys used here are
``pcutoff``, ``boundingboxslack`` (pixels), ``iou_threshold``, ``max_age``
and ``min_hits`` (frames) and ``topktoretain`` (animals kept per frame); the
assembly keys are kept so that the file stays interchangeable with DeepLabCut's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deeplabcut.utils.yaml_io import read_yaml, to_builtin, write_yaml


def inference_cfg_for_project(
    template: dict[str, Any], num_bodyparts: int, num_individuals: int, identity: bool
) -> dict[str, Any]:
    """The template with the project's values, as DeepLabCut fills them.

    Args:
        template: the default settings (all of DeepLabCut's keys).
        num_bodyparts: multi-animal bodyparts of the project.
        num_individuals: individuals of the project.
        identity: whether the project asks for an identity head (``identity`` in config.yaml).

    Returns:
        A copy with ``minimalnumberofconnections = max(1, num_bodyparts // 2)``,
        ``topktoretain = num_individuals`` and ``withid = identity``.
    """
    cfg = dict(template)
    cfg["minimalnumberofconnections"] = max(1, num_bodyparts // 2)
    cfg["topktoretain"] = num_individuals
    cfg["withid"] = bool(identity)
    return cfg


def write_inference_cfg(path: str | Path, cfg: dict[str, Any]) -> None:
    """Write the settings to ``path`` (YAML, atomically)."""
    write_yaml(path, cfg)


def read_inference_cfg(path: str | Path) -> dict[str, Any]:
    """The settings in ``path`` as plain Python data.

    Raises:
        MissingFileError: the file does not exist.
        ConfigError: the file is not valid YAML.
    """
    return to_builtin(read_yaml(path))
