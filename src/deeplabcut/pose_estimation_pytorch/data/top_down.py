"""Datasets of top-down models: crops around each labeled animal (pose) and full images with boxes (detector).

A top-down model is two models. The detector sees whole images and learns a
box around each animal: the extent of its labeled keypoints plus
``bbox_margin`` pixels (:func:`top_down_bbox_margin`). The pose model sees one
animal per item: the ``top_down_crop`` (width x height, from the config) cut
around that box with :func:`~deeplabcut.pose_estimation_pytorch.data.crops.crop_around_box`,
the same function inference uses on detected boxes, so that training and
inference crops agree.

Both datasets are :class:`~deeplabcut.pose_estimation_pytorch.data.dataset.PoseTrainDataset`
(image loading, augmentation, normalisation with the backbone's statistics)
with another kind of item; both carry the ``scale``/``offset`` that map the
item's pixels back to the labeled image: ``original = p * scale + offset``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from deeplabcut.errors import ConfigError
from deeplabcut.geometry import from_original, keypoint_boxes
from deeplabcut.pose_estimation_pytorch.data.crops import crop_around_box
from deeplabcut.pose_estimation_pytorch.data.dataset import PoseTrainDataset, load_image
from deeplabcut.pose_estimation_pytorch.data.normalization import IMAGENET, Normalization
from deeplabcut.pose_estimation_pytorch.data.project import ShuffleData, SplitName

#: Pixels around the keypoints of a box when the config does not say (DeepLabCut's ``bbox_margin``).
DEFAULT_BBOX_MARGIN = 20.0


def top_down_bbox_margin(pytorch_config: Mapping[str, Any]) -> float:
    """Pixels added around an animal's keypoints to make its box, for the detector and the crops.

    The detector's ``detector.model.bbox_margin`` when there is a detector
    section (the crops must match the boxes the detector learns to find),
    else DeepLabCut's ``data.bbox_margin``, else 20.
    """
    detector = pytorch_config.get("detector") or {}
    margin = (detector.get("model") or {}).get("bbox_margin")
    if margin is None:
        margin = (pytorch_config.get("data") or {}).get("bbox_margin", DEFAULT_BBOX_MARGIN)
    return float(margin)


def top_down_crop_size(data_section: Mapping[str, Any], augment: bool = False) -> tuple[int, int]:
    """``(width, height)`` of the crops fed to a top-down pose model.

    Read from ``data.inference.top_down_crop`` (``data.train.top_down_crop``
    when ``augment``), falling back to the other section.

    Raises:
        ConfigError: neither section has a ``top_down_crop`` ``{width, height}``.
    """
    names = ("train", "inference") if augment else ("inference", "train")
    for name in names:
        crop = (data_section.get(name) or {}).get("top_down_crop")
        if crop:
            try:
                width, height = int(crop["width"]), int(crop["height"])
            except (KeyError, TypeError, ValueError):
                raise ConfigError(
                    f"pytorch_config.yaml data.{name}.top_down_crop must be {{width: W, height: H}} (pixels), not {crop!r}."
                ) from None
            if width < 1 or height < 1:
                raise ConfigError(f"pytorch_config.yaml data.{name}.top_down_crop must have positive sides, not {crop!r}.")
            return width, height
    raise ConfigError(
        "A top-down model needs the crop size: set data.train.top_down_crop and data.inference.top_down_crop "
        "to {width: W, height: H} in pytorch_config.yaml."
    )


class CroppedPoseDataset(PoseTrainDataset):
    """One item per (labeled image, animal with at least one labeled keypoint): the animal's crop.

    The crop is ``top_down_crop`` (width x height) cut around the animal's box
    (its keypoints' extent plus ``bbox_margin``, clipped to the image), grown to
    the crop's aspect ratio; the keypoints are mapped into crop pixels, then
    the crop and keypoints go through ``transform`` (``data.train`` or
    ``data.inference`` by default; a ``transform_cropped`` of ``train_network``).
    Items are those of :class:`PoseTrainDataset` with one animal (``A = 1``) and
    no unique bodyparts (top-down models have none), plus ``animal`` (the
    individual's index); ``scale``/``offset`` map crop pixels back to the
    labeled image and ``index`` is the image's row, shared by its animals' items.

    Args:
        project, split, transform, augment, pytorch_config, seed, normalization: as for
            :class:`PoseTrainDataset`.
        crop_size: ``(width, height)``; default :func:`top_down_crop_size` of the config.
        bbox_margin: pixels around the keypoints; default :func:`top_down_bbox_margin`.
    """

    def __init__(
        self,
        project: ShuffleData,
        split: SplitName = "train",
        transform: Callable[..., dict[str, Any]] | None = None,
        augment: bool = True,
        pytorch_config: dict[str, Any] | None = None,
        seed: int | None = None,
        normalization: Normalization = IMAGENET,
        crop_size: tuple[int, int] | None = None,
        bbox_margin: float | None = None,
    ) -> None:
        config = pytorch_config if pytorch_config is not None else project.pytorch_config()
        super().__init__(project, split, transform, augment, config, seed, normalization)
        self.crop_size = crop_size if crop_size is not None else top_down_crop_size(config["data"], augment)
        self.bbox_margin = float(bbox_margin) if bbox_margin is not None else top_down_bbox_margin(config)
        labeled = np.isfinite(self.data.keypoints).all(axis=-1).any(axis=-1)  # (images, A)
        #: ``(position in the split, animal)`` of each item.
        self.items: list[tuple[int, int]] = [(int(i), int(a)) for i, a in zip(*np.nonzero(labeled))]

    def item_layout(self) -> tuple[int, int]:
        return 1, 0

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, Any]:
        position, animal = self.items[index]
        image = load_image(self.data.image_paths[position])
        keypoints = self.data.keypoints[position, animal]  # (K, 2), NaN unlabeled
        box = keypoint_boxes(keypoints, self.bbox_margin, image_size=(image.shape[1], image.shape[0]))
        crop, crop_scale, crop_offset = crop_around_box(image, box, self.crop_size)
        item = self.make_item(
            crop,
            from_original(keypoints, crop_scale, crop_offset)[None],
            np.zeros((0, 2), np.float32),
            image_path=str(self.data.image_paths[position]),
            row=int(self.data.indices[position]),
        )
        # crop pixels -> image: p * crop_scale + crop_offset, after the transform's own map.
        scale = torch.as_tensor(crop_scale, dtype=torch.float64)
        offset = torch.as_tensor(crop_offset, dtype=torch.float64)
        item["offset"] = (item["offset"].double() * scale + offset).float()
        item["scale"] = (item["scale"].double() * scale).float()
        item["animal"] = animal
        return item


class DetectorDataset(PoseTrainDataset):
    """Whole images with a box per animal, for training and validating the detector.

    Items are those of :class:`PoseTrainDataset` (all ``max_individuals``
    animals) plus ``boxes`` float32 ``(A, 4)`` ``[x1, y1, x2, y2]`` in pixels of
    the item's (augmented, resized) image: the visible keypoints' extent plus
    ``bbox_margin`` pixels of the labeled image, clipped to the image; NaN rows
    for animals without a visible keypoint.

    The default transforms come from the detector's own ``detector.data.train``
    / ``detector.data.inference`` sections, whose ``resize`` or
    ``longest_max_size`` set the detector's input size (``scale`` maps it back).

    Args:
        project, split, transform, augment, pytorch_config, seed, normalization: as for
            :class:`PoseTrainDataset`.
        bbox_margin: pixels around the keypoints; default :func:`top_down_bbox_margin`.
    """

    def __init__(
        self,
        project: ShuffleData,
        split: SplitName = "train",
        transform: Callable[..., dict[str, Any]] | None = None,
        augment: bool = True,
        pytorch_config: dict[str, Any] | None = None,
        seed: int | None = None,
        normalization: Normalization = IMAGENET,
        bbox_margin: float | None = None,
    ) -> None:
        config = pytorch_config if pytorch_config is not None else project.pytorch_config()
        detector = config.get("detector")
        if not detector:
            raise ConfigError(
                f"'{project.pose_config_path}' has no detector section; only top-down net types "
                "(token_pose_*, top_down_hrnet_*) train a detector."
            )
        super().__init__(
            project, split, transform, augment, config, seed, normalization,
            data_section=detector.get("data") or {}, where="detector.data",
        )  # fmt: skip
        self.bbox_margin = float(bbox_margin) if bbox_margin is not None else top_down_bbox_margin(config)

    def __getitem__(self, index: int) -> dict[str, Any]:
        image = load_image(self.data.image_paths[index])
        item = self.make_item(
            image,
            self.data.keypoints[index],
            self.data.unique_keypoints[index],
            image_path=str(self.data.image_paths[index]),
            row=int(self.data.indices[index]),
        )
        item["boxes"] = torch.from_numpy(self.boxes(item, image_size=(image.shape[1], image.shape[0])))
        return item

    def boxes(self, item: Mapping[str, Any], image_size: tuple[int, int]) -> np.ndarray:
        """The item's boxes ``(A, 4)`` float32 (see the class docstring); ``image_size`` is the labeled image's ``(W, H)``."""
        scale = item["scale"].numpy().astype(np.float64)
        offset = item["offset"].numpy().astype(np.float64)
        boxes = keypoint_boxes(item["keypoints"].numpy(), 0.0, visible=item["visibility"].numpy() > 0)
        margin = self.bbox_margin / scale  # the margin in the item's pixels
        boxes[:, :2] -= margin
        boxes[:, 2:] += margin
        # The labeled image's extent in item pixels (without the padding), within the item image.
        height, width = item["image"].shape[-2:]
        low = np.maximum(-offset / scale, 0.0)
        high = np.minimum((np.asarray(image_size, np.float64) - offset) / scale, [width, height])
        boxes = np.concatenate([np.clip(boxes[:, :2], low, high), np.clip(boxes[:, 2:], low, high)], axis=1)
        return boxes.astype(np.float32)
