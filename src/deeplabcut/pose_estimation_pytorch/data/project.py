"""``ShuffleData``: a shuffle's labels, its train/test split, and COCO export."""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from deeplabcut.errors import ConfigError, MissingFileError
from deeplabcut.formats.collected_data import LabeledFrames, labels_to_arrays, read_collected_data
from deeplabcut.formats.training_data import read_documentation
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config
from deeplabcut.project.config import (
    get_bodyparts,
    get_individuals,
    get_unique_bodyparts,
    is_multianimal,
    read_config,
)
from deeplabcut.project.paths import (
    POSE_CONFIG_NAME,
    collected_data_filename,
    data_and_documentation_filenames,
    evaluation_folder,
    model_folder,
    training_set_folder,
)

SplitName = Literal["train", "test"]


@dataclass
class SplitData:
    """Labels of one split.

    Attributes:
        indices: rows of the merged labels.
        image_paths: absolute image paths.
        keypoints: ``(images, individuals, bodyparts, 2)`` pixels, NaN where unlabeled.
        unique_keypoints: ``(images, unique bodyparts, 2)``.
    """

    indices: np.ndarray
    image_paths: list[Path]
    keypoints: np.ndarray
    unique_keypoints: np.ndarray

    def __len__(self) -> int:
        return len(self.image_paths)


