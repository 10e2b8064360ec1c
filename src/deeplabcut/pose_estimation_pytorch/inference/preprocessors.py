"""Inference pre-processing: frames -> model inputs ("items"), each with its way back.

A pre-processor is any callable ``preprocessor(frames, device) -> PreparedBatch``
(:class:`Preprocessor`). It turns a batch of RGB uint8 frames into the
normalised, padded tensor the model reads, and records for every item of
that tensor an :class:`ItemTransforms` row: the frame it was made from and
the ``scale``/``offset`` that map its pixels back to that frame's pixels
(``original = p * scale + offset``, :func:`deeplabcut.geometry.to_original`).
Post-processing (:mod:`~deeplabcut.pose_estimation_pytorch.inference.postprocessing`)
only reads that record, so it never needs to know how items were made.

Full-image models make one item per frame: :class:`ResizeAndPad` (the
``data.inference`` config) or :class:`UserTransform` (a user's callable).
A top-down model makes one item per detected animal: a pre-processor that
crops each box with :func:`deeplabcut.geometry.crop_transform` and records
the crop's frame, scale and offset; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

from deeplabcut.geometry import resize_transform, to_original
from deeplabcut.pose_estimation_pytorch.data.normalization import Normalization
from deeplabcut.pose_estimation_pytorch.data.preprocessing import Preprocessing
from deeplabcut.pose_estimation_pytorch.data.transforms import resize_image


@dataclass(frozen=True)
class ItemTransforms:
    """Where each item of a batch of model inputs comes from (``N`` items).

    Attributes:
        frame_index: ``(N,)`` int, the frame of the batch each item was made from.
        scale, offset: ``(N, 2)`` float64: a point ``p`` in the item's pixels is
            at ``p * scale + offset`` in its frame's pixels.
    """

    frame_index: np.ndarray
    scale: np.ndarray
    offset: np.ndarray

    @classmethod
    def one_per_frame(cls, scales: Sequence[np.ndarray], offsets: Sequence[np.ndarray]) -> ItemTransforms:
        """Item ``i`` is frame ``i``; ``scales``/``offsets`` hold one ``(2,)`` (or scalar) value per frame."""
        scale = np.stack([np.broadcast_to(np.asarray(value, dtype=np.float64), (2,)) for value in scales])
        offset = np.stack([np.broadcast_to(np.asarray(value, dtype=np.float64), (2,)) for value in offsets])
        return cls(np.arange(len(scale)), scale, offset)

    def __len__(self) -> int:
        return len(self.frame_index)

    def to_original(self, points: np.ndarray) -> np.ndarray:
        """Map ``(N, ..., 2|3)`` item pixels to frame pixels (float64); rows with a score < 0 stay -1."""
        return to_original(points, self.scale, self.offset)


@dataclass(frozen=True)
class PreparedBatch:
    """Model inputs and their :class:`ItemTransforms`.

    Attributes:
        images: ``(N, 3, H, W)`` float32 on the device, normalised and padded,
            channels-last memory format.
        transforms: one row per item of ``images``.
    """

    images: torch.Tensor
    transforms: ItemTransforms


class Preprocessor(Protocol):
    """Turns ``frames`` ``(B, H, W, 3)`` RGB uint8 into a :class:`PreparedBatch` on ``device``."""

    def __call__(self, frames: np.ndarray, device: torch.device) -> PreparedBatch: ...


class ResizeAndPad:
    """The ``data.inference`` pre-processing: resize, normalise, pad (one item per frame).

    Frames are resized (if configured) on the CPU with the function training
    uses, then go to the device as uint8 and are normalised and padded
    (bottom/right, with the normalised value of black) there.

    Args:
        preprocessing: the parsed ``data.inference`` section.
        normalization: the model backbone's input statistics.
    """

    def __init__(self, preprocessing: Preprocessing, normalization: Normalization) -> None:
        self.preprocessing = preprocessing
        self.normalization = normalization
        self._constants = _DeviceConstants(
            normalization.mean, normalization.std, normalization.black if preprocessing.normalize else np.zeros(3)
        )

    def __call__(self, frames: np.ndarray, device: torch.device) -> PreparedBatch:
        preprocessing = self.preprocessing
        scales = [np.ones(2)] * len(frames)
        if preprocessing.resizes:
            resized = [resize_image(frame, preprocessing.resize, preprocessing.longest_max_size)[0] for frame in frames]
            scales = [resize_transform(_size(frame), _size(image))[0] for frame, image in zip(frames, resized)]
            frames = np.stack(resized)
        images = torch.from_numpy(np.ascontiguousarray(frames)).to(device, non_blocking=True)
        images = images.permute(0, 3, 1, 2).float().div_(255.0)
        mean, std, fill = self._constants.on(device)
        if preprocessing.normalize:
            images = (images - mean) / std
        images = pad_to_divisors(images, preprocessing.pad_divisors, fill)
        return PreparedBatch(images, ItemTransforms.one_per_frame(scales, [np.zeros(2)] * len(scales)))


class UserTransform:
    """A user's ``transform(image=..., keypoints=...)`` applied frame by frame (one item per frame).

    An albumentations ``Compose`` works. A uint8 result is normalised with the
    backbone's statistics, a float result is taken as normalised. Each frame is
    mapped back with the ``scale``/``offset`` its own call returned, else by the
    ratio of sizes (right for resizes, not for crops). Results of different
    sizes are padded to the largest, then all to ``pad_divisors``.

    Args:
        transform: the callable.
        normalization: the model backbone's input statistics.
        pad_divisors: ``(width_divisor, height_divisor)`` or None.
    """

    def __init__(
        self,
        transform: Callable[..., dict[str, Any]],
        normalization: Normalization,
        pad_divisors: tuple[int, int] | None = None,
    ) -> None:
        self.transform = transform
        self.normalization = normalization
        self.pad_divisors = pad_divisors
        self._constants = _DeviceConstants(normalization.black)

    def __call__(self, frames: np.ndarray, device: torch.device) -> PreparedBatch:
        images, scales, offsets = [], [], []
        for frame in frames:
            out = self.transform(image=frame, keypoints=np.zeros((0, 2), np.float32))
            image = np.asarray(out["image"])
            if image.dtype == np.uint8:
                image = self.normalization.normalize(image)
            if "scale" in out:
                scales.append(out["scale"])
                offsets.append(out.get("offset", np.zeros(2)))
            else:  # a plain resize, or no change of size
                scales.append(resize_transform(_size(frame), _size(image))[0])
                offsets.append(np.zeros(2))
            images.append(np.asarray(image, dtype=np.float32))
        batch = torch.from_numpy(_stack_padded(images, self.normalization.black)).to(device, non_blocking=True)
        (fill,) = self._constants.on(device)
        batch = pad_to_divisors(batch.permute(0, 3, 1, 2), self.pad_divisors, fill)
        return PreparedBatch(batch, ItemTransforms.one_per_frame(scales, offsets))


def build_preprocessor(
    preprocessing: Preprocessing | Preprocessor,
    normalization: Normalization,
    transform: Callable[..., dict[str, Any]] | None = None,
) -> Preprocessor:
    """The pre-processor a runner uses.

    Args:
        preprocessing: a parsed ``data.inference`` section (-> :class:`ResizeAndPad`)
            or a ready :class:`Preprocessor` (used as it is).
        normalization: the model backbone's input statistics.
        transform: a user's callable (-> :class:`UserTransform`, padded to
            ``preprocessing.pad_divisors``); only with a :class:`Preprocessing`.

    Raises:
        TypeError: ``transform`` together with a ready pre-processor.
    """
    if not isinstance(preprocessing, Preprocessing):
        if transform is not None:
            raise TypeError("pass either a user transform or a ready pre-processor, not both")
        return preprocessing
    if transform is not None:
        return UserTransform(transform, normalization, preprocessing.pad_divisors)
    return ResizeAndPad(preprocessing, normalization)


def pad_to_divisors(images: torch.Tensor, divisors: tuple[int, int] | None, fill: torch.Tensor) -> torch.Tensor:
    """Pad ``(N, 3, H, W)`` bottom and right to multiples of ``(width, height)`` divisors.

    Args:
        images: the batch.
        divisors: ``(width_divisor, height_divisor)``, or None for no padding.
        fill: ``(1, 3, 1, 1)`` value of the padded pixels, on the images' device.

    Returns:
        A channels-last tensor; pixel coordinates do not change.
    """
    if divisors is not None:
        width_divisor, height_divisor = divisors
        pad_h = (-images.shape[2]) % height_divisor
        pad_w = (-images.shape[3]) % width_divisor
        if pad_h or pad_w:
            padded = fill.to(images.dtype).expand(images.shape[0], 3, images.shape[2] + pad_h, images.shape[3] + pad_w).clone()
            padded[:, :, : images.shape[2], : images.shape[3]] = images
            images = padded
    return images.contiguous(memory_format=torch.channels_last)


class _DeviceConstants:
    """Small per-channel arrays as ``(1, 3, 1, 1)`` float32 tensors, copied once to each device used."""

    def __init__(self, *values: np.ndarray) -> None:
        self.values = [np.asarray(value, dtype=np.float32) for value in values]
        self._by_device: dict[torch.device, tuple[torch.Tensor, ...]] = {}

    def on(self, device: torch.device) -> tuple[torch.Tensor, ...]:
        if device not in self._by_device:
            self._by_device[device] = tuple(torch.tensor(value, device=device).view(1, 3, 1, 1) for value in self.values)
        return self._by_device[device]


def _stack_padded(images: list[np.ndarray], fill: np.ndarray) -> np.ndarray:
    """Stack ``(H_i, W_i, 3)`` images into ``(N, H, W, 3)``, padding bottom/right with ``fill``."""
    height = max(image.shape[0] for image in images)
    width = max(image.shape[1] for image in images)
    if all(image.shape[:2] == (height, width) for image in images):
        return np.stack(images)
    out = np.empty((len(images), height, width, 3), np.float32)
    out[...] = fill
    for item, image in zip(out, images):
        item[: image.shape[0], : image.shape[1]] = image
    return out


def _size(image: np.ndarray) -> tuple[int, int]:
    """``(width, height)`` of an ``(H, W, ...)`` image."""
    return image.shape[1], image.shape[0]
