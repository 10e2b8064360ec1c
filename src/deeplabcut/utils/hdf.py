"""Writing pandas DataFrames to HDF5 the way DeepLabCut's readers expect.

pandas 3 does not stamp the ``pandas_version`` attribute on the HDF group it
writes. pandas 2 (which DeepLabCut pins) then takes a ``format="table"`` file
for a pre-0.10.1 one and fails to read it. :func:`write_hdf` adds the stamp
that pandas 2 itself writes (``"0.15.2"``, its storage-format version), so our
files open in both. :func:`write_hdf_and_csv` adds the ``.csv`` twin that
DeepLabCut writes beside many of its tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
import tables

from deeplabcut.utils.atomic import atomic_path, write_text_atomic

#: The storage-format version pandas 1.x/2.x write into every HDF group.
PANDAS_STORAGE_VERSION = "0.15.2"


def write_hdf(
    df: pd.DataFrame,
    path: str | Path,
    key: str,
    format: Literal["fixed", "table"] = "fixed",
) -> None:
    """Write ``df`` under ``key`` to a new file at ``path``, atomically.

    The file is written under a temporary name and renamed, so a killed
    process leaves either the previous file or the complete new one.
    """
    with atomic_path(path) as tmp:
        df.to_hdf(tmp, key=key, mode="w", format=format)
        with tables.open_file(tmp, mode="a") as handle:
            group = handle.get_node(f"/{key}")
            if "pandas_version" not in group._v_attrs:
                group._v_attrs.pandas_version = PANDAS_STORAGE_VERSION


def write_hdf_and_csv(
    df: pd.DataFrame,
    path: str | Path,
    key: str,
    format: Literal["fixed", "table"] = "fixed",
    csv: bool = False,
) -> None:
    """Write ``df`` to ``path`` with :func:`write_hdf` and, with ``csv``, its ``.csv`` twin.

    The twin is ``path`` with the suffix ``.csv`` (pandas' ``to_csv``: one
    header row per column level, then the rows), written atomically too.
    """
    path = Path(path)
    write_hdf(df, path, key=key, format=format)
    if csv:
        write_text_atomic(path.with_suffix(".csv"), df.to_csv())
