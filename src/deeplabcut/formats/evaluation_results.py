"""Evaluation scores: ``<scorer>-results.csv``, ``<scorer>-keypoint-results.csv``, ``CombinedEvaluation-results.csv``.

DeepLabCut's layouts (``apis/evaluation.py``):

* ``<scorer>-results.csv``: one row per evaluated snapshot; index columns
  :data:`RESULT_INDEX`, value columns :data:`RESULT_VALUES` (errors in pixels,
  mAP/mAR x100), rounded to 2 decimals;
* ``<scorer>-keypoint-results.csv``: rows ``Train error (px)`` and ``Test
  error (px)``, one column per bodypart (then per unique bodypart);
* ``CombinedEvaluation-results.csv``: every row of the iteration, merged with
  ``combine_first`` and sorted by the index.

Top-down evaluations add (our files; DeepLabCut 3 has no counterpart):

* ``<scorer>-gt-boxes-results.csv``: the results row's layout, with the pose
  scores of crops around the labeled animals instead of the detected ones;
* ``<scorer>-detector-results.csv``: one row, the same index, value columns
  :data:`DETECTOR_VALUES` (box mAP/mAR over IoU 0.50:0.05:0.95, AP and recall at IoU 0.5, x100).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from deeplabcut.utils.atomic import write_text_atomic
from deeplabcut.utils.hdf import EXACT_CSV_FLOATS

RESULT_INDEX = ["%Training dataset", "Shuffle number", "Training epochs", "Detector epochs (TD only)", "pcutoff"]
RESULT_VALUES = ["train rmse", "train rmse_pcutoff", "train mAP", "train mAR", "test rmse", "test rmse_pcutoff", "test mAP", "test mAR"]
KEYPOINT_ROWS = ["Train error (px)", "Test error (px)"]
DETECTOR_METRICS = ["mAP@50:95", "mAR@50:95", "mAP@50", "recall@50"]
DETECTOR_VALUES = [f"{split} {name}" for split in ("train", "test") for name in DETECTOR_METRICS]


def results_table(
    train_fraction: float,
    shuffle: int,
    epochs: int,
    pcutoff: float,
    scores: Mapping[str, Mapping[str, Any]],
    detector_epochs: int = -1,
) -> pd.DataFrame:
    """One results row.

    Args:
        scores: ``{"train": {...}, "test": {...}}`` with ``rmse``, ``rmse_pcutoff``
            (pixels), ``mAP``, ``mAR``; a missing score gives NaN.
        detector_epochs: the detector's epochs for top-down models, -1 otherwise.
    """
    values = {
        f"{split} {name}": round(float(scores[split].get(name, np.nan)), 2)
        for split in ("train", "test")
        for name in ("rmse", "rmse_pcutoff", "mAP", "mAR")
    }
    index = pd.MultiIndex.from_tuples([(train_fraction, shuffle, epochs, detector_epochs, pcutoff)], names=RESULT_INDEX)
    return pd.DataFrame([values], index=index)[RESULT_VALUES]


def detector_table(
    train_fraction: float,
    shuffle: int,
    epochs: int,
    pcutoff: float,
    scores: Mapping[str, Mapping[str, Any]],
    detector_epochs: int,
) -> pd.DataFrame:
    """One detector row: ``{"train": {...}, "test": {...}}`` with :data:`DETECTOR_METRICS` (percent), rounded to 2 decimals."""
    values = {
        f"{split} {name}": round(float(scores[split].get(name, np.nan)), 2)
        for split in ("train", "test")
        for name in DETECTOR_METRICS
    }
    index = pd.MultiIndex.from_tuples([(train_fraction, shuffle, epochs, detector_epochs, pcutoff)], names=RESULT_INDEX)
    return pd.DataFrame([values], index=index)[DETECTOR_VALUES]


def keypoint_table(names: Sequence[str], train_errors: np.ndarray, test_errors: np.ndarray) -> pd.DataFrame:
    """Errors in pixels per bodypart (``names``), train then test, rounded to 2 decimals."""
    return pd.DataFrame([train_errors, test_errors], index=KEYPOINT_ROWS, columns=list(names)).round(2)


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write a results or keypoint table as ``.csv`` (atomically)."""
    write_text_atomic(path, table.to_csv())


def read_results(path: str | Path) -> pd.DataFrame:
    """A results (or combined results) ``.csv``, indexed by :data:`RESULT_INDEX`."""
    # round_trip: floats read back bit for bit with pandas 2 too (its default parser can be 1 ulp off).
    return pd.read_csv(path, index_col=list(range(len(RESULT_INDEX))), **EXACT_CSV_FLOATS)


def update_combined(path: str | Path, results: pd.DataFrame) -> pd.DataFrame:
    """Merge ``results`` into ``CombinedEvaluation-results.csv`` at ``path`` (new rows win); return the table."""
    path = Path(path)
    combined = results
    if path.is_file():
        combined = results.combine_first(read_results(path))
    combined = combined.sort_index()
    write_table(combined, path)
    return combined
