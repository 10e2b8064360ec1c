"""``labeled-data/<video>/machinelabels-iter<N>.h5``: a model's predictions on frames to correct.

``extract_outlier_frames`` writes, as DeepLabCut does:

* HDF key ``df_with_missing`` (``format="fixed"``) and a ``machinelabels.csv``
  twin beside it (always the latest machine labels of the folder);
* rows: the 3-level index ``(labeled-data, <video stem>, img<NNN>.png)`` of the
  extracted images;
* columns: the analysis table's own (``scorer / bodyparts / coords`` or
  ``scorer / individuals / bodyparts / coords``, ``single`` last), scorer the
  model's (``DLC_...``), coords ``x, y, likelihood`` in pixels of the full
  video frame; NaN where the model found nothing.

napari-deeplabcut opens this file as machine labels and, when the user saves
corrections, writes them to ``CollectedData_<scorer>.h5`` (config scorer, no
likelihood) beside it; the machine file itself is never written back.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from deeplabcut.formats.collected_data import three_level_index
from deeplabcut.utils.atomic import write_text_atomic
from deeplabcut.utils.hdf import read_hdf, write_hdf_and_csv

HDF_KEY = "df_with_missing"


def machine_labels_dataframe(predictions: pd.DataFrame, frame_indices: list[int], video_stem: str, image_names: list[str]) -> pd.DataFrame:
    """Rows ``frame_indices`` of an analysis table, indexed by the images they were extracted to.

    Args:
        predictions: an analysis or tracks table (rows: frame indices).
        frame_indices: the frames, in the order of ``image_names``.
        image_names: ``img<NNN>.png`` of each frame.
    """
    rows = predictions.loc[list(frame_indices)].copy()
    rows.index = pd.MultiIndex.from_tuples([("labeled-data", video_stem, name) for name in image_names])
    return rows


def read_machine_labels(path: str | Path) -> pd.DataFrame:
    """A machine-labels file with its 3-level row index (read without letting the file run code)."""
    df = read_hdf(path, HDF_KEY, first_key_if_missing=True)
    df.index = three_level_index(df.index)
    return df


def write_machine_labels(df: pd.DataFrame, path: str | Path, csv_path: str | Path) -> None:
    """Write ``machinelabels-iter<N>.h5`` and its ``.csv`` (DeepLabCut: ``machinelabels.csv``), both atomically."""
    write_hdf_and_csv(df, path, key=HDF_KEY, format="fixed")
    write_text_atomic(csv_path, df.to_csv())
