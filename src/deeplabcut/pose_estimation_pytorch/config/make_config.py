"""Build a complete ``pytorch_config.yaml`` for a project and a net type.

The config is assembled from YAML templates (``templates/``): ``base.yaml``,
then the net type's architecture template, then the augmentation template of
its method (bottom-up or top-down), then the project's metadata. Placeholders
(``{num_bodyparts}``, ``{width}``...) are filled from the project.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.templates import deep_merge, fill_placeholders, load_template
from deeplabcut.project.config import (
    get_bodyparts,
    get_individuals,
    get_unique_bodyparts,
    is_multianimal,
    parse_crop,
)

#: Top-level key order of a written ``pytorch_config.yaml``.
KEY_ORDER = (
    "net_type",
    "method",
    "device",
    "metadata",
    "data",
    "model",
    "runner",
    "train_settings",
    "inference",
    "detector",
    "resume_training_from",
)
MAX_CROP_SIZE = 448
#: Training crop sides are multiples of this (``crop_size_for_side``, the from-scratch recipe's crops).
CROP_MULTIPLE = 32
#: Keys of architecture templates that are not ``pytorch_config.yaml`` settings: the from-scratch
#: recipe, its CPU values and the downscale (:mod:`.recipes`).
TEMPLATE_ONLY_KEYS = (
    "from_scratch", "from_scratch_cpu", "from_scratch_cpu_batch", "from_scratch_downscale", "from_scratch_schedule",
)
#: Longest side of the detector's input images, at most (CPU-friendly; ``detector.data.*.longest_max_size``).
MAX_DETECTOR_SIZE = 256


def available_net_types() -> list[str]:
    """Every ``net_type`` that :func:`make_pytorch_config` accepts."""
    return list(load_template("net_types"))


def resolve_net_type(net_type: str) -> tuple[str, dict[str, int]]:
    """The template name and placeholder values of ``net_type``.

    Raises:
        ConfigError: ``net_type`` is unknown (the message lists the known ones).
    """
    net_types = load_template("net_types")
    if net_type not in net_types:
        raise ConfigError(
            f"Unknown net_type '{net_type}'. Choose one of: {', '.join(net_types)}."
        )
    entry = dict(net_types[net_type])
    template = entry.pop("template")
    return template, entry


def net_type_method(net_type: str) -> str:
    """``"bu"`` (bottom-up) or ``"td"`` (top-down) for ``net_type``."""
    template, _ = resolve_net_type(net_type)
    return load_template(template).get("method", "bu")


def default_crop_size(project_cfg: dict[str, Any]) -> int:
    """Training crop side: the smaller side of the largest video, rounded down to 32, at most 448."""
    smallest_sides = [min(size) for size in video_sizes(project_cfg)]
    return crop_size_for_side(max(smallest_sides) if smallest_sides else MAX_CROP_SIZE)


def crop_size_for_side(side: int) -> int:
    """Training crop side for frames whose smaller side is ``side``: rounded down to 32, within 64..448."""
    return int(max(64, min(MAX_CROP_SIZE, side // CROP_MULTIPLE * CROP_MULTIPLE)))


def video_sizes(project_cfg: dict[str, Any]) -> list[tuple[int, int]]:
    """``(width, height)`` of every video's crop region in ``video_sets``."""
    sizes = []
    for video, entry in project_cfg["video_sets"].items():
        x1, x2, y1, y2 = parse_crop(entry["crop"], f"video_sets['{video}'].crop")
        sizes.append((x2 - x1, y2 - y1))
    return sizes


def default_detector_size(project_cfg: dict[str, Any]) -> int:
    """Longest side of the detector's input: the largest video's longest side, at most 256 px."""
    longest = max((max(size) for size in video_sizes(project_cfg)), default=MAX_DETECTOR_SIZE)
    return int(max(32, min(MAX_DETECTOR_SIZE, longest)))


def dekr_alternative(net_type: str) -> str:
    """A DEKR net type of the same HRNet width as ``net_type`` when there is one, else ``dekr_32``."""
    _, values = resolve_net_type(net_type)
    dekr = {name: entry for name, entry in load_template("net_types").items() if entry["template"] == "dekr"}
    same_width = [name for name, entry in dekr.items() if entry.get("width") == values.get("width")]
    return same_width[0] if same_width else "dekr_32"


