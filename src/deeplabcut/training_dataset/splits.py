"""Train/test splits and the files DeepLabCut keeps about them.

Per shuffle and training fraction DeepLabCut writes
``Documentation_data-<Task>_<P>shuffle<k>.pickle`` holding
``[data, train_indices, test_indices, train_fraction]`` (indices into the
sorted, merged ``CollectedData_<scorer>.h5``), a training-data file (``.mat``
for single-animal, ``.pickle`` for multi-animal projects) and an entry in
``metadata.yaml``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from deeplabcut.errors import ConfigError
from deeplabcut.formats.training_data import read_documentation, read_metadata, write_metadata
from deeplabcut.project.paths import data_and_documentation_filenames, model_folder, shuffle_name, training_set_folder

_SHUFFLE_IN_NAME = re.compile(r"shuffle(?P<shuffle>\d+)\.pickle$")
_MODEL_FOLDER = re.compile(r"^.*-trainset(?P<percent>\d+)shuffle(?P<shuffle>\d+)$")


def split_indices(num_images: int, train_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random train/test split: the first ``int(n * fraction)`` of a seeded permutation train.

    The same ``seed`` (the shuffle index) always gives the same split.
    """
    permutation = np.random.default_rng(seed).permutation(num_images)
    train_size = int(num_images * round(train_fraction, 2))
    return np.sort(permutation[:train_size]), np.sort(permutation[train_size:])


def existing_shuffles(project_path: Path, cfg: dict[str, Any]) -> dict[int, list[float]]:
    """Shuffle indices already used in this iteration, with their training fractions.

    A shuffle counts as used if its split file exists, or if its PyTorch model
    folder does (a model folder whose training-dataset files were deleted must
    not be silently reused for a new split).
    """
    shuffles: dict[int, list[float]] = {}
    folder = project_path / training_set_folder(cfg)
    if folder.is_dir():
        for path in folder.glob(f"Documentation_data-{cfg['Task']}_*shuffle*.pickle"):
            match = _SHUFFLE_IN_NAME.search(path.name)
            if match:
                percent = int(path.name.split("_")[-1].split("shuffle")[0])
                shuffles.setdefault(int(match["shuffle"]), []).append(percent / 100)
    models = project_path / model_folder(cfg, 0.5, 1).parent
    if models.is_dir():
        for path in models.iterdir():
            match = _MODEL_FOLDER.match(path.name)
            if path.is_dir() and match and path.name.startswith(f"{cfg['Task']}{cfg['date']}-"):
                fractions = shuffles.setdefault(int(match["shuffle"]), [])
                if int(match["percent"]) / 100 not in fractions:
                    fractions.append(int(match["percent"]) / 100)
    return shuffles


def training_entries(
    keypoints: np.ndarray,
    unique_keypoints: np.ndarray,
    image_paths: list[str],
    image_sizes: np.ndarray,
    indices: np.ndarray,
    multianimal: bool,
) -> list[dict[str, Any]]:
    """DeepLabCut's per-image training entries ``{image, size, joints}`` for ``indices``.

    ``joints`` rows are ``[bodypart index, x, y]``. Multi-animal entries hold a
    dict from individual index to such rows (the unique bodyparts under the
    index after the last individual, numbered after the multi-animal ones).
    Images without any label are left out, as DeepLabCut does.
    """
    entries = []
    num_bodyparts = keypoints.shape[2]
    for index in indices:
        height, width = image_sizes[index]
        joints: dict[int, np.ndarray] = {}
        for individual, points in enumerate(keypoints[index]):
            rows = _joint_rows(points, offset=0)
            if len(rows):
                joints[individual] = rows
        if unique_keypoints.shape[1]:
            rows = _joint_rows(unique_keypoints[index], offset=num_bodyparts)
            if len(rows):
                joints[keypoints.shape[1]] = rows
        if not joints:
            continue
        entry = {
            "image": tuple(image_paths[index].split("/")),
            "size": np.array([3, height, width]),
            "joints": joints if multianimal else joints.get(0, np.zeros((0, 3))),
        }
        entries.append(entry)
    return entries


