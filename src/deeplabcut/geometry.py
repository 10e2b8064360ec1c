"""Geometry shared by codecs, datasets, metrics, trackers, stitching and inference.

Pure functions, NumPy in and out (the box functions also take torch tensors
and return tensors). Coordinates are pixels, ``x`` right and ``y`` down.

* Boxes are ``[x1, y1, x2, y2]`` in pixels of the image the keypoints refer to.
* A per-item transform is a pair ``scale (2,)``, ``offset (2,)`` (or a batch
  ``(B, 2)``, ``(B, 2)``) that maps a point ``p`` of a model input (a resized
  image or a crop) back to the original image: ``original = p * scale + offset``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch")


# ---------------------------------------------------------------------------
# Boxes
# ---------------------------------------------------------------------------


def keypoint_boxes(
    keypoints: Any,
    margin: float = 0.0,
    image_size: tuple[float, float] | None = None,
    visible: Any = None,
) -> Any:
    """Boxes around each animal's keypoints, grown by ``margin`` pixels on every side.

    Args:
        keypoints: ``(..., K, 2+)`` pixels (extra columns such as a score are
            ignored); NaN marks a missing keypoint. NumPy array or torch tensor.
        margin: pixels added on each side (``bbox_margin``, ``boundingboxslack``).
        image_size: ``(width, height)``: clip the box to the image when given.
        visible: optional ``(..., K)`` boolean mask; keypoints where it is False
            are ignored as if NaN.

    Returns:
        ``(..., 4)`` boxes ``[x1, y1, x2, y2]`` (float64 for NumPy input, the
        input's dtype for tensors); NaN for an animal without any finite keypoint.
    """
    if _is_tensor(keypoints):
        return _keypoint_boxes_torch(keypoints, margin, image_size, visible)
    xy = np.asarray(keypoints, dtype=np.float64)[..., :2]
    valid = np.isfinite(xy).all(axis=-1)
    if visible is not None:
        valid &= np.asarray(visible, dtype=bool)
    low = np.where(valid[..., None], xy, np.inf).min(axis=-2) - margin
    high = np.where(valid[..., None], xy, -np.inf).max(axis=-2) + margin
    if image_size is not None:
        size = np.asarray(image_size, dtype=np.float64)
        low = np.clip(low, 0.0, size)
        high = np.clip(high, 0.0, size)
    boxes = np.concatenate([low, high], axis=-1)
    boxes[~valid.any(axis=-1)] = np.nan
    return boxes


def _keypoint_boxes_torch(keypoints: Any, margin: float, image_size: Any, visible: Any) -> Any:
    import torch

    xy = keypoints[..., :2]
    valid = torch.isfinite(xy).all(dim=-1)
    if visible is not None:
        valid = valid & visible.bool()
    big = torch.finfo(xy.dtype).max
    mask = valid.unsqueeze(-1)
    low = torch.where(mask, xy, torch.full_like(xy, big)).amin(dim=-2) - margin
    high = torch.where(mask, xy, torch.full_like(xy, -big)).amax(dim=-2) + margin
    if image_size is not None:
        size = torch.as_tensor(image_size, dtype=xy.dtype, device=xy.device)
        zero = torch.zeros_like(size)
        low = torch.minimum(torch.maximum(low, zero), size)
        high = torch.minimum(torch.maximum(high, zero), size)
    boxes = torch.cat([low, high], dim=-1)
    return torch.where(valid.any(dim=-1, keepdim=True), boxes, torch.full_like(boxes, float("nan")))


def box_area(boxes: Any) -> Any:
    """Areas ``(...)`` of boxes ``(..., 4)`` in square pixels (0 for an inverted box)."""
    width = boxes[..., 2] - boxes[..., 0]
    height = boxes[..., 3] - boxes[..., 1]
    if _is_tensor(boxes):
        return width.clamp(min=0) * height.clamp(min=0)
    return np.maximum(width, 0.0) * np.maximum(height, 0.0)


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Pairwise intersection over union of boxes ``[x1, y1, x2, y2]``.

    Args:
        boxes_a: ``(A, 4)``; boxes_b: ``(B, 4)``.

    Returns:
        ``(A, B)``; 0 where a union is empty or a box is NaN.
    """
    a = np.asarray(boxes_a, dtype=np.float64)[:, None, :]
    b = np.asarray(boxes_b, dtype=np.float64)[None, :, :]
    width = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    height = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])
    intersection = np.maximum(width, 0.0) * np.maximum(height, 0.0)
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - intersection
    iou = intersection / np.maximum(union, 1e-12)  # an empty union has no intersection
    iou[np.isnan(iou)] = 0.0
    return iou


