"""Image + keypoint augmentation built from the ``data.train`` / ``data.inference`` config.

A :class:`KeypointTransform` is called like an albumentations ``Compose``:
``transform(image=rgb_uint8, keypoints=(N, 2) array)`` returns a dict with the
transformed ``image`` (float32 HWC, normalized when configured), ``keypoints``
and the ``offset``/``scale`` that map the output image back to the input image
(``original = p * scale + offset``; exact for the inference transforms, which
only resize and pad).

Steps, in order, each enabled by its config key:

1. ``resize`` {height, width, keep_ratio} and ``longest_max_size`` (inference and training);
2. ``hflip`` {p, symmetries}: mirror image and keypoints; bodyparts named in
   ``symmetries`` pairs (e.g. ``[leftear, rightear]``) swap identities;
3. ``affine`` {p, rotation (deg), scaling [min, max], translation (px)} (albumentations);
4. ``crop_sampling`` {width, height, max_shift, method}: a fixed-size crop,
   padded where the image is smaller, centred on a random point, a random
   keypoint, a keypoint in a dense region, or ``hybrid`` (uniform or density);
5. photometric: ``color_jitter``, ``hist_eq``, ``motion_blur``, ``gaussian_noise`` (std in
   grey levels), ``grayscale``, ``covering`` (coarse dropout) (albumentations);
6. ``auto_padding`` {pad_width_divisor, pad_height_divisor}: pad bottom/right;
7. ``normalize_images``: the backbone's mean/std (ImageNet) on RGB scaled to [0, 1].

The keys of steps 1, 6 and 7 (and of the whole section) are checked by
:class:`~deeplabcut.pose_estimation_pytorch.data.preprocessing.Preprocessing`,
the parser the inference runner uses too.

Unlabeled keypoints are NaN and stay NaN. Keypoints that leave the image keep
their coordinates; the dataset marks them invisible (never wrong).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from deeplabcut.errors import ConfigError
from deeplabcut.geometry import resize_transform
from deeplabcut.pose_estimation_pytorch.data.normalization import IMAGENET, Normalization
from deeplabcut.pose_estimation_pytorch.data.preprocessing import Preprocessing

if TYPE_CHECKING:
    import albumentations as A

CROP_METHODS = ("uniform", "keypoints", "density", "hybrid")


@dataclass
class KeypointTransform:
    """The augmentation pipeline of one config section (see the module docstring).

    Attributes:
        keypoint_layout: ``(individuals, bodyparts, unique bodyparts)`` of the
            flat keypoint array, needed to swap symmetric bodyparts on flips.
        normalization: the statistics of ``normalize`` (the backbone's).
    """

    resize: dict[str, Any] | None = None
    longest_max_size: int | None = None
    flip_probability: float = 0.0
    flip_pairs: list[tuple[int, int]] = field(default_factory=list)
    geometric: A.Compose | None = None
    crop: dict[str, Any] | None = None
    photometric: A.Compose | None = None
    pad_divisors: tuple[int, int] | None = None
    normalize: bool = True
    normalization: Normalization = IMAGENET
    keypoint_layout: tuple[int, int, int] = (1, 0, 0)
    rng: np.random.Generator = field(default_factory=np.random.default_rng)

    def set_seed(self, seed: int | None) -> None:
        """Reseed every random draw of the pipeline (used per epoch for reproducible training)."""
        self.rng = np.random.default_rng(seed)
        for offset, compose in enumerate((self.geometric, self.photometric), start=1):
            if compose is not None:
                compose.set_random_seed(None if seed is None else seed + offset)

    def __call__(self, image: np.ndarray, keypoints: np.ndarray | None = None) -> dict[str, Any]:
        """Transform an RGB uint8 ``image`` (H, W, 3) and ``keypoints`` (N, 2) in its pixels."""
        points = np.zeros((0, 2), np.float32) if keypoints is None else np.asarray(keypoints, np.float32).reshape(-1, 2)
        scale = np.ones(2, np.float32)
        offset = np.zeros(2, np.float32)

        if self.resize is not None or self.longest_max_size is not None:
            original_size = (image.shape[1], image.shape[0])
            image, points = self._resize(image, points)
            scale = resize_transform(original_size, (image.shape[1], image.shape[0]))[0].astype(np.float32)
        if self.flip_probability and self.rng.random() < self.flip_probability:
            image, points = self._flip(image, points)
        if self.geometric is not None:
            result = self.geometric(image=image, keypoints=points)
            image, points = result["image"], np.asarray(result["keypoints"], np.float32).reshape(-1, 2)
        if self.crop is not None:
            image, points = self._crop(image, points)
        if self.photometric is not None:
            image = self.photometric(image=image)["image"]
        if self.pad_divisors is not None:
            image = pad_to_multiple(image, *self.pad_divisors)
        if self.normalize:
            image = self.normalization.normalize(image)
        else:
            image = image.astype(np.float32) / 255.0
        return {"image": image, "keypoints": points, "offset": offset, "scale": scale}

    def _resize(self, image: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        image, factors = resize_image(image, self.resize, self.longest_max_size)
        return image, points * factors

    def _flip(self, image: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        width = image.shape[1]
        image = np.ascontiguousarray(image[:, ::-1])
        points = points.copy()
        points[:, 0] = width - 1 - points[:, 0]
        if self.flip_pairs:
            individuals, bodyparts, unique = self.keypoint_layout
            order = np.arange(len(points))
            for first, second in self.flip_pairs:
                for animal in range(individuals):
                    a, b = animal * bodyparts + first, animal * bodyparts + second
                    order[a], order[b] = order[b], order[a]
            points = points[order]
        return image, points

    def _crop(self, image: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        crop_w, crop_h = int(self.crop["width"]), int(self.crop["height"])
        height, width = image.shape[:2]
        center = sample_crop_center(points, (height, width), self.crop.get("method", "hybrid"), self.rng)
        max_shift = min(float(self.crop.get("max_shift", 0.1)), 0.4)
        center = center + max_shift * self.rng.uniform(-1, 1, size=2) * np.array([crop_w, crop_h])
        x0 = int(round(center[0] - crop_w / 2))
        y0 = int(round(center[1] - crop_h / 2))
        # Keep the crop on the image where the image is large enough.
        x0 = int(np.clip(x0, min(0, width - crop_w), max(0, width - crop_w)))
        y0 = int(np.clip(y0, min(0, height - crop_h), max(0, height - crop_h)))
        out = np.zeros((crop_h, crop_w, image.shape[2]), dtype=image.dtype)
        src_x0, src_y0 = max(x0, 0), max(y0, 0)
        src_x1, src_y1 = min(x0 + crop_w, width), min(y0 + crop_h, height)
        out[src_y0 - y0 : src_y1 - y0, src_x0 - x0 : src_x1 - x0] = image[src_y0:src_y1, src_x0:src_x1]
        return out, points - np.array([x0, y0], np.float32)


def resize_image(
    image: np.ndarray, resize: dict[str, Any] | None, longest_max_size: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Resize as ``data.*.resize`` ({height, width, keep_ratio}) or ``longest_max_size`` say.

    Returns the image and the factors ``(new width / width, new height / height)``
    (multiply pixel coordinates by them). Area interpolation when shrinking,
    bilinear when enlarging. Training and inference both resize through here.
    """
    height, width = image.shape[:2]
    if resize is not None:
        target_h, target_w = int(resize["height"]), int(resize["width"])
        if resize.get("keep_ratio", True):
            factor = min(target_h / height, target_w / width)
            factors = (factor, factor)
        else:
            factors = (target_w / width, target_h / height)
    elif longest_max_size is not None:
        factor = float(longest_max_size) / max(height, width)
        factors = (factor, factor)
    else:
        return image, np.ones(2, np.float32)
    new_size = (max(1, int(round(width * factors[0]))), max(1, int(round(height * factors[1]))))
    exact = np.array([new_size[0] / width, new_size[1] / height], np.float32)
    interpolation = cv2.INTER_AREA if exact.max() < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, new_size, interpolation=interpolation), exact


