"""``CollectedData_<scorer>.h5`` and its ``.csv`` twin: read, check, write, convert.

Layout (DeepLabCut's):

* single-animal columns: levels ``scorer / bodyparts / coords`` with coords ``x, y``;
* multi-animal columns: ``scorer / individuals / bodyparts / coords``, the
  individuals in config order with every multi-animal bodypart, then the
  pseudo-individual ``single`` holding the unique bodyparts;
* rows: a 3-level index ``("labeled-data", <video stem>, <image name>)``, or in
  older files one string ``"labeled-data/<video stem>/<image name>"``;
* values: float pixel coordinates, NaN where a bodypart is not labeled;
* HDF key ``df_with_missing``.

The columns are built and read by :mod:`deeplabcut.formats.pose_table`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from deeplabcut.errors import CorruptFileError, LabelError, MissingFileError
from deeplabcut.formats.pose_table import (
    LABEL_COORDS,
    MULTI_ANIMAL_LEVELS,
    SINGLE_ANIMAL,
    SINGLE_ANIMAL_LEVELS,
    SINGLE_INDIVIDUAL,
    poses_to_dataframe,
    select_poses,
)
from deeplabcut.utils.hdf import EXACT_CSV_FLOATS, read_hdf, write_hdf_and_csv

HDF_KEY = "df_with_missing"


@dataclass
class LabeledFrames:
    """Labels of a set of images as arrays.

    Attributes:
        image_paths: image paths relative to the project, ``labeled-data/<video>/<img>``
            (always with forward slashes).
        keypoints: ``(frames, individuals, bodyparts, 2)`` pixel coordinates, NaN where unlabeled.
        unique_keypoints: ``(frames, unique bodyparts, 2)``; zero-width when there are none.
        bodyparts, unique_bodyparts, individuals: names in array order.
        scorer: the labeler's name (top column level).
    """

    image_paths: list[str]
    keypoints: np.ndarray
    unique_keypoints: np.ndarray
    bodyparts: list[str]
    unique_bodyparts: list[str]
    individuals: list[str]
    scorer: str

    def __len__(self) -> int:
        return len(self.image_paths)


def read_collected_data(path: str | Path) -> pd.DataFrame:
    """Read a CollectedData file (``.h5``, or the ``.csv`` twin), values as float64.

    A ``.h5`` path whose file is missing, or cannot be read (empty, truncated,
    not HDF5), falls back to the ``.csv`` beside it; the fallback from a
    damaged file is announced with a warning. The ``.h5`` is read without
    letting it run code (:func:`deeplabcut.utils.hdf.read_hdf`), after a read in
    a child process so that a file that crashes the HDF5 library is reported as
    damaged; object columns must hold text.

    Raises:
        MissingFileError: neither file exists.
        CorruptFileError: the ``.h5`` cannot be read and there is no ``.csv`` twin.
        UnsafeFileError: the ``.h5`` holds a pickle that names a forbidden global.
        LabelError: the file is not DeepLabCut labels, or a value is not a number
            (naming the row and column).
    """
    path = Path(path)
    h5_path = path.with_suffix(".h5")
    csv_path = path.with_suffix(".csv")
    if path.suffix == ".h5" and h5_path.is_file():
        try:
            df = read_hdf(h5_path, HDF_KEY, first_key_if_missing=True, isolate_crashes=True)
        except CorruptFileError as err:
            if not csv_path.is_file():
                raise CorruptFileError(
                    f"{err} There is no '{csv_path.name}' beside it to fall back to: restore the labels "
                    "from a backup, or label these frames again."
                ) from err
            warnings.warn(
                f"'{h5_path}' cannot be read; using '{csv_path.name}' beside it instead. Save the labels "
                "again (e.g. in the labeling GUI) to rewrite the .h5.",
                stacklevel=2,
            )
            return read_collected_csv(csv_path)
        return _coordinates_as_float(_check_object_columns(df, h5_path), h5_path)
    if csv_path.is_file():
        return read_collected_csv(csv_path)
    raise MissingFileError(
        f"No labels at '{h5_path}' (nor '{csv_path.name}' beside it). Label frames of this video "
        "first, or remove the video from video_sets in config.yaml."
    )


def _check_object_columns(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Refuse object columns holding anything but text (and missing values)."""
    for column in df.columns[df.dtypes == object]:
        for row, value in df[column].items():
            plain = isinstance(value, (str, int, float)) or value is None or value is pd.NA
            if not plain:
                raise LabelError(
                    f"'{path}': row '{_row_name(row)}' column '{_column_name(column)}' holds a "
                    f"{type(value).__name__} object; labels are numbers (pixel coordinates). Is it a "
                    "DeepLabCut CollectedData file? Save the labels again with the labeling GUI."
                )
    return df