class ShuffleData:
    """One shuffle of a DeepLabCut project: labels, split and model folder.

    ``deeplabcut.pose_estimation_pytorch.data.Project`` is the same class (its
    name in DeepLabCut's PyTorch API).

    Args:
        config_path: the project's ``config.yaml``.
        shuffle: shuffle index.
        trainingsetindex: index into ``TrainingFraction`` of config.yaml.
        modelprefix: folder (relative to the project) holding the model folders.
        cfg: ``config.yaml`` already read with ``read_config`` (it is read here otherwise).
    """

    def __init__(
        self,
        config_path: str | Path,
        shuffle: int = 1,
        trainingsetindex: int = 0,
        modelprefix: str = "",
        cfg: dict[str, Any] | None = None,
    ) -> None:
        self.config_path = Path(config_path).resolve()
        self.cfg = cfg if cfg is not None else read_config(self.config_path)
        self.path = Path(self.cfg["project_path"])
        self.shuffle = int(shuffle)
        fractions = self.cfg["TrainingFraction"]
        try:
            index = operator.index(trainingsetindex)
        except TypeError:
            index = -1
        if not 0 <= index < len(fractions):
            raise ConfigError(
                f"trainingsetindex must be an index into config.yaml's TrainingFraction {list(fractions)} "
                f"(0..{len(fractions) - 1}), not {trainingsetindex!r}."
            )
        self.trainingsetindex = index
        self.train_fraction = float(fractions[self.trainingsetindex])
        self.modelprefix = modelprefix or ""
        self.multianimal = is_multianimal(self.cfg)
        self.bodyparts = get_bodyparts(self.cfg)
        self.unique_bodyparts = get_unique_bodyparts(self.cfg)
        self.individuals = get_individuals(self.cfg)
        self._labels: LabeledFrames | None = None
        self._dataframe: pd.DataFrame | None = None
        self._split: dict[str, np.ndarray] | None = None

    # -- folders -------------------------------------------------------------
    @property
    def model_folder(self) -> Path:
        """Absolute ``dlc-models-pytorch/iteration-<N>/<Task><date>-trainset<P>shuffle<k>``."""
        return self.path / model_folder(self.cfg, self.train_fraction, self.shuffle, self.modelprefix)

    @property
    def train_folder(self) -> Path:
        return self.model_folder / "train"

    @property
    def pose_config_path(self) -> Path:
        return self.train_folder / POSE_CONFIG_NAME

    @property
    def evaluation_folder(self) -> Path:
        return self.path / evaluation_folder(self.cfg, self.train_fraction, self.shuffle, self.modelprefix)

    def pytorch_config(self) -> dict[str, Any]:
        """The shuffle's ``train/pytorch_config.yaml``, read (and checked against config.yaml) at each call.

        Raises:
            MissingFileError: the shuffle has not been created.
        """
        if not self.pose_config_path.is_file():
            raise MissingFileError(
                f"'{self.pose_config_path}' does not exist: shuffle {self.shuffle} (training fraction "
                f"{self.train_fraction}) has no PyTorch model folder. Create it with "
                f"deeplabcut.create_training_dataset('{self.config_path}', Shuffles=[{self.shuffle}], net_type=...)."
            )
        pose_cfg = read_pytorch_config(self.pose_config_path)
        self._check_names(pose_cfg.get("metadata") or {})
        return pose_cfg

    def _check_names(self, metadata: dict[str, Any]) -> None:
        """The model's bodyparts and individuals must be config.yaml's, in the same order.

        Otherwise outputs would silently carry one bodypart's data under another's name.
        """
        for key, current in (
            ("bodyparts", self.bodyparts),
            ("unique_bodyparts", self.unique_bodyparts),
            ("individuals", self.individuals),
        ):
            recorded = metadata.get(key)
            if key == "individuals" and not self.multianimal and recorded is not None:
                if self._is_single_animal_name(list(recorded)):
                    continue
            if recorded is not None and list(recorded) != list(current):
                raise ConfigError(
                    f"'{self.pose_config_path}' was made for {key} {list(recorded)}, but '{self.config_path}' now "
                    f"lists {list(current)}. Restore the names and order in config.yaml, or create a new shuffle "
                    "(and train it) for the changed project."
                )

    def _is_single_animal_name(self, recorded: list[Any]) -> bool:
        """A single-animal shuffle's one individual, as DeepLabCut 3 names it.

        DeepLabCut 3.0.0 wrote ``[animal]`` (as this package does), 3.0.2 writes
        ``[individual_1]`` (its ``PoseMetadata`` default) or config.yaml's own
        ``individuals`` list when there is one; the names never reach a
        single-animal output, so each of these is accepted.
        """
        own = [str(name) for name in self.cfg.get("individuals") or []]
        return recorded in (["animal"], ["individual_1"]) or (bool(own) and [str(n) for n in recorded] == own)

    # -- labels --------------------------------------------------------------
    @property
    def labels(self) -> LabeledFrames:
        """All merged labels of the training set (rows as in the merged CollectedData)."""
        if self._labels is None:
            df = self.dataframe()
            self._labels = labels_to_arrays(
                df, self.bodyparts, self.individuals if self.multianimal else None, self.unique_bodyparts
            )
        return self._labels

    @property
    def split_indices(self) -> dict[str, np.ndarray]:
        """``{"train": rows, "test": rows}`` from the shuffle's documentation pickle."""
        if self._split is None:
            _, documentation = data_and_documentation_filenames(self.cfg, self.train_fraction, self.shuffle)
            _, train, test, _ = read_documentation(self.path / documentation)
            rows = np.concatenate([train, test])
            if len(rows) and rows.max() >= len(self.labels):
                raise ConfigError(
                    f"Shuffle {self.shuffle}'s split refers to row {rows.max()} but the merged labels have "
                    f"{len(self.labels)} rows; the training set changed after the shuffle was created. "
                    "Recreate the shuffle."
                )
            self._split = {"train": train, "test": test}
        return self._split

    def split(self, name: SplitName) -> SplitData:
        """Labels of the ``"train"`` or ``"test"`` images."""
        if name not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', not {name!r}")
        indices = self.split_indices[name]
        labels = self.labels
        return SplitData(
            indices=indices,
            image_paths=[self.path / labels.image_paths[i] for i in indices],
            keypoints=labels.keypoints[indices],
            unique_keypoints=labels.unique_keypoints[indices],
        )

    # -- COCO ----------------------------------------------------------------
    def to_coco(self, name: SplitName, bbox_margin: float = 20.0) -> dict[str, Any]:
        """The split in COCO keypoint format.

        One annotation per individual with at least one labeled point (category 1,
        ``animal``); unique bodyparts form one annotation of category 2
        (``unique_bodypart``). Keypoints are ``[x, y, v]`` triples with ``v = 2``
        for labeled and ``0`` (and x = y = 0) for unlabeled points; boxes are the
        labeled points' extent plus ``bbox_margin`` px, clipped to the image.
        """
        from PIL import Image

        from deeplabcut.geometry import box_area, box_to_xywh, keypoint_boxes

        data = self.split(name)
        skeleton = [
            [self.bodyparts.index(a) + 1, self.bodyparts.index(b) + 1]
            for a, b in self.cfg.get("skeleton") or []
            if a in self.bodyparts and b in self.bodyparts
        ]
        categories = [{"id": 1, "name": "animal", "supercategory": "animal", "keypoints": self.bodyparts, "skeleton": skeleton}]
        if self.unique_bodyparts:
            categories.append(
                {"id": 2, "name": "unique_bodypart", "supercategory": "animal", "keypoints": self.unique_bodyparts, "skeleton": []}
            )
        images, annotations = [], []
        for image_id, (path, keypoints, unique) in enumerate(
            zip(data.image_paths, data.keypoints, data.unique_keypoints), start=1
        ):
            with Image.open(path) as image:
                width, height = image.size
            images.append({"id": image_id, "file_name": str(path), "width": width, "height": height})
            groups = [(1, i, points) for i, points in enumerate(keypoints)]
            if self.unique_bodyparts:
                groups.append((2, -1, unique))
            for category, individual, points in groups:
                labeled = np.isfinite(points).all(axis=1)
                if not labeled.any():
                    continue
                triples = np.zeros((len(points), 3))
                triples[labeled, :2] = points[labeled]
                triples[labeled, 2] = 2
                box = keypoint_boxes(points, bbox_margin, image_size=(width, height))
                annotations.append(
                    {
                        "id": len(annotations) + 1,
                        "image_id": image_id,
                        "category_id": category,
                        "keypoints": triples.reshape(-1).round(3).tolist(),
                        "num_keypoints": int(labeled.sum()),
                        "bbox": [float(value) for value in box_to_xywh(box)],
                        "area": float(box_area(box)),
                        "iscrowd": 0,
                        "individual": self.individuals[individual] if individual >= 0 else "single",
                    }
                )
        return {"images": images, "annotations": annotations, "categories": categories}

    def export_coco(self, output_folder: str | Path) -> dict[str, Path]:
        """Write ``train.json`` and ``test.json`` (COCO keypoints) into ``output_folder``."""
        output_folder = Path(output_folder)
        output_folder.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name in ("train", "test"):
            paths[name] = output_folder / f"{name}.json"
            paths[name].write_text(json.dumps(self.to_coco(name), indent=1), encoding="utf-8")
        return paths

    def dataframe(self) -> pd.DataFrame:
        """The merged labels as DeepLabCut's DataFrame (read on first use, then kept).

        Raises:
            MissingFileError: the training set has not been created.
        """
        if self._dataframe is None:
            merged = self.path / training_set_folder(self.cfg) / collected_data_filename(self.cfg["scorer"])
            if not merged.is_file():
                raise MissingFileError(
                    f"Merged labels '{merged}' do not exist. Run deeplabcut.create_training_dataset first."
                )
            self._dataframe = read_collected_data(merged)
        return self._dataframe
