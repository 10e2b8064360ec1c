"""Cutting an animal's crop out of a frame: one function for training and inference.

A top-down model sees each animal in a fixed-size crop. The crop region comes
from :func:`deeplabcut.geometry.crop_transform` (a box grown to the crop's
aspect ratio), and the same ``scale``/``offset`` that cut the crop map the
model's predictions back: ``original = p * scale + offset``.
"""

from __future__ import annotations

import cv2
import numpy as np

from deeplabcut.geometry import crop_transform


def crop_image(image: np.ndarray, scale: np.ndarray, offset: np.ndarray, output_size: tuple[int, int]) -> np.ndarray:
    """Resample the region ``offset + [0, output_size) * scale`` of ``image`` into ``output_size``.

    Args:
        image: ``(H, W, C)`` (uint8 or float) in original-image pixels.
        scale, offset: ``(2,)`` the map from crop pixels to image pixels.
        output_size: ``(width, height)`` of the crop.

    Returns:
        ``(height, width, C)`` of the image's dtype; parts of the region outside
        the image are black (0).
    """
    scale = np.asarray(scale, dtype=np.float64)
    offset = np.asarray(offset, dtype=np.float64)
    # image -> crop: p = (original - offset) / scale
    matrix = np.array(
        [[1.0 / scale[0], 0.0, -offset[0] / scale[0]], [0.0, 1.0 / scale[1], -offset[1] / scale[1]]]
    )
    width, height = int(output_size[0]), int(output_size[1])
    cropped = cv2.warpAffine(
        image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    return cropped.reshape(height, width, -1) if image.ndim == 3 else cropped


def crop_around_box(
    image: np.ndarray, box: np.ndarray, output_size: tuple[int, int], keep_aspect: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``output_size`` crop centred on ``box`` (grown to the crop's aspect ratio) and its map back.

    Args:
        image: ``(H, W, C)``.
        box: ``[x1, y1, x2, y2]`` in image pixels (e.g. keypoints + ``bbox_margin``,
            or a detection).
        output_size: ``(width, height)``.
        keep_aspect: grow the box to the crop's aspect ratio so the animal is not distorted.

    Returns:
        ``crop (height, width, C)``, ``scale (2,)``, ``offset (2,)`` with
        ``original = p * scale + offset``.
    """
    _, scale, offset = crop_transform(box, output_size, keep_aspect=keep_aspect)
    return crop_image(image, scale, offset, output_size), scale, offset