def _coordinates_as_float(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The labels with float64 values, or a LabelError naming the first cell that is not a number."""
    if all(pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype) for dtype in df.dtypes):
        return df.astype("float64")
    numeric = df.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna().to_numpy() & df.notna().to_numpy()
    if bad.any():
        rows, columns = np.nonzero(bad)
        value = df.iat[rows[0], columns[0]]
        more = f" ({len(rows) - 1} more cell(s) like it)" if len(rows) > 1 else ""
        raise LabelError(
            f"'{path}': row '{_row_name(df.index[rows[0]])}' column '{_column_name(df.columns[columns[0]])}' "
            f"holds {value!r}, which is not a number{more}. Labels are pixel coordinates; fix the "
            "value, or leave the cell empty for a bodypart that is not labeled."
        )
    return numeric.astype("float64")


def _row_name(row: object) -> str:
    return "/".join(str(part) for part in row) if isinstance(row, tuple) else str(row)


def _column_name(column: object) -> str:
    return "/".join(str(part) for part in column) if isinstance(column, tuple) else str(column)


def read_collected_csv(path: str | Path) -> pd.DataFrame:
    """Read DeepLabCut's CollectedData ``.csv``: 3 or 4 header rows, 1- or 3-column index."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise CorruptFileError(f"'{path}' is not UTF-8 text ({err}); it is not a DeepLabCut labels file.") from err
    if len(lines) < 3:
        raise LabelError(f"'{path}' has fewer than 3 lines; it is not a DeepLabCut labels file.")
    multi = lines[1].split(",")[0] == "individuals"
    header = [0, 1, 2, 3] if multi else [0, 1, 2]
    data_start = len(header)
    first_cell = lines[data_start].split(",")[0] if len(lines) > data_start else ""
    # A 3-level row index writes "labeled-data" alone in the first cell;
    # a one-string index writes "labeled-data/<video>/<image>".
    index_col = [0, 1, 2] if first_cell == "labeled-data" else 0
    try:
        df = pd.read_csv(io.StringIO("\n".join(lines)), header=header, index_col=index_col, **EXACT_CSV_FLOATS)
        df.columns = df.columns.set_names(MULTI_ANIMAL_LEVELS if multi else SINGLE_ANIMAL_LEVELS)
    except (ValueError, IndexError, pd.errors.ParserError) as err:
        raise LabelError(f"Cannot parse '{path}' as DeepLabCut labels: {err}.") from err
    if isinstance(df.index, pd.MultiIndex):
        df.index = df.index.set_names([None] * df.index.nlevels)
    else:
        df.index.name = None
    return _coordinates_as_float(df, path)


def write_collected_data(df: pd.DataFrame, h5_path: str | Path, write_csv: bool = True) -> None:
    """Write labels to ``CollectedData_<scorer>.h5`` (key ``df_with_missing``) and its ``.csv``.

    Both files are written atomically (temporary name, then rename).
    """
    write_hdf_and_csv(df, Path(h5_path).with_suffix(".h5"), key=HDF_KEY, format="fixed", csv=write_csv)


def normalize_collected_data(df: pd.DataFrame) -> pd.DataFrame:
    """Labels in the form the rest of the package uses.

    * rows get the 3-level index ``(labeled-data, video, image)`` (one-string
      indexes are split on ``/`` or ``\\``);
    * ``likelihood`` columns (present in machine-labeled files) are dropped;
    * values become float64.
    """
    df = df.copy()
    df.index = three_level_index(df.index)
    if "coords" in df.columns.names:
        coords = df.columns.get_level_values("coords")
        df = df.loc[:, coords != "likelihood"]
    return df.astype("float64")


def three_level_index(index: pd.Index) -> pd.MultiIndex:
    """Turn ``labeled-data/<video>/<img>`` strings into a 3-level MultiIndex (no-op if already)."""
    if isinstance(index, pd.MultiIndex):
        if index.nlevels != 3:
            raise LabelError(f"Row index has {index.nlevels} levels; expected 3 (labeled-data, video, image).")
        return pd.MultiIndex.from_tuples([tuple(str(v) for v in row) for row in index])
    rows = []
    for value in index:
        parts = str(value).replace("\\", "/").split("/")
        if len(parts) < 3:
            raise LabelError(
                f"Row '{value}' is not 'labeled-data/<video>/<image>'; the labels file does not "
                "follow DeepLabCut's layout."
            )
        rows.append(tuple(parts[-3:]))
    return pd.MultiIndex.from_tuples(rows)


def image_relative_paths(index: pd.Index) -> list[str]:
    """Image paths ``labeled-data/<video>/<img>`` of a labels DataFrame's rows."""
    return ["/".join(row) for row in three_level_index(index)]


def labels_to_arrays(
    df: pd.DataFrame,
    bodyparts: list[str],
    individuals: list[str] | None = None,
    unique_bodyparts: list[str] | None = None,
) -> LabeledFrames:
    """Convert a labels DataFrame into arrays ordered as the config lists names.

    ``individuals=None`` reads single-animal columns. Columns the DataFrame
    lacks give NaN; call :func:`check_labels_match` first to make that an error.
    """
    df = normalize_collected_data(df)
    scorer = str(df.columns.get_level_values("scorer")[0])
    unique_bodyparts = list(unique_bodyparts or [])
    multi = individuals is not None
    if multi and "individuals" not in df.columns.names:
        raise LabelError(
            "These labels are single-animal (no 'individuals' column level) but the project is "
            "multi-animal. Set multianimalproject: false in config.yaml, or relabel the frames as a "
            "multi-animal project (one individual per animal)."
        )
    if not multi and "individuals" in df.columns.names:
        raise LabelError(
            "These labels are multi-animal (they have an 'individuals' column level) but the "
            "project is single-animal. Set multianimalproject: true in config.yaml."
        )
    if multi:
        keypoints = select_poses(df, individuals, bodyparts, LABEL_COORDS)
        unique = select_poses(df, [SINGLE_INDIVIDUAL], unique_bodyparts, LABEL_COORDS)[:, 0]
    else:
        keypoints = select_poses(df, [SINGLE_ANIMAL], bodyparts, LABEL_COORDS)
        unique = np.zeros((len(df), 0, 2))
    return LabeledFrames(
        image_paths=image_relative_paths(df.index),
        keypoints=keypoints,
        unique_keypoints=unique,
        bodyparts=list(bodyparts),
        unique_bodyparts=unique_bodyparts,
        individuals=list(individuals) if multi else ["animal"],
        scorer=scorer,
    )


def arrays_to_labels(frames: LabeledFrames, multianimal: bool) -> pd.DataFrame:
    """Inverse of :func:`labels_to_arrays`: a DataFrame in DeepLabCut's layout."""
    index = pd.MultiIndex.from_tuples([tuple(path.split("/")) for path in frames.image_paths])
    return poses_to_dataframe(
        frames.scorer,
        frames.bodyparts,
        frames.keypoints,
        frames.individuals if multianimal else None,
        frames.unique_bodyparts,
        frames.unique_keypoints,
        index=index,
        coords=LABEL_COORDS,
    )


def check_labels_match(
    df: pd.DataFrame,
    path: str | Path,
    scorer: str,
    bodyparts: list[str],
    individuals: list[str] | None,
    unique_bodyparts: list[str] | None = None,
) -> None:
    """Raise :class:`LabelError` if the labels' scorer, bodyparts or individuals differ from the config.

    Args:
        df: labels as read from ``path``.
        path: the file, named in the message.
        individuals: ``None`` for a single-animal project.
    """
    where = f"'{path}'"
    if "scorer" not in df.columns.names or "coords" not in df.columns.names:
        raise LabelError(
            f"{where} has column levels {list(df.columns.names)}; expected {SINGLE_ANIMAL_LEVELS} "
            f"or {MULTI_ANIMAL_LEVELS}."
        )
    scorers = sorted(set(df.columns.get_level_values("scorer")))
    if scorers != [scorer]:
        raise LabelError(
            f"{where} was labeled by scorer(s) {scorers}, but config.yaml says scorer: {scorer}. "
            "Set 'scorer' in config.yaml to the labeler's name, or relabel."
        )
    unique_bodyparts = list(unique_bodyparts or [])
    multi = individuals is not None
    if multi != ("individuals" in df.columns.names):
        kind = "multi-animal" if "individuals" in df.columns.names else "single-animal"
        raise LabelError(
            f"{where} holds {kind} labels but config.yaml has multianimalproject: {multi}. "
            "Make the two agree."
        )
    coords = set(df.columns.get_level_values("coords")) - {"likelihood"}
    if coords != {"x", "y"}:
        raise LabelError(f"{where} has coords {sorted(coords)}; expected x and y.")
    if multi:
        found_individuals = list(dict.fromkeys(df.columns.get_level_values("individuals")))
        animals = [ind for ind in found_individuals if ind != SINGLE_INDIVIDUAL]
        extra = [ind for ind in animals if ind not in individuals]
        if extra:
            raise LabelError(
                f"{where} has individuals {extra} that config.yaml does not list ({individuals}). "
                "Add them to 'individuals' in config.yaml or remove them from the labels."
            )
        animal_columns = df.columns[df.columns.get_level_values("individuals") != SINGLE_INDIVIDUAL]
        single_columns = df.columns[df.columns.get_level_values("individuals") == SINGLE_INDIVIDUAL]
        _compare_names(
            where, "multianimalbodyparts", list(dict.fromkeys(animal_columns.get_level_values("bodyparts"))), bodyparts
        )
        _compare_names(
            where, "uniquebodyparts", list(dict.fromkeys(single_columns.get_level_values("bodyparts"))), unique_bodyparts
        )
    else:
        _compare_names(where, "bodyparts", list(dict.fromkeys(df.columns.get_level_values("bodyparts"))), bodyparts)


def _compare_names(where: str, key: str, found: list[str], expected: list[str]) -> None:
    not_in_config = [name for name in found if name not in expected]
    not_in_labels = [name for name in expected if name not in found]
    if not_in_config:
        raise LabelError(
            f"{where} has bodypart(s) {not_in_config} that config.yaml does not list under '{key}' "
            f"({expected}). Add them to '{key}' in config.yaml, or remove them from the labels."
        )
    if not_in_labels:
        raise LabelError(
            f"config.yaml lists bodypart(s) {not_in_labels} under '{key}' that {where} does not "
            "have. Label them (or remove them from config.yaml)."
        )
