"""The typed schema of ``pytorch_config.yaml``: every key, its type and its range.

:func:`validate_pytorch_config` walks a config (as read, or after overrides)
against :data:`POSE_CONFIG` and raises one :class:`~deeplabcut.errors.ConfigValueError`
naming the file, the dotted key path, the value and what is allowed. Unknown
keys are refused with the closest known key suggested (``train_settings.epochz``
-> ``epochs``). The API checks the config with it before anything is written.

The schema is data: a :class:`Section` maps key names to value specs
(:class:`Int`, :class:`Number`, :class:`Choice`...). Sections marked ``open``
take any key (optimizer parameters, backbone options): what their values mean
is checked where they are used, e.g. the ``type`` names of model parts through
the model registries (``models.registry.check_model_types``), not by a copied
list here.

The key set is a superset of DeepLabCut 3's (its ``PoseConfig``): files
DeepLabCut wrote validate here too.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from deeplabcut.errors import ConfigValueError


class Spec:
    """What one key accepts. ``check`` raises :class:`ConfigValueError` or returns None."""

    nullable: bool = False

    def describe(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def check(self, value: Any, key: str, source: str) -> None:
        if value is None and self.nullable:
            return
        if not self.accepts(value, key, source):
            raise ConfigValueError(source, key, value, f"expected {self.describe()}")

    def accepts(self, value: Any, key: str, source: str) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


@dataclass
class Int(Spec):
    minimum: int | None = None
    maximum: int | None = None
    nullable: bool = False

    def describe(self) -> str:
        return "an integer" + _range(self.minimum, self.maximum) + (" or null" if self.nullable else "")

    def accepts(self, value: Any, key: str, source: str) -> bool:
        return _is_int(value) and _in_range(value, self.minimum, self.maximum)


@dataclass
class Number(Spec):
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False

    def describe(self) -> str:
        return "a number" + _range(self.minimum, self.maximum) + (" or null" if self.nullable else "")

    def accepts(self, value: Any, key: str, source: str) -> bool:
        return _is_number(value) and _in_range(value, self.minimum, self.maximum)


@dataclass
class Bool(Spec):
    nullable: bool = False

    def describe(self) -> str:
        return "true or false" + (" or null" if self.nullable else "")

    def accepts(self, value: Any, key: str, source: str) -> bool:
        return isinstance(value, bool)


@dataclass
class Text(Spec):
    nullable: bool = False

    def describe(self) -> str:
        return "a string" + (" or null" if self.nullable else "")

    def accepts(self, value: Any, key: str, source: str) -> bool:
        return isinstance(value, str)


@dataclass
class Choice(Spec):
    choices: tuple[Any, ...] = ()
    nullable: bool = False

    def describe(self) -> str:
        return "one of " + ", ".join(repr(choice) for choice in self.choices)

    def accepts(self, value: Any, key: str, source: str) -> bool:
        return any(value == choice and type(value) is type(choice) for choice in self.choices)


@dataclass
class Device(Spec):
    """``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``."""

    nullable: bool = False

    def describe(self) -> str:
        return "one of 'auto', 'cpu', 'cuda', 'cuda:N' (N = 0, 1, ...), 'mps'"

    def accepts(self, value: Any, key: str, source: str) -> bool:
        return isinstance(value, str) and re.fullmatch(r"auto|cpu|cuda|cuda:\d+|mps", value) is not None


@dataclass
class ListOf(Spec):
    item: Spec
    length: int | None = None
    nullable: bool = False

    def describe(self) -> str:
        size = f"{self.length} " if self.length is not None else ""
        return f"a list of {size}items, each {self.item.describe()}"

    def check(self, value: Any, key: str, source: str) -> None:
        if value is None and self.nullable:
            return
        if not isinstance(value, list | tuple) or (self.length is not None and len(value) != self.length):
            raise ConfigValueError(source, key, value, f"expected {self.describe()}")
        for index, item in enumerate(value):
            self.item.check(item, f"{key}[{index}]", source)


@dataclass
class AnyOf(Spec):
    """The first of ``options`` that accepts the value wins; a mapping goes to the Section option."""

    options: tuple[Spec, ...] = ()
    nullable: bool = False

    def describe(self) -> str:
        return " or ".join(option.describe() for option in self.options)

    def check(self, value: Any, key: str, source: str) -> None:
        if value is None and self.nullable:
            return
        for option in self.options:
            if isinstance(option, Section | Mapped):
                if isinstance(value, Mapping):
                    option.check(value, key, source)
                    return
                continue
            try:
                option.check(value, key, source)
            except ConfigValueError:
                continue
            return
        raise ConfigValueError(source, key, value, f"expected {self.describe()}")


@dataclass
class Anything(Spec):
    nullable: bool = True

    def describe(self) -> str:
        return "any value"

    def accepts(self, value: Any, key: str, source: str) -> bool:
        return True


@dataclass
class Mapped(Spec):
    """A mapping of any keys to values of ``item`` (e.g. ``model.heads``)."""

    item: Spec = field(default_factory=Anything)
    nullable: bool = False

    def describe(self) -> str:
        return "a mapping"

    def check(self, value: Any, key: str, source: str) -> None:
        if value is None and self.nullable:
            return
        if not isinstance(value, Mapping):
            raise ConfigValueError(source, key, value, f"expected {self.describe()}")
        for name, item in value.items():
            self.item.check(item, f"{key}.{name}", source)


@dataclass
class Section(Spec):
    """A mapping with known keys; ``open`` sections also take keys not listed."""

    keys: dict[str, Spec] = field(default_factory=dict)
    open: bool = False
    nullable: bool = False
    required: tuple[str, ...] = ()
    #: what a key of this section is, for the unknown-key message
    label: str = "config key"

    def describe(self) -> str:
        return "a mapping with keys " + ", ".join(self.keys)

    def check(self, value: Any, key: str, source: str) -> None:
        if value is None and self.nullable:
            return
        if not isinstance(value, Mapping):
            raise ConfigValueError(source, key or "(top level)", value, f"expected {self.describe()}")
        missing = [name for name in self.required if name not in value]
        if missing:
            path = _join(key, missing[0])
            raise ConfigValueError(
                source, path, None, f"the key is required (a mapping with keys {', '.join(self.keys)})",
                "Recreate the file with deeplabcut.create_training_dataset, or restore the key.",
            )
        for name, item in value.items():
            path = _join(key, str(name))
            spec = self.keys.get(str(name))
            if spec is None:
                if self.open:
                    continue
                raise unknown_key_error(source, path, value[name], list(self.keys), self.label)
            spec.check(item, path, source)


def unknown_key_error(
    source: str, path: str, value: Any, known: list[str], label: str = "config key"
) -> ConfigValueError:
    """The error of an unknown key, with the closest known key suggested."""
    name = path.rsplit(".", 1)[-1]
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"Did you mean '{close[0]}'?" if close else ""
    return ConfigValueError(source, path, value, f"Unknown {label} '{name}' (known keys here: {', '.join(known)})", hint)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _range(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum} to {maximum}"
    if minimum is not None:
        return f" >= {minimum}"
    if maximum is not None:
        return f" <= {maximum}"
    return ""


def _in_range(value: float, minimum: float | None, maximum: float | None) -> bool:
    return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)


# --- the sections -------------------------------------------------------------------------------

FRACTION = Number(0.0, 1.0)
SWITCH_OR_OPTIONS = AnyOf((Bool(), Mapped()), nullable=True)

#: ``data.train`` / ``data.inference`` (and the detector's): augmentation and pre-processing.
TRANSFORMS = Section(
    {
        "resize": Section(
            {"height": Int(1), "width": Int(1), "keep_ratio": Bool()}, open=True, nullable=True
        ),
        "longest_max_size": AnyOf((Int(1), Mapped()), nullable=True),
        "hflip": AnyOf((Bool(), Number(0.0, 1.0), Section({"p": FRACTION, "symmetries": ListOf(ListOf(Text(), 2))}, open=True)), nullable=True),
        "affine": Section(
            {
                "p": FRACTION,
                "rotation": Number(0.0, 360.0),
                "scaling": ListOf(Number(0.0), 2),
                "translation": Number(0.0),
            },
            open=True,
            nullable=True,
        ),
        "crop_sampling": Section(
            {
                "width": Int(1),
                "height": Int(1),
                "max_shift": Number(0.0),
                "method": Choice(("uniform", "keypoints", "density", "hybrid")),
            },
            nullable=True,
        ),
        "color_jitter": AnyOf(
            (
                Bool(),
                Section(
                    {
                        "p": FRACTION,
                        "brightness": Number(0.0),
                        "contrast": Number(0.0),
                        "saturation": Number(0.0),
                        "hue": Number(0.0, 0.5),
                    }
                ),
            ),
            nullable=True,
        ),
        "hist_eq": SWITCH_OR_OPTIONS,
        "motion_blur": SWITCH_OR_OPTIONS,
        "gaussian_noise": AnyOf((Bool(), Number(0.0), Mapped()), nullable=True),
        "grayscale": SWITCH_OR_OPTIONS,
        "covering": SWITCH_OR_OPTIONS,
        "elastic_transform": SWITCH_OR_OPTIONS,
        "random_bbox_transform": Mapped(nullable=True),
        "auto_padding": Section(
            {"pad_width_divisor": Int(1), "pad_height_divisor": Int(1)}, open=True, nullable=True
        ),
        "normalize_images": AnyOf((Bool(), Mapped()), nullable=True),
        "scale_to_unit_range": SWITCH_OR_OPTIONS,
        "top_down_crop": Section(
            {"width": Int(1), "height": Int(1), "crop_with_context": Bool()}, open=True, nullable=True
        ),
        "collate": Mapped(nullable=True),
    },
    nullable=True,
    label="augmentation key",
)

#: ``runner`` (and ``detector.runner``).
RUNNER = Section(
    {
        "type": Text(),
        "gpus": Anything(),
        "device": Device(),
        "key_metric": Text(),
        "key_metric_asc": Bool(),
        "eval_interval": Int(1),
        "mixed_precision": Choice(("auto", "bf16", "bfloat16", "fp16", "float16", True, False), nullable=True),
        "optimizer": Section({"type": Text(), "params": Mapped(nullable=True)}, required=("type",), nullable=True),
        "scheduler": Section({"type": Text(), "params": Mapped(nullable=True)}, required=("type",), nullable=True),
        "snapshots": Section(
            {"max_snapshots": Int(1), "save_epochs": Int(1), "save_optimizer_state": Bool()}, nullable=True
        ),
        "snapshot_prefix": Text(nullable=True),
        "load_weights_only": Bool(nullable=True),
    },
)

#: ``train_settings`` (and ``detector.train_settings``).
TRAIN_SETTINGS = Section(
    {
        "batch_size": Int(1),
        "dataloader_workers": AnyOf((Int(0), Choice(("auto",)))),
        "dataloader_pin_memory": Bool(),
        "display_iters": Int(1),
        "epochs": Int(0),
        "seed": Int(0),
        "weight_init": Anything(),
        # ours (pytorch_config_extras.yaml): train with the template's from_scratch values when the
        # backbone starts from random weights (config/recipes.py)
        "from_scratch_recipe": Bool(),
        # ours: SyncBatchNorm across the GPUs of a torchrun launch (docs/clusters.md)
        "sync_batchnorm": Bool(),
        # ours: recompute activations in backward (models/modules/checkpoint.py); auto: see train_module/builder.py
        "gradient_checkpointing": AnyOf((Bool(), Choice(("auto",)))),
    },
)

#: Inference engines (``inference.engine``, the APIs' ``engine=``): see ``inference/engines.py``.
ENGINE_NAMES = ("auto", "torch", "openvino", "onnxruntime")
ENGINE = Choice(ENGINE_NAMES, nullable=True)

INFERENCE = Section(
    {
        "eval": Section(
            {
                "mode": Choice(("train", "test", "all")),
                "pcutoff": AnyOf((FRACTION, ListOf(FRACTION), Mapped(FRACTION))),
                "comparison_bodyparts": AnyOf((Choice(("all",)), ListOf(Text())), nullable=True),
                "per_keypoint_evaluation": Bool(),
                "force_multi_animal": Bool(),
            },
            nullable=True,
        ),
        "multithreading": Mapped(nullable=True),
        "compile": Mapped(nullable=True),
        "autocast": Mapped(nullable=True),
        "conditions": Anything(),
        "snapshot": Anything(),
        "output_dir": Text(nullable=True),
        # Ours (a top-down model's detector): boxes scored below this are not animals.
        "min_bbox_score": FRACTION,
        # Ours: what runs the network (inference/engines.py); the detector's defaults to the pose model's.
        "engine": ENGINE,
    },
    nullable=True,
)

MODEL = Section(
    {
        "backbone": Section({"type": Text()}, open=True, required=("type",)),
        "backbone_output_channels": Int(1, nullable=True),
        "neck": Section({"type": Text()}, open=True, required=("type",), nullable=True),
        "heads": Mapped(Section({"type": Text()}, open=True, required=("type",))),
        "pose_model": Mapped(nullable=True),
    },
    required=("backbone", "heads"),
)

DATA = Section(
    {
        "bbox_margin": Int(0),
        "colormode": Choice(("RGB",)),
        "gen_sampling": Anything(),
        "inference": TRANSFORMS,
        "train": TRANSFORMS,
        "loader": Anything(),
    }
)

DETECTOR = Section(
    {
        "model": Section({"type": Text()}, open=True, required=("type",)),
        "device": Device(),
        "data": Section({"colormode": Choice(("RGB",)), "inference": TRANSFORMS, "train": TRANSFORMS}, nullable=True),
        "runner": Section(RUNNER.keys, nullable=True),
        "train_settings": Section(TRAIN_SETTINGS.keys, nullable=True),
        "inference": INFERENCE,
        "resume_training_from": Text(nullable=True),
    },
    nullable=True,
    required=("model",),
)

METADATA = Section(
    {
        "project_path": Text(nullable=True),
        "pose_config_path": Text(nullable=True),
        "bodyparts": ListOf(Text()),
        "unique_bodyparts": ListOf(Text(), nullable=True),
        "individuals": ListOf(Text()),
        "with_identity": Bool(nullable=True),
    },
)

#: The whole ``pytorch_config.yaml``.
POSE_CONFIG = Section(
    {
        "config_version": Int(0),
        "version": Text(),
        "net_type": Text(),
        "method": Choice(("bu", "td", "ctd")),
        "device": Device(),
        "metadata": METADATA,
        "data": DATA,
        "model": MODEL,
        "runner": RUNNER,
        "train_settings": TRAIN_SETTINGS,
        "inference": INFERENCE,
        "logger": Mapped(nullable=True),
        "with_center_keypoints": Bool(),
        "detector": DETECTOR,
        "resume_training_from": Text(nullable=True),
    },
    required=("net_type", "method", "metadata", "data", "model", "runner", "train_settings"),
)


def validate_pytorch_config(cfg: Any, source: str) -> None:
    """Check every key of ``cfg`` (a ``pytorch_config.yaml``'s content) against :data:`POSE_CONFIG`.

    Args:
        cfg: the config as plain Python data.
        source: where it came from, for the message (a file path, or a description of overrides).

    Raises:
        ConfigValueError: the first refused key, naming ``source``, the key path, the value and
            what is allowed.
    """
    POSE_CONFIG.check(cfg, "", source)


def spec_at(path: str) -> Spec | None:
    """The spec of a dotted key path (``train_settings.epochs``), or None where the schema is open."""
    spec: Spec | None = POSE_CONFIG
    for part in path.split("."):
        if isinstance(spec, AnyOf):
            spec = next((option for option in spec.options if isinstance(option, Section)), None)
        if not isinstance(spec, Section) or part not in spec.keys:
            return None
        spec = spec.keys[part]
    return spec


def check_value(value: Any, key: str, spec: Spec, source: str) -> Any:
    """Check one value (an API argument such as ``batch_size``) against ``spec``; return it unchanged."""
    spec.check(value, key, source)
    return value


#: Specs of the API arguments that are also config values.
BATCH_SIZE = Int(1)
DEVICE = Device(nullable=True)


def check_inference_arguments(function: str, batch_size: Any = None, device: Any = None, engine: Any = None) -> None:
    """Check the ``batch_size``, ``device`` and ``engine`` arguments of an inference API (None: the default).

    Raises:
        ConfigValueError: naming ``function``, the argument, its value and what is allowed.
    """
    source = f"{function}()"
    if batch_size is not None:
        BATCH_SIZE.check(batch_size, "batch_size", source)
    if device is not None:
        DEVICE.check(device, "device", source)
    if engine is not None:
        ENGINE.check(engine, "engine", source)
