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
A top-down model makes one item per detected animal: :class:`TopDownCrops`
runs the detector (:class:`DetectorBoxes`) on the frames, cuts each box out
with :func:`~deeplabcut.pose_estimation_pytorch.data.crops.crop_around_box`
(training's crop function) and records each crop's frame, scale and offset;
nothing else changes. It also hands each frame's boxes on
(``PreparedBatch.frame_data``) and asks for ``max_individuals`` rows per frame
(``PreparedBatch.rows``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch

from deeplabcut.errors import ModelError
from deeplabcut.geometry import resize_transform, to_original
from deeplabcut.pose_estimation_pytorch.data.crops import crop_around_box
from deeplabcut.pose_estimation_pytorch.data.normalization import Normalization
from deeplabcut.pose_estimation_pytorch.data.preprocessing import Preprocessing
from deeplabcut.pose_estimation_pytorch.data.transforms import resize_image
from deeplabcut.pose_estimation_pytorch.runtime import inference_context


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

    @classmethod
    def empty(cls) -> ItemTransforms:
        """No items."""
        return cls(np.zeros(0, dtype=int), np.zeros((0, 2)), np.zeros((0, 2)))

    def to_original(self, points: np.ndarray) -> np.ndarray:
        """Map ``(N, ..., 2|3)`` item pixels to frame pixels (float64); rows with a score < 0 stay -1."""
        return to_original(points, self.scale, self.offset)

    def through(self, outer: ItemTransforms) -> ItemTransforms:
        """These items were made from ``outer``'s items: the map from them straight to ``outer``'s frames.

        ``self.frame_index`` indexes ``outer``'s items (e.g. a crop pre-processed
        again: ``self`` maps the model input to the crop, ``outer`` the crop to its frame).
        """
        index = self.frame_index
        return ItemTransforms(
            outer.frame_index[index],
            self.scale * outer.scale[index],
            self.offset * outer.scale[index] + outer.offset[index],
        )


@dataclass(frozen=True)
class PreparedBatch:
    """Model inputs and their :class:`ItemTransforms`.

    Attributes:
        images: ``(N, 3, H, W)`` float32 on the device, normalised and padded,
            channels-last memory format.
        transforms: one row per item of ``images``.
        rows: rows (animals) per frame once the items are mapped back
            (:func:`~deeplabcut.pose_estimation_pytorch.inference.postprocessing.items_to_frames`):
            ``max_individuals`` for top-down crops, None for one item per frame.
        frame_data: per-frame results of the pre-processing, returned with the
            poses, each with a leading frame axis (top-down: ``bboxes``
            ``(B, max_individuals, 4)`` and ``bbox_scores`` ``(B, max_individuals)``).
    """

    images: torch.Tensor
    transforms: ItemTransforms
    rows: int | None = None
    frame_data: Mapping[str, np.ndarray] = field(default_factory=dict)


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


class DetectorBoxes:
    """Runs a detector on whole frames: each frame's animal boxes in frame pixels.

    The frames are prepared as the detector's ``detector.data.inference`` section
    says (:class:`ResizeAndPad`: an input size, if it sets one with ``resize`` or
    ``longest_max_size``, normalisation, padding), and the boxes it finds are
    mapped back to frame pixels and clipped to the frame.

    Args:
        detector: a module with ``forward(images)`` and ``predict(outputs,
            image_size) -> {"bboxes": (B, N, 4), "bbox_scores": (B, N)}`` (the
            ``DETECTORS`` contract), moved to the device and set to eval mode by the caller.
        preprocessing: the parsed ``detector.data.inference`` section.
        normalization: the detector backbone's input statistics.
        precision: autocast dtype for the detector (None: full precision).
    """

    def __init__(
        self,
        detector: torch.nn.Module,
        preprocessing: Preprocessing,
        normalization: Normalization,
        precision: torch.dtype | None = None,
    ) -> None:
        self.detector = detector
        self.preprocessor = ResizeAndPad(preprocessing, normalization)
        self.precision = precision

    @torch.inference_mode()
    def __call__(self, frames: np.ndarray, device: torch.device) -> tuple[np.ndarray, np.ndarray]:
        """Boxes of ``frames`` ``(B, H, W, 3)``.

        Returns:
            ``bboxes`` float64 ``(B, N, 4)`` ``[x1, y1, x2, y2]`` in frame pixels and
            ``bbox_scores`` ``(B, N)``, best first; rows without an animal are -1.
        """
        batch = self.preprocessor(frames, device)
        with inference_context(device, self.precision):
            outputs = self.detector(batch.images)
        outputs = {name: value.float() for name, value in outputs.items()}
        found = self.detector.predict(outputs, image_size=tuple(batch.images.shape[-2:]))
        boxes = found["bboxes"].float().cpu().numpy().astype(np.float64)
        scores = found["bbox_scores"].float().cpu().numpy().astype(np.float64)
        missing = scores < 0
        # [x1, y1, x2, y2] -> two corners (B, N, 2, 2), mapped like keypoints
        transforms = batch.transforms
        corners = boxes.reshape(len(boxes), -1, 2) * transforms.scale[:, None] + transforms.offset[:, None]
        height, width = frames.shape[1:3]
        corners = np.clip(corners, 0.0, [width, height])
        boxes = corners.reshape(boxes.shape)
        boxes[missing] = -1.0
        return boxes, scores


class TopDownCrops:
    """The top-down pre-processor: one item per animal box, cut out of its frame.

    Each frame's boxes (found by ``detector``, or given) with a score of at
    least ``min_bbox_score`` are kept, at most ``max_individuals`` per frame,
    best first; each is cut out with
    :func:`~deeplabcut.pose_estimation_pytorch.data.crops.crop_around_box`
    at ``crop_size`` (the box grown to the crop's aspect ratio, as in training)
    and the crops of the whole batch of frames are prepared together by
    ``item_preprocessor`` (normalisation; a user transform). Every item
    records its frame and the map crop pixel -> frame pixel, so the poses the
    model finds in the crops are mapped back like any other item. A frame
    without boxes has no item and gets ``max_individuals`` rows of -1.

    Args:
        detector: finds the boxes (:class:`DetectorBoxes`); None when there is
            no detector (then boxes must be given to each call).
        crop_size: ``(width, height)`` of the crops (``data.inference.top_down_crop``).
        item_preprocessor: prepares the crops (``(N, h, w, 3)`` uint8 -> model inputs).
        max_individuals: rows per frame, and the most boxes used per frame.
        min_bbox_score: boxes scored below this are not animals.
    """

    def __init__(
        self,
        detector: DetectorBoxes | None,
        crop_size: tuple[int, int],
        item_preprocessor: Preprocessor,
        max_individuals: int,
        min_bbox_score: float = 0.0,
    ) -> None:
        self.detector = detector
        self.crop_size = (int(crop_size[0]), int(crop_size[1]))
        self.item_preprocessor = item_preprocessor
        self.max_individuals = int(max_individuals)
        self.min_bbox_score = float(min_bbox_score)

    def __call__(
        self,
        frames: np.ndarray,
        device: torch.device,
        boxes: Sequence[np.ndarray] | np.ndarray | None = None,
        scores: Sequence[np.ndarray] | np.ndarray | None = None,
    ) -> PreparedBatch:
        """Crop the animals of ``frames`` ``(B, H, W, 3)``.

        Args:
            boxes: per frame, ``(n, 4)`` ``[x1, y1, x2, y2]`` frame pixels to use instead
                of the detector's (e.g. ground-truth boxes); NaN or -1 rows are skipped.
            scores: per frame, ``(n,)`` scores of ``boxes`` (default 1).

        Raises:
            ModelError: no boxes were given and there is no detector.
        """
        if boxes is None:
            if self.detector is None:
                raise ModelError(
                    "This top-down model has no detector snapshot (snapshot-detector-*.pt) to find the animals; "
                    "train the detector first (train_network with detector epochs > 0)."
                )
            boxes, scores = self.detector(frames, device)
        boxes, scores = self._select(boxes, scores, len(frames))
        crops, frame_index, crop_scales, crop_offsets = [], [], [], []
        for frame_number, frame in enumerate(frames):
            for box in boxes[frame_number][scores[frame_number] >= 0]:
                crop, scale, offset = crop_around_box(frame, box, self.crop_size)
                crops.append(crop)
                frame_index.append(frame_number)
                crop_scales.append(scale)
                crop_offsets.append(offset)
        frame_data = {"bboxes": boxes, "bbox_scores": scores}
        if not crops:
            width, height = self.crop_size
            images = torch.zeros((0, 3, height, width), device=device).contiguous(memory_format=torch.channels_last)
            return PreparedBatch(images, ItemTransforms.empty(), self.max_individuals, frame_data)
        prepared = self.item_preprocessor(np.stack(crops), device)
        to_frames = ItemTransforms(np.asarray(frame_index), np.asarray(crop_scales), np.asarray(crop_offsets))
        return PreparedBatch(prepared.images, prepared.transforms.through(to_frames), self.max_individuals, frame_data)

    def _select(self, boxes: Any, scores: Any, num_frames: int) -> tuple[np.ndarray, np.ndarray]:
        """Each frame's usable boxes, best first: ``(B, max_individuals, 4)`` and scores, -1 rows for none."""
        out_boxes = np.full((num_frames, self.max_individuals, 4), -1.0)
        out_scores = np.full((num_frames, self.max_individuals), -1.0)
        if len(boxes) != num_frames:
            raise ValueError(f"got boxes for {len(boxes)} frames, expected {num_frames}")
        for frame in range(num_frames):
            frame_boxes = np.asarray(boxes[frame], dtype=np.float64).reshape(-1, 4)
            if scores is None or scores[frame] is None:
                frame_scores = np.ones(len(frame_boxes))
            else:
                frame_scores = np.asarray(scores[frame], dtype=np.float64).reshape(-1)
            usable = (
                np.isfinite(frame_boxes).all(axis=1)
                & np.isfinite(frame_scores)
                & (frame_scores >= 0)
                & (frame_scores >= self.min_bbox_score)
                & (frame_boxes[:, 2] > frame_boxes[:, 0])
                & (frame_boxes[:, 3] > frame_boxes[:, 1])
            )
            order = np.flatnonzero(usable)
            order = order[np.argsort(-frame_scores[order], kind="stable")][: self.max_individuals]
            out_boxes[frame, : len(order)] = frame_boxes[order]
            out_scores[frame, : len(order)] = frame_scores[order]
        return out_boxes, out_scores


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
