"""Merging and checking the labeled data of all of a project's videos."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from deeplabcut.errors import CorruptFileError, LabelError, MissingFileError
from deeplabcut.formats.collected_data import (
    check_labels_match,
    image_relative_paths,
    normalize_collected_data,
    read_collected_data,
)
from deeplabcut.formats.pose_table import LABEL_COORDS, build_columns
from deeplabcut.project.config import (
    get_bodyparts,
    get_individuals,
    get_unique_bodyparts,
    is_multianimal,
    video_stems,
)
from deeplabcut.project.paths import collected_data_filename, labeled_data_folder


@dataclass
class MergedLabels:
    """All labels of a project, one row per labeled image.

    Attributes:
        dataframe: DeepLabCut's layout, 3-level row index, sorted, columns in
            config order (individuals, then ``single``).
        image_sizes: ``(height, width)`` of every row's image, in row order.
    """

    dataframe: pd.DataFrame
    image_sizes: np.ndarray

    @property
    def image_paths(self) -> list[str]:
        return image_relative_paths(self.dataframe.index)


def merge_labeled_data(cfg: dict[str, Any], check_images: bool = True) -> MergedLabels:
    """Read, check and merge ``labeled-data/<video>/CollectedData_<scorer>.h5`` of every video.

    Videos in ``video_sets`` without a labels file are skipped (not labeled
    yet); an error is raised only if no video has labels.

    Args:
        cfg: the project config (from ``read_config``).
        check_images: also check that every labeled image exists and that
            every label lies inside its image.

    Raises:
        MissingFileError: no labels at all, or a labeled image is missing.
        LabelError: labels that disagree with the config (scorer, bodyparts,
            individuals), lie outside their image, or hold no labeled point at all.
        CorruptFileError: a labels file or a labeled image cannot be read.
    """
    project_path = Path(cfg["project_path"])
    scorer = cfg["scorer"]
    bodyparts = get_bodyparts(cfg)
    unique_bodyparts = get_unique_bodyparts(cfg)
    individuals = get_individuals(cfg) if is_multianimal(cfg) else None

    frames = []
    label_files: list[str] = []
    for stem in video_stems(cfg):
        h5_path = labeled_data_folder(project_path, stem) / collected_data_filename(scorer)
        if not h5_path.is_file() and not h5_path.with_suffix(".csv").is_file():
            continue
        df = read_collected_data(h5_path)
        check_labels_match(df, h5_path, scorer, bodyparts, individuals, unique_bodyparts)
        frames.append(normalize_collected_data(df))
        label_files.append(str(h5_path.relative_to(project_path)) if h5_path.is_relative_to(project_path) else str(h5_path))
    if not frames:
        raise MissingFileError(
            f"No labeled data found for the videos of '{project_path / 'config.yaml'}' "
            f"(looked for labeled-data/<video>/{collected_data_filename(scorer)}). Extract and "
            "label frames first, and check that video_sets names the labeled videos."
        )
    merged = pd.concat(frames).sort_index()
    duplicated = merged.index[merged.index.duplicated()]
    if len(duplicated):
        raise LabelError(
            f"Image(s) {['/'.join(row) for row in duplicated[:5]]} are labeled more than once "
            "across the CollectedData files; remove the duplicate rows."
        )
    merged = merged.reindex(columns=_config_columns(merged.columns, bodyparts, individuals, unique_bodyparts))
    if not np.isfinite(merged.to_numpy(dtype=float)).any():
        raise LabelError(
            f"The labels of this project hold no labeled point: every value in {label_files} is empty "
            "(NaN) for the bodyparts of config.yaml. Label some frames (and save them) before creating "
            "a training dataset."
        )
    sizes = check_images_and_labels(merged, project_path) if check_images else np.zeros((len(merged), 2), int)
    return MergedLabels(dataframe=merged, image_sizes=sizes)


def _config_columns(
    columns: pd.MultiIndex,
    bodyparts: list[str],
    individuals: list[str] | None,
    unique_bodyparts: list[str],
) -> pd.MultiIndex:
    """Columns reordered to the config's order (individuals, bodyparts, x/y, then ``single``)."""
    scorer = columns.get_level_values("scorer")[0]
    if individuals is not None:
        present = set(columns.get_level_values("individuals"))
        individuals = [ind for ind in individuals if ind in present]
    return build_columns(scorer, bodyparts, individuals, unique_bodyparts, LABEL_COORDS).set_names(columns.names)


def decoded_image_size(path: Path) -> tuple[int, int] | None:
    """``(height, width)`` of an image that decodes completely, else ``None``.

    The header is read first (cheap), then every pixel is decoded, so an empty
    or truncated file is found here rather than in the middle of training.
    """
    try:
        with Image.open(path) as image:
            width, height = image.size
            image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    return height, width


def check_images_and_labels(df: pd.DataFrame, project_path: Path) -> np.ndarray:
    """Check that each labeled image exists and each label lies inside it.

    Returns:
        ``(rows, 2)`` array of ``(height, width)`` per image.

    Raises:
        MissingFileError: naming the missing images and the labels file to fix.
        CorruptFileError: naming images that do not decode (empty, truncated).
        LabelError: naming the image, bodypart and coordinates of labels outside the image.
    """
    paths = image_relative_paths(df.index)
    missing = [path for path in paths if not (project_path / path).is_file()]
    if missing:
        stem = missing[0].split("/")[1]
        raise MissingFileError(
            f"{len(missing)} labeled image(s) do not exist, e.g. '{project_path / missing[0]}'. "
            f"Restore them, or delete their rows from labeled-data/{stem}/CollectedData_*.h5 "
            "(e.g. with the labeling GUI)."
        )
    sizes = np.zeros((len(paths), 2), dtype=int)
    unreadable: list[str] = []
    for row, path in enumerate(paths):
        size = decoded_image_size(project_path / path)
        if size is None:
            unreadable.append(path)
        else:
            sizes[row] = size
    if unreadable:
        stem = unreadable[0].split("/")[1]
        raise CorruptFileError(
            f"{len(unreadable)} labeled image(s) cannot be decoded (empty, truncated or not an image), "
            f"e.g. '{project_path / unreadable[0]}'"
            + (f" and {unreadable[1:4]}" if len(unreadable) > 1 else "")
            + ". Extract those frames again (deeplabcut.extract_frames), or delete their rows from "
            f"labeled-data/{stem}/CollectedData_*.h5."
        )

    coords = df.columns.get_level_values("coords")
    x = df.loc[:, coords == "x"].to_numpy()
    y = df.loc[:, coords == "y"].to_numpy()
    heights, widths = sizes[:, :1], sizes[:, 1:]
    outside = (x < 0) | (y < 0) | (x > widths) | (y > heights)  # NaN compares False
    if outside.any():
        rows, cols = np.nonzero(outside)
        point_columns = df.loc[:, coords == "x"].columns
        examples = []
        for row, col in list(zip(rows, cols))[:5]:
            name = point_columns[col][1:-1]
            examples.append(
                f"{paths[row]} {'/'.join(name)} at ({x[row, col]:.1f}, {y[row, col]:.1f}) "
                f"in a {widths[row, 0]}x{heights[row, 0]} image"
            )
        raise LabelError(
            f"{len(rows)} label(s) lie outside their image: " + "; ".join(examples) + ". Move or "
            "delete them in the labeling GUI (labeled-data/<video>/CollectedData_*.h5)."
        )
    return sizes