def box_to_xywh(boxes: np.ndarray) -> np.ndarray:
    """``[x1, y1, x2, y2]`` -> COCO ``[x, y, width, height]``, shape kept ``(..., 4)``."""
    boxes = np.asarray(boxes, dtype=np.float64)
    return np.concatenate([boxes[..., :2], boxes[..., 2:] - boxes[..., :2]], axis=-1)


# ---------------------------------------------------------------------------
# Per-item transforms: original = p * scale + offset
# ---------------------------------------------------------------------------


def resize_transform(original_size: tuple[float, float], resized_size: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Scale and offset that map pixels of a resized image back to the original.

    Args:
        original_size, resized_size: ``(width, height)`` in pixels.

    Returns:
        ``scale (2,)`` = original / resized per axis, ``offset (2,)`` = 0.
    """
    scale = np.asarray(original_size, dtype=np.float64) / np.asarray(resized_size, dtype=np.float64)
    return scale, np.zeros(2)


def crop_transform(
    box: np.ndarray,
    output_size: tuple[int, int],
    keep_aspect: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The crop that turns ``box`` into an ``output_size`` image, and its map back.

    With ``keep_aspect`` the box is grown about its centre to the output's
    aspect ratio, so the crop is resized by one factor on both axes (the
    animal is not distorted).

    Args:
        box: ``[x1, y1, x2, y2]`` in original-image pixels.
        output_size: ``(width, height)`` of the crop fed to the model.
        keep_aspect: grow the box to the output's aspect ratio first.

    Returns:
        ``crop_box (4,)`` the region actually cropped (may extend past the image),
        ``scale (2,)`` and ``offset (2,)`` with ``original = p * scale + offset``
        for a point ``p`` in crop pixels.
    """
    x1, y1, x2, y2 = (float(v) for v in box)
    out_w, out_h = float(output_size[0]), float(output_size[1])
    width, height = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
    centre_x, centre_y = 0.5 * (x1 + x2), 0.5 * (y1 + y2)
    if keep_aspect:
        if width / height > out_w / out_h:
            height = width * out_h / out_w
        else:
            width = height * out_w / out_h
    crop_box = np.array([centre_x - width / 2, centre_y - height / 2, centre_x + width / 2, centre_y + height / 2])
    scale = np.array([width / out_w, height / out_h])
    return crop_box, scale, crop_box[:2].copy()


def to_original(points: np.ndarray, scale: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Map model-input pixels back to original-image pixels, per item.

    Args:
        points: ``(..., 2)`` or ``(..., 3)`` with a score; only ``x, y`` change.
            Rows whose score is < 0 are padding (DeepLabCut's -1 rows) and stay -1.
            With a leading item axis ``(B, ...)``, ``scale``/``offset`` are ``(B, 2)``.
        scale, offset: ``(2,)`` for one item or ``(B, 2)`` for a batch.

    Returns:
        A new array of the same shape.
    """
    points = np.array(points, dtype=np.float64, copy=True)
    scale = np.asarray(scale, dtype=np.float64)
    offset = np.asarray(offset, dtype=np.float64)
    if scale.ndim == 2:  # (B, 2) -> broadcast over the item's other axes
        extra = points.ndim - 2
        scale = scale.reshape(scale.shape[0], *([1] * extra), 2)
        offset = offset.reshape(offset.shape[0], *([1] * extra), 2)
    xy = points[..., :2]
    mapped = xy * scale + offset
    if points.shape[-1] > 2:
        mapped = np.where(points[..., 2:3] < 0, -1.0, mapped)
    points[..., :2] = mapped
    return points


def from_original(points: np.ndarray, scale: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_original` for ``x, y`` (no padding handling): ``p = (original - offset) / scale``."""
    points = np.array(points, dtype=np.float64, copy=True)
    points[..., :2] = (points[..., :2] - np.asarray(offset)) / np.asarray(scale)
    return points
