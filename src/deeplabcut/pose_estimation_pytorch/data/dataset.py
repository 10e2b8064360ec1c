"""``PoseTrainDataset``: images and augmented keypoints for training and evaluation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from deeplabcut.errors import MissingFileError
from deeplabcut.pose_estimation_pytorch.data.normalization import IMAGENET, Normalization
from deeplabcut.pose_estimation_pytorch.data.project import ShuffleData, SplitName
from deeplabcut.pose_estimation_pytorch.data.transforms import build_transforms
from deeplabcut.pose_estimation_pytorch.data.user_transforms import UserTrainTransform


def load_image(path: str | Path) -> np.ndarray:
    """Read an image file as RGB uint8 ``(H, W, 3)``.

    Raises:
        MissingFileError: the file is missing or not an image OpenCV can read.
    """
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise MissingFileError(f"Cannot read image '{path}'. Check that the file exists and is a PNG/JPEG.")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


class PoseTrainDataset(Dataset):
    """Images of one split with their keypoints, augmented and normalized.

    Each item is a dict (see ``docs/architecture.md``): ``image`` float32
    ``(3, H, W)``; ``keypoints`` ``(A, K, 2)`` and ``visibility`` ``(A, K)``;
    ``keypoints_unique`` ``(U, 2)`` and ``visibility_unique`` ``(U,)``;
    ``offset``/``scale`` (``original = p * scale + offset``); ``image_path``;
    ``index`` (row in the merged labels). Keypoints that are unlabeled or
    outside the (augmented) image have coordinates 0 and visibility 0, except
    unlabeled unique bodyparts: ``visibility_unique`` -1. A unique bodyparts'
    head (one instance per image) trains a labeled one that the crop left out as
    absent, but must not be told that an unlabeled one is absent. Animals'
    keypoints keep 0 for both: DEKR trains a missing keypoint as background, as
    DeepLabCut 3 does, where -1 would mask its channel for every animal of the image.

    Args:
        project: the shuffle.
        split: ``"train"`` or ``"test"``.
        transform: a callable ``transform(image=..., keypoints=...) -> {"image", "keypoints", ...}``,
            or an albumentations ``Compose`` as DeepLabCut 3 users write it (label fields, bbox
            params), called and checked by :class:`~.user_transforms.UserTrainTransform`; by default
            built from ``pytorch_config.yaml`` (``data.train`` when ``augment`` else ``data.inference``).
        augment: which config section to build the default transform from.
        pytorch_config: the config to build from (default: the shuffle's file).
        seed: seeds the default transform's random draws.
        normalization: the default transform's input statistics: the model
            backbone's ``normalization`` (ImageNet for every backbone here).
        data_section: the ``data`` section to build the default transform from
            (default: the config's top-level ``data``; a detector's is ``detector.data``).
        where: that section's name in error messages.

    Subclasses change what an item is (a crop around one animal, a detector
    image with boxes) through :meth:`item_layout` and :meth:`make_item`.
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
        data_section: Mapping[str, Any] | None = None,
        where: str = "data",
    ) -> None:
        self.project = project
        self.split_name = split
        self.data = project.split(split)
        self.max_individuals, num_unique = self.item_layout()
        if transform is None:
            config = pytorch_config if pytorch_config is not None else project.pytorch_config()
            section_name = "train" if augment else "inference"
            data_cfg = data_section if data_section is not None else config["data"]
            transform = build_transforms(
                data_cfg.get(section_name),
                bodyparts=project.bodyparts,
                max_individuals=self.max_individuals,
                num_unique_bodyparts=num_unique,
                seed=seed,
                normalization=normalization,
                where=f"{where}.{section_name}",
            )
        else:
            inference = ((pytorch_config or {}).get("data") or {}).get("inference") or {}
            transform = UserTrainTransform(
                transform,
                project.bodyparts,
                project.unique_bodyparts[:num_unique],
                self.max_individuals,
                inference_normalizes=bool(inference.get("normalize_images", True)),
            )
        self.transform = transform

    def item_layout(self) -> tuple[int, int]:
        """``(animals, unique bodyparts)`` of an item: ``max_individuals`` and the project's unique bodyparts."""
        return len(self.project.individuals), len(self.project.unique_bodyparts)

    def set_epoch_seed(self, seed: int) -> None:
        """Reseed the augmentation (when it supports it) so an epoch's draws depend only on ``seed``."""
        if hasattr(self.transform, "set_seed"):
            self.transform.set_seed(seed)
        elif hasattr(self.transform, "set_random_seed"):
            self.transform.set_random_seed(seed)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.make_item(
            load_image(self.data.image_paths[index]),
            self.data.keypoints[index],
            self.data.unique_keypoints[index],
            image_path=str(self.data.image_paths[index]),
            row=int(self.data.indices[index]),
        )

    def make_item(
        self, image: np.ndarray, animals: np.ndarray, unique: np.ndarray, image_path: str, row: int
    ) -> dict[str, Any]:
        """Transform ``image`` (RGB uint8) with its ``animals`` ``(A, K, 2)`` and ``unique`` ``(U, 2)``
        keypoints (pixels, NaN unlabeled) into an item (see the class docstring)."""
        num_animal_points = animals.shape[0] * animals.shape[1]
        points = np.concatenate([animals.reshape(-1, 2), unique.reshape(-1, 2)]).astype(np.float32)
        unique_labeled = np.isfinite(unique.reshape(-1, 2)).all(axis=1)

        result = self.transform(image=image, keypoints=points)
        out_image = np.asarray(result["image"], dtype=np.float32)
        if out_image.ndim == 2:
            out_image = out_image[..., None].repeat(3, axis=2)
        height, width = out_image.shape[:2]
        points = np.asarray(result["keypoints"], dtype=np.float32).reshape(-1, 2)
        if len(points) != num_animal_points + len(unique):
            raise ValueError(
                "The transform changed the number of keypoints; use remove_invisible=False in "
                "albumentations' KeypointParams so that every keypoint is kept."
            )
        with np.errstate(invalid="ignore"):
            visible = np.isfinite(points).all(axis=1) & (points[:, 0] >= 0) & (points[:, 1] >= 0)
            visible &= (points[:, 0] <= width - 1) & (points[:, 1] <= height - 1)
        points = np.where(visible[:, None], points, 0.0).astype(np.float32)

        animal_points = points[:num_animal_points].reshape(animals.shape)
        animal_visible = visible[:num_animal_points].reshape(animals.shape[:2])
        return {
            "image": torch.from_numpy(np.ascontiguousarray(out_image.transpose(2, 0, 1))),
            "keypoints": torch.from_numpy(animal_points),
            "visibility": torch.from_numpy(animal_visible.astype(np.float32)),
            "keypoints_unique": torch.from_numpy(points[num_animal_points:]),
            "visibility_unique": torch.from_numpy(
                np.where(visible[num_animal_points:], 1.0, np.where(unique_labeled, 0.0, -1.0)).astype(np.float32)
            ),
            "offset": torch.as_tensor(result.get("offset", np.zeros(2)), dtype=torch.float32),
            "scale": torch.as_tensor(result.get("scale", np.ones(2)), dtype=torch.float32),
            "image_path": image_path,
            "index": row,
        }