def sample_crop_center(
    points: np.ndarray, image_size: tuple[int, int], method: str, rng: np.random.Generator
) -> np.ndarray:
    """Centre of a training crop in image pixels.

    ``uniform``: anywhere in the image; ``keypoints``: a random labeled point;
    ``density``: a labeled point drawn with probability ``1 + neighbours`` within
    ``0.1 * min(H, W)``; ``hybrid``: uniform or density with equal chance.
    Unlabeled (NaN) points and points outside the image are ignored.
    """
    height, width = image_size
    with np.errstate(invalid="ignore"):
        inside = (points[:, 0] >= 0) & (points[:, 1] >= 0) & (points[:, 0] < width) & (points[:, 1] < height)
    candidates = points[inside]
    if method == "hybrid":
        method = "uniform" if rng.random() < 0.5 else "density"
    if method == "uniform" or len(candidates) == 0:
        return np.array([rng.uniform(0, width), rng.uniform(0, height)])
    if method == "keypoints":
        return candidates[rng.integers(len(candidates))].astype(float)
    distances = np.linalg.norm(candidates[:, None] - candidates[None], axis=-1)
    weights = (distances < 0.1 * min(height, width)).sum(axis=1).astype(float)  # 1 + neighbours
    return candidates[rng.choice(len(candidates), p=weights / weights.sum())].astype(float)


def pad_to_multiple(image: np.ndarray, width_divisor: int, height_divisor: int) -> np.ndarray:
    """Pad the bottom and right of ``image`` with zeros to multiples of the divisors."""
    height, width = image.shape[:2]
    pad_h = (-height) % int(height_divisor)
    pad_w = (-width) % int(width_divisor)
    if pad_h == 0 and pad_w == 0:
        return image
    return np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)))


