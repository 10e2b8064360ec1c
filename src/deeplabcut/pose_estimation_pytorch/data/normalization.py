"""Input normalisation: the per-channel statistics a backbone's weights were trained with.

A backbone carries its :class:`Normalization` as metadata (``backbone.normalization``,
like its ``stride``); whoever builds a dataset or an inference runner for a model
passes that value on, so images are normalised as the weights expect.
Every backbone here starts from ImageNet classifiers, hence :data:`IMAGENET`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _read_only(values: object) -> np.ndarray:
    array = np.array(values, dtype=np.float32).reshape(3)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Normalization:
    """``normalized = (rgb / 255 - mean) / std`` per channel, RGB order.

    Attributes:
        mean, std: ``(3,)`` float32, read-only, for RGB values scaled to [0, 1].
    """

    mean: np.ndarray
    std: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _read_only(self.mean))
        object.__setattr__(self, "std", _read_only(self.std))

    def normalize(self, image: np.ndarray) -> np.ndarray:
        """RGB ``(H, W, 3)`` uint8 -> float32 ``(H, W, 3)`` normalised."""
        return (image.astype(np.float32) / 255.0 - self.mean) / self.std

    @property
    def black(self) -> np.ndarray:
        """``(3,)`` float32: the normalised value of a black pixel (the fill of padding)."""
        return -self.mean / self.std


#: ImageNet statistics (``A.Normalize()``'s defaults): the weights of every backbone here.
IMAGENET = Normalization(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
IMAGENET_MEAN = IMAGENET.mean
IMAGENET_STD = IMAGENET.std
