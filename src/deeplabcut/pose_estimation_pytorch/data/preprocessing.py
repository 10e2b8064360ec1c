"""The one parser of the image-preparation keys of ``data.train`` and ``data.inference``.

Both sections of ``pytorch_config.yaml`` share the deterministic steps that
turn an image into a model input: ``resize`` / ``longest_max_size``,
``auto_padding`` and ``normalize_images``. :meth:`Preprocessing.from_config`
checks the section's keys and these values, naming the key of a bad value;
the training transforms (:func:`~deeplabcut.pose_estimation_pytorch.data.transforms.build_transforms`)
and the inference runner both read them through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deeplabcut.errors import ConfigError

#: Keys a ``data.train`` / ``data.inference`` section may hold.
KNOWN_KEYS = frozenset(
    {
        "resize",
        "longest_max_size",
        "hflip",
        "affine",
        "crop_sampling",
        "color_jitter",
        "hist_eq",
        "motion_blur",
        "gaussian_noise",
        "grayscale",
        "covering",
        "auto_padding",
        "normalize_images",
        "top_down_crop",
    }
)
#: DeepLabCut 3 augmentation keys without a counterpart here: ignored when off (null/false).
UNSUPPORTED_KEYS = frozenset({"collate", "elastic_transform", "random_bbox_transform", "scale_to_unit_range"})
DEFAULT_PAD_DIVISOR = 32


@dataclass(frozen=True)
class Preprocessing:
    """Resize, padding and normalisation of one ``data.*`` section (the defaults: a section without these keys).

    Attributes:
        resize: ``{height, width, keep_ratio}`` (pixels) or None.
        longest_max_size: resize so the longer side has this many pixels (used
            when ``resize`` is None), or None.
        pad_divisors: ``(width_divisor, height_divisor)``: pad bottom/right to
            multiples of them (``auto_padding``), or None.
        normalize: normalise with the backbone's statistics (``normalize_images``);
            otherwise RGB is only scaled to [0, 1].
    """

    resize: dict[str, Any] | None = None
    longest_max_size: int | None = None
    pad_divisors: tuple[int, int] | None = None
    normalize: bool = True

    @property
    def resizes(self) -> bool:
        """Whether images are resized (``resize`` or ``longest_max_size``)."""
        return self.resize is not None or self.longest_max_size is not None

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None, where: str = "data.inference") -> Preprocessing:
        """Check a ``data.*`` section and read its preprocessing keys.

        Args:
            section: the section (None: no resize, no padding, normalisation on).
            where: the section's name in error messages (``data.train``, ``data.inference``).

        Raises:
            ConfigError: an unknown key, an unsupported option turned on, or a
                malformed resize / padding / normalisation value (the message names the key).
        """
        section = check_section_keys(section, where)
        return cls(
            resize=_resize(section.get("resize"), f"{where}.resize"),
            longest_max_size=_optional_positive_int(section.get("longest_max_size"), f"{where}.longest_max_size"),
            pad_divisors=_pad_divisors(section.get("auto_padding"), f"{where}.auto_padding"),
            normalize=_flag(section.get("normalize_images", True), f"{where}.normalize_images"),
        )


def check_section_keys(section: Mapping[str, Any] | None, where: str = "data.train / data.inference") -> dict[str, Any]:
    """The section without its unsupported keys that are off; raise on unknown or unsupported-on keys.

    Raises:
        ConfigError: naming the keys and the section.
    """
    section = dict(section or {})
    unsupported = sorted(key for key in UNSUPPORTED_KEYS & set(section) if section[key])
    if unsupported:
        raise ConfigError(
            f"Augmentation option(s) {unsupported} of DeepLabCut 3 are not available here; set them to null "
            f"(or remove them) in pytorch_config.yaml ({where})."
        )
    section = {key: value for key, value in section.items() if key not in UNSUPPORTED_KEYS}
    unknown = sorted(set(section) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"Unknown augmentation key(s) {unknown} in pytorch_config.yaml ({where}). "
            f"Known keys: {sorted(KNOWN_KEYS)}."
        )
    return section


def _positive_int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer() or value < 1:
        raise ConfigError(f"pytorch_config.yaml {key} must be a positive whole number of pixels, not {value!r}.")
    return int(value)


def _optional_positive_int(value: Any, key: str) -> int | None:
    return None if not value else _positive_int(value, key)


def _flag(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"pytorch_config.yaml {key} must be true or false, not {value!r}.")
    return value


def _resize(value: Any, key: str) -> dict[str, Any] | None:
    if not value:
        return None
    if not isinstance(value, Mapping) or not {"height", "width"} <= set(value):
        raise ConfigError(f"pytorch_config.yaml {key} must be {{height: H, width: W, keep_ratio: true|false}}, not {value!r}.")
    resize = dict(value)
    resize["height"] = _positive_int(resize["height"], f"{key}.height")
    resize["width"] = _positive_int(resize["width"], f"{key}.width")
    if "keep_ratio" in resize:
        resize["keep_ratio"] = _flag(resize["keep_ratio"], f"{key}.keep_ratio")
    return resize


def _pad_divisors(value: Any, key: str) -> tuple[int, int] | None:
    if not value:
        return None
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"pytorch_config.yaml {key} must be {{pad_width_divisor: 32, pad_height_divisor: 32}} or null, not {value!r}."
        )
    return (
        _positive_int(value.get("pad_width_divisor", DEFAULT_PAD_DIVISOR), f"{key}.pad_width_divisor"),
        _positive_int(value.get("pad_height_divisor", DEFAULT_PAD_DIVISOR), f"{key}.pad_height_divisor"),
    )