def merged_templates(template: str) -> dict[str, Any]:
    """The pose model's settings of an architecture template before placeholders are filled.

    ``base.yaml``, then the architecture template, then its method's augmentation
    template, then the architecture's own ``data`` entries (e.g. its crop size), which
    beat the method's. The template's from-scratch recipe and downscale (:mod:`.recipes`)
    are left out: they are not ``pytorch_config.yaml`` settings.
    """
    architecture = {key: value for key, value in load_template(template).items() if key not in TEMPLATE_ONLY_KEYS}
    method = architecture.get("method", "bu")
    config = deep_merge(load_template("base"), architecture)
    config = deep_merge(config, load_template("aug_top_down" if method == "td" else "aug_bottom_up"))
    if architecture.get("data"):
        config["data"] = deep_merge(config["data"], architecture["data"])
    return config


def make_pytorch_config(
    project_cfg: dict[str, Any],
    net_type: str,
    pose_config_path: str | Path,
) -> dict[str, Any]:
    """The full ``pytorch_config.yaml`` content for ``net_type`` on this project.

    Args:
        project_cfg: the project's config (from :func:`deeplabcut.project.config.read_config`).
        net_type: e.g. ``"dekr_32"`` (see :func:`available_net_types`).
        pose_config_path: where the file will be written (recorded in ``metadata``).

    Raises:
        ConfigError: unknown net type, or a top-down net type (TokenPose,
            top-down HRNet) on a project with unique bodyparts.

    Top-down net types (``method: td``) get a ``detector`` section
    (``templates/detector.yaml``, with the architecture template's own
    ``detector`` entries merged over it).
    """
    template, values = resolve_net_type(net_type)
    bodyparts = get_bodyparts(project_cfg)
    unique_bodyparts = get_unique_bodyparts(project_cfg)
    individuals = get_individuals(project_cfg)
    values = {
        **values,
        "num_bodyparts": len(bodyparts),
        "num_unique_bodyparts": len(unique_bodyparts),
        "max_individuals": len(individuals),
        "crop_size": default_crop_size(project_cfg),
        "detector_size": default_detector_size(project_cfg),
    }

    architecture = load_template(template)
    method = architecture.get("method", "bu")
    if method == "td" and unique_bodyparts:
        raise ConfigError(
            f"net_type '{net_type}' is top-down (a detector, then one crop per animal) and cannot predict "
            f"the unique bodyparts {unique_bodyparts} of config.yaml, which belong to no animal's crop. "
            f"Use a DEKR net type (e.g. net_type='{dekr_alternative(net_type)}'), which predicts them with "
            "their own head, or remove uniquebodyparts from config.yaml."
        )
    if project_cfg.get("identity"):
        warnings.warn(
            "config.yaml has identity: true, but identity prediction heads are not available in "
            "this package; the model is trained without one and tracking relies on motion only.",
            stacklevel=2,
        )

    config = merged_templates(template)
    if method == "td":
        config["detector"] = deep_merge(load_template("detector"), architecture.get("detector") or {})
    if unique_bodyparts:
        config["model"]["heads"]["unique_bodypart"] = load_template("head_unique_bodypart")
    if not is_multianimal(project_cfg):
        config["runner"]["key_metric"] = "test.rmse"
        config["runner"]["key_metric_asc"] = False
    config = fill_placeholders(config, values)

    config["net_type"] = net_type
    config["method"] = method
    config["metadata"] = {
        "project_path": str(project_cfg["project_path"]),
        "pose_config_path": str(pose_config_path),
        "bodyparts": bodyparts,
        "unique_bodyparts": unique_bodyparts,
        "individuals": individuals,
        "with_identity": False,
    }
    return order_keys(config)


def order_keys(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with its top-level keys in :data:`KEY_ORDER` (unknown keys last)."""
    ordered = {key: copy.deepcopy(config[key]) for key in KEY_ORDER if key in config}
    ordered.update({key: copy.deepcopy(value) for key, value in config.items() if key not in ordered})
    return ordered