def _joint_rows(points: np.ndarray, offset: int) -> np.ndarray:
    visible = np.isfinite(points).all(axis=1)
    ids = np.nonzero(visible)[0]
    return np.column_stack([ids + offset, points[visible]]).astype(float)


def update_metadata(
    project_path: Path,
    cfg: dict[str, Any],
    shuffle: int,
    train_fraction: float,
    train_indices: np.ndarray,
    test_indices: np.ndarray,
    engine: str = "pytorch",
) -> None:
    """Add or replace one shuffle in ``metadata.yaml``, giving shuffles with equal splits one split id."""
    path = project_path / training_set_folder(cfg) / "metadata.yaml"
    shuffles = read_metadata(path)
    splits = _known_splits(project_path, cfg, shuffles)
    key = (tuple(int(i) for i in np.sort(train_indices)), tuple(int(i) for i in np.sort(test_indices)))
    split_id = splits.get(key, max(splits.values(), default=0) + 1)
    shuffles[shuffle_name(cfg, train_fraction, shuffle)] = {
        "train_fraction": float(train_fraction),
        "index": int(shuffle),
        "split": int(split_id),
        "engine": engine,
    }
    write_metadata(path, shuffles)


def _known_splits(project_path: Path, cfg: dict[str, Any], shuffles: dict[str, Any]) -> dict[tuple, int]:
    known: dict[tuple, int] = {}
    for entry in shuffles.values():
        _, documentation = data_and_documentation_filenames(cfg, entry["train_fraction"], entry["index"])
        if (project_path / documentation).is_file():
            _, train, test, _ = read_documentation(project_path / documentation)
            known[(tuple(int(i) for i in train), tuple(int(i) for i in test))] = int(entry["split"])
    return known


def check_given_indices(
    train_indices: list, test_indices: list, num_images: int, num_shuffles: int
) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """Validate user-given ``trainIndices``/``testIndices`` (one list per shuffle, or one flat list).

    Returns ``(train_fraction, train, test)`` per shuffle, the fraction as
    DeepLabCut 3 records it: ``round(len(train) / (len(train) + len(test)), 2)``
    of the lists as given, then ``-1`` entries (the padding of DeepLabCut's
    ``SplitTrials(..., enforce_train_fraction=True)``) are dropped.

    Raises:
        ConfigError: mismatched counts, indices out of range, or overlapping sets.
    """
    if len(train_indices) and np.isscalar(train_indices[0]):
        train_indices, test_indices = [train_indices], [test_indices]
    if len(train_indices) != len(test_indices):
        raise ConfigError(
            f"Got {len(train_indices)} trainIndices lists but {len(test_indices)} testIndices lists; "
            "give one of each per shuffle."
        )
    if len(train_indices) != num_shuffles:
        raise ConfigError(
            f"Got splits for {len(train_indices)} shuffle(s) but {num_shuffles} shuffle(s) to create; "
            "pass Shuffles=[...] with one index per trainIndices list."
        )
    splits = []
    for train, test in zip(train_indices, test_indices):
        train, test = np.asarray(train, dtype=int).ravel(), np.asarray(test, dtype=int).ravel()
        if not (train != -1).any():
            raise ConfigError("trainIndices is empty; a shuffle needs training images.")
        fraction = round(len(train) / (len(train) + len(test)), 2)
        train, test = train[train != -1], test[test != -1]
        for name, values in (("trainIndices", train), ("testIndices", test)):
            if values.size and (values.min() < 0 or values.max() >= num_images):
                raise ConfigError(
                    f"{name} hold values outside 0..{num_images - 1} (there are {num_images} labeled images)."
                )
        overlap = np.intersect1d(train, test)
        if overlap.size:
            raise ConfigError(f"Images {overlap[:10].tolist()} are in both trainIndices and testIndices.")
        splits.append((fraction, np.sort(train), np.sort(test)))
    return splits
