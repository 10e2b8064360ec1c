"""A user's training transform (``train_network(transform=..., transform_cropped=...)``), checked and fed.

DeepLabCut 3 users write albumentations pipelines such as::

    A.Compose(
        [A.Affine(rotate=20), A.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])],
        keypoint_params=A.KeypointParams("xy", remove_invisible=False, label_fields=["class_labels"]),
        bbox_params=A.BboxParams(format="coco", label_fields=["bbox_labels"]),
    )

and DeepLabCut 3 calls them as ``transform(image=, keypoints=, class_labels=,
bboxes=, bbox_labels=)`` (its ``data/utils.py::_apply_transform``), with
``class_labels`` ``individual<i>_<bodypart>`` then ``unique_<bodypart>`` per
keypoint and one COCO box ``[x, y, width, height]`` per animal.
:class:`UserTrainTransform` calls a ``Compose`` the same way: each label field
its ``KeypointParams``/``BboxParams`` name gets those labels, and the boxes
are given in the ``BboxParams`` format. Any other callable is called as
``transform(image=, keypoints=)``.

The pipeline must return an ``(H, W, C)`` image (the dataset makes the
channels-first tensor): a ``ToTensorV2`` step, or any output whose channels
come first, is refused with :class:`~deeplabcut.errors.ConfigError`. Images
that reach the model with values of 0-255 (no ``A.Normalize``) while inference
normalises them get one warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from deeplabcut.errors import ConfigError
from deeplabcut.geometry import keypoint_boxes

#: Images whose largest value exceeds this were not normalised (ImageNet-normalised RGB stays below 3).
UNNORMALISED_ABOVE = 10.0
#: Margin around an animal's keypoints for the boxes given to ``BboxParams`` pipelines (pixels).
BOX_MARGIN = 20.0
#: Step class names that turn the image into a channels-first tensor.
CHANNELS_FIRST_STEPS = ("ToTensorV2", "ToTensor")
_FIX_CHANNELS = (
    "Remove ToTensorV2 (or any step that moves the channels first) from the pipeline: it must return "
    "the image as (height, width, channels); the dataset makes the (channels, height, width) tensor itself."
)
_NORMALIZE = "A.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])"


def _steps(transform: Any) -> list[Any]:
    """Every step of an albumentations pipeline, nested composes included."""
    found = []
    for step in getattr(transform, "transforms", None) or []:
        found.append(step)
        found.extend(_steps(step))
    return found


def _processor_params(transform: Any, name: str) -> Any:
    processor = (getattr(transform, "processors", None) or {}).get(name)
    return getattr(processor, "params", None)


def _boxes_in_format(boxes: np.ndarray, fmt: str, width: int, height: int) -> np.ndarray:
    """``[x1, y1, x2, y2]`` pixel boxes in albumentations' ``fmt``."""
    x1, y1, x2, y2 = boxes.T
    if fmt == "pascal_voc":
        converted = [x1, y1, x2, y2]
    elif fmt == "coco":
        converted = [x1, y1, x2 - x1, y2 - y1]
    elif fmt == "albumentations":
        converted = [x1 / width, y1 / height, x2 / width, y2 / height]
    elif fmt == "yolo":
        converted = [(x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (x2 - x1) / width, (y2 - y1) / height]
    else:
        raise ConfigError(f"BboxParams(format={fmt!r}) is not supported in transform=; use format='coco'.")
    return np.stack(converted, axis=1).reshape(-1, 4)


class UserTrainTransform:
    """A user's training transform, called as DeepLabCut 3 calls it and checked (see the module docstring).

    The keypoints given to it are ``animals`` x ``bodyparts`` (animal by
    animal), then the ``unique_bodyparts``, ``(N, 2)`` pixels, NaN unlabeled.

    Args:
        transform: an albumentations ``Compose`` or any callable
            ``transform(image=, keypoints=) -> {"image", "keypoints", ...}``.
        bodyparts, unique_bodyparts: the names (for ``class_labels``).
        animals: animals per item.
        inference_normalizes: whether inference normalises images (``data.inference.normalize_images``);
            only then is an unnormalised training image warned about.

    Raises:
        ConfigError: the pipeline holds a ``ToTensorV2`` step, or keypoints in a format other than ``xy``.
    """

    def __init__(
        self,
        transform: Callable[..., dict[str, Any]],
        bodyparts: Sequence[str],
        unique_bodyparts: Sequence[str],
        animals: int,
        inference_normalizes: bool = True,
    ) -> None:
        for step in _steps(transform):
            if type(step).__name__ in CHANNELS_FIRST_STEPS:
                raise ConfigError(f"The transform given to train_network holds {type(step).__name__}. {_FIX_CHANNELS}")
        keypoint_params = _processor_params(transform, "keypoints")
        if keypoint_params is not None and getattr(keypoint_params, "format", "xy") != "xy":
            raise ConfigError(
                f"The transform given to train_network has KeypointParams(format={keypoint_params.format!r}); "
                "use A.KeypointParams('xy', remove_invisible=False, label_fields=['class_labels']) as DeepLabCut does."
            )
        self.transform = transform
        self.animals = animals
        self.num_bodyparts = len(bodyparts)
        #: DeepLabCut 3's names of the keypoints (``data/dataset.py``).
        self.keypoint_labels = [f"individual{i}_{name}" for i in range(animals) for name in bodyparts] + [
            f"unique_{name}" for name in unique_bodyparts
        ]
        self.inference_normalizes = inference_normalizes
        self._keypoint_fields = list(getattr(keypoint_params, "label_fields", None) or [])
        self._bbox_params = _processor_params(transform, "bboxes")
        self._warned = False

    def set_seed(self, seed: int | None) -> None:
        """Reseed the wrapped pipeline when it can be (``set_seed`` or albumentations' ``set_random_seed``)."""
        for name in ("set_seed", "set_random_seed"):
            if hasattr(self.transform, name):
                getattr(self.transform, name)(seed)
                return

    def _extra_arguments(self, image: np.ndarray, keypoints: np.ndarray) -> dict[str, Any]:
        """``class_labels`` (each keypoint label field) and ``bboxes``/``bbox_labels`` as the pipeline declares."""
        extra: dict[str, Any] = {field: list(self.keypoint_labels) for field in self._keypoint_fields}
        if self._bbox_params is not None:
            height, width = image.shape[:2]
            animal_points = keypoints[: self.animals * self.num_bodyparts].reshape(self.animals, self.num_bodyparts, 2)
            boxes = keypoint_boxes(animal_points, BOX_MARGIN, image_size=(width, height)).reshape(-1, 4)
            with np.errstate(invalid="ignore"):
                keep = np.isfinite(boxes).all(axis=1) & (boxes[:, 2] - boxes[:, 0] >= 1) & (boxes[:, 3] - boxes[:, 1] >= 1)
            extra["bboxes"] = _boxes_in_format(boxes[keep], self._bbox_params.format, width, height)
            for field in getattr(self._bbox_params, "label_fields", None) or []:
                extra[field] = np.arange(int(keep.sum()))
        return extra

    def __call__(self, image: np.ndarray, keypoints: np.ndarray) -> dict[str, Any]:
        if len(keypoints) != len(self.keypoint_labels):
            raise ValueError(f"expected {len(self.keypoint_labels)} keypoints, got {len(keypoints)}")
        result = self.transform(image=image, keypoints=keypoints, **self._extra_arguments(image, keypoints))
        out = result["image"]
        if not isinstance(out, np.ndarray):  # a torch tensor (ToTensorV2, or a step of the user's own)
            raise ConfigError(f"The transform given to train_network returned a {type(out).__name__} image. {_FIX_CHANNELS}")
        if out.ndim == 3 and out.shape[0] in (1, 3) and out.shape[2] not in (1, 3):
            raise ConfigError(
                f"The transform given to train_network returned an image of shape {tuple(out.shape)}, channels "
                f"first. {_FIX_CHANNELS}"
            )
        if self.inference_normalizes and not self._warned and out.size and float(np.nanmax(out)) > UNNORMALISED_ABOVE:
            self._warned = True
            warnings.warn(
                f"Images from the transform given to train_network reach the model with values up to "
                f"{float(np.nanmax(out)):.0f} (not normalised), but inference normalises them with ImageNet's mean "
                f"and std (data.inference.normalize_images), so the model will see different inputs when it is "
                f"used. End the pipeline with {_NORMALIZE}.",
                UserWarning,
                stacklevel=2,
            )
        return result
