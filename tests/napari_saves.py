"""What napari-deeplabcut writes when a user corrects machine labels and saves (for tests of the refinement loop).

napari-deeplabcut (``core/io.py::write_hdf``) never writes back to a
``machinelabels-iter<N>.h5``: saving a machine-labels layer "promotes" it to
``CollectedData_<scorer>.h5`` in the same folder, with the config's scorer,
the ``likelihood`` columns dropped, and merged into the labels already there
(incoming values patch the rows they cover; other rows are kept).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from deeplabcut.formats.collected_data import normalize_collected_data, read_collected_data, write_collected_data
from deeplabcut.formats.machine_labels import read_machine_labels


def save_corrections(folder: Path, scorer: str, iteration: int, correct: Callable[[str, np.ndarray], np.ndarray] | None = None) -> pd.DataFrame:
    """Promote ``folder``'s machine labels to ``CollectedData_<scorer>.h5`` as napari-deeplabcut does.

    Args:
        correct: ``correct(image_name, xy)`` returns the user's points for one
            image; ``xy`` is the machine's ``(keypoints, 2)`` in column order.
            None keeps the machine's points (the user checked and agreed).
    """
    machine = read_machine_labels(folder / f"machinelabels-iter{iteration}.h5")
    machine = machine.loc[:, machine.columns.get_level_values("coords") != "likelihood"]
    machine.columns = machine.columns.set_levels([scorer], level="scorer")
    values = machine.to_numpy(dtype=float).copy()
    if correct is not None:
        for row, (_, _, image) in enumerate(machine.index):
            values[row] = correct(image, values[row].reshape(-1, 2)).reshape(-1)
    corrected = pd.DataFrame(values, index=machine.index, columns=machine.columns)
    labels_file = folder / f"CollectedData_{scorer}.h5"
    if labels_file.is_file():
        existing = normalize_collected_data(read_collected_data(labels_file))
        merged = existing.reindex(index=existing.index.union(corrected.index))
        merged.loc[corrected.index, corrected.columns] = corrected.where(corrected.notna(), merged.loc[corrected.index, corrected.columns])
    else:
        merged = corrected
    write_collected_data(merged.sort_index(), labels_file)
    return merged