def build_transforms(
    augmentation: dict[str, Any] | None,
    bodyparts: Sequence[str] = (),
    max_individuals: int = 1,
    num_unique_bodyparts: int = 0,
    seed: int | None = None,
    normalization: Normalization = IMAGENET,
    where: str = "data.train / data.inference",
) -> KeypointTransform:
    """Build the pipeline of one config section (``data.train`` or ``data.inference``).

    Args:
        augmentation: the section; ``None`` gives normalization only.
        bodyparts: names of the per-individual bodyparts, to resolve ``hflip.symmetries``.
        max_individuals, num_unique_bodyparts: layout of the flat keypoint array.
        seed: seeds the pipeline's own random draws (flip, crop).
        normalization: the model backbone's input statistics (``backbone.normalization``).
        where: the section's name in error messages.

    Raises:
        ConfigError: unknown keys or malformed values.
    """
    preprocessing = Preprocessing.from_config(augmentation, where)
    augmentation = dict(augmentation or {})
    transform = KeypointTransform(
        resize=preprocessing.resize,
        longest_max_size=preprocessing.longest_max_size,
        pad_divisors=preprocessing.pad_divisors,
        normalize=preprocessing.normalize,
        normalization=normalization,
        keypoint_layout=(max_individuals, len(bodyparts), num_unique_bodyparts),
        rng=np.random.default_rng(seed),
    )

    hflip = augmentation.get("hflip")
    if hflip:
        hflip = {"p": 0.5} if hflip is True else dict(hflip)
        transform.flip_probability = float(hflip.get("p", 0.5))
        transform.flip_pairs = _symmetry_indices(hflip.get("symmetries") or [], list(bodyparts))

    geometric = []
    affine = augmentation.get("affine")
    if affine:
        A = _albumentations()
        rotation = float(affine.get("rotation", 0))
        translation = int(affine.get("translation", 0))
        scaling = affine.get("scaling", [1.0, 1.0])
        geometric.append(
            A.Affine(
                scale=tuple(scaling) if isinstance(scaling, (list, tuple)) else (scaling, scaling),
                rotate=(-rotation, rotation),
                translate_px=(-translation, translation) if translation else None,
                keep_ratio=True,
                border_mode=cv2.BORDER_CONSTANT,
                p=float(affine.get("p", 0.9)),
            )
        )
    if geometric:
        transform.geometric = A.Compose(
            geometric, keypoint_params=A.KeypointParams(format="xy", remove_invisible=False), seed=seed
        )

    crop = augmentation.get("crop_sampling")
    if crop:
        if crop.get("method", "hybrid") not in CROP_METHODS:
            raise ConfigError(f"data.train.crop_sampling.method must be one of {CROP_METHODS}, not {crop.get('method')!r}.")
        transform.crop = dict(crop)

    photometric = _photometric_steps(augmentation)
    if photometric:
        transform.photometric = _albumentations().Compose(photometric, seed=seed)
    return transform


def _albumentations() -> ModuleType:
    """albumentations, imported once an augmentation needs it.

    Inference transforms never do, and the import costs about 40 MB of memory
    and 0.4 s, which analysis processes (``analyze_videos``) then save.
    """
    import albumentations

    return albumentations


#: The augmentation keys :func:`_photometric_steps` turns into albumentations steps.
PHOTOMETRIC_KEYS = ("color_jitter", "hist_eq", "motion_blur", "gaussian_noise", "grayscale", "covering")


def _photometric_steps(augmentation: dict[str, Any]) -> list[Callable]:
    if not any(augmentation.get(key) for key in PHOTOMETRIC_KEYS):
        return []
    A = _albumentations()
    steps: list[Callable] = []
    jitter = augmentation.get("color_jitter")
    if jitter:
        jitter = {} if jitter is True else jitter
        steps.append(
            A.ColorJitter(
                brightness=float(jitter.get("brightness", 0.2)),
                contrast=float(jitter.get("contrast", 0.2)),
                saturation=float(jitter.get("saturation", 0.2)),
                hue=float(jitter.get("hue", 0.02)),
                p=float(jitter.get("p", 0.5)),
            )
        )
    if augmentation.get("hist_eq"):
        steps.append(A.Equalize(p=0.5))
    if augmentation.get("motion_blur"):
        steps.append(A.MotionBlur(blur_limit=(3, 7), p=0.5))
    noise = augmentation.get("gaussian_noise")
    if noise:
        std = 12.75 if noise is True else float(noise)
        steps.append(A.GaussNoise(std_range=(0.0, std / 255.0), per_channel=True, p=0.5))
    if augmentation.get("grayscale"):
        steps.append(A.ToGray(p=0.2))
    if augmentation.get("covering"):
        steps.append(
            A.CoarseDropout(
                num_holes_range=(1, 10),
                hole_height_range=(0.01, 0.05),
                hole_width_range=(0.01, 0.05),
                p=0.5,
            )
        )
    return steps


def _symmetry_indices(symmetries: list, bodyparts: list[str]) -> list[tuple[int, int]]:
    pairs = []
    for pair in symmetries:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ConfigError(f"data.train.hflip.symmetries entries must be pairs of bodyparts, not {pair!r}.")
        indices = []
        for name in pair:
            if isinstance(name, int):
                indices.append(name)
            elif name in bodyparts:
                indices.append(bodyparts.index(name))
            else:
                raise ConfigError(
                    f"data.train.hflip.symmetries names '{name}', which is not a bodypart ({bodyparts})."
                )
        pairs.append((indices[0], indices[1]))
    return pairs
