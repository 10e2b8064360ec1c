"""Writing pandas DataFrames to HDF5 the way DeepLabCut's readers expect.

pandas 3 does not stamp the ``pandas_version`` attribute on the HDF group it
writes. pandas 2 (which DeepLabCut pins) then takes a ``format="table"`` file
for a pre-0.10.1 one and fails to read it. :func:`write_hdf` adds the stamp
that pandas 2 itself writes (``"0.15.2"``, its storage-format version), so our
files open in both. :func:`write_hdf_and_csv` adds the ``.csv`` twin that
DeepLabCut writes beside many of its tables.

:func:`read_hdf` reads a DataFrame without letting the file run code. PyTables
unpickles two things on its own: object columns of ``format="fixed"`` files
(``ObjectAtom``) and attribute values that look like pickles (pandas stores
index names and table metadata that way). While :func:`read_hdf` reads, both go
through :func:`~deeplabcut.utils.pickles.restricted_unpickle`, which builds
plain data only; a file that names any other global raises
:class:`~deeplabcut.errors.UnsafeFileError`. A file that cannot be read at all
(empty, truncated, not HDF5) raises :class:`~deeplabcut.errors.CorruptFileError`.

Some damaged files (flipped bits in HDF5's own structures) make the HDF5 C
library crash the process instead of raising. ``read_hdf(...,
isolate_crashes=True)`` first reads the whole file in a short-lived child
process (PyTables only, pickles not unpickled) and reports a crash there as a
``CorruptFileError``; the labels readers use it, since their files are small.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import tables
import tables.atom
import tables.attributeset

from deeplabcut.errors import CorruptFileError, DLCError, MissingFileError, UnsafeFileError, where
from deeplabcut.utils.atomic import atomic_path, write_text_atomic
from deeplabcut.utils.pickles import restricted_unpickle

#: The storage-format version pandas 1.x/2.x write into every HDF group.
PANDAS_STORAGE_VERSION = "0.15.2"


#: ``pd.read_csv`` keywords that read back every float ``to_csv`` wrote, bit for bit: pandas 2's
#: default parser is off by 1 ulp on some values, pandas 3's is exact (and deprecates the keyword).
EXACT_CSV_FLOATS: dict[str, str] = (
    {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
)


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


#: The PyTables modules that call ``pickle.loads`` (object columns; pickled attributes).
_UNPICKLING_MODULES = (tables.atom, tables.attributeset)
_UNPICKLING_LOCK = threading.RLock()


class _RestrictedPickleModule:
    """Stands in for the ``pickle`` module inside PyTables while one file is read."""

    UnpicklingError = pickle.UnpicklingError
    dumps = staticmethod(pickle.dumps)

    def __init__(self, source: Path) -> None:
        self.source = source
        self.refused: list[UnsafeFileError] = []

    def loads(self, data: bytes, encoding: str = "ASCII", **_: Any) -> Any:
        try:
            return restricted_unpickle(bytes(data), self.source, encoding=encoding)
        except UnsafeFileError as err:
            # PyTables swallows errors of pickled attributes; remember them to raise after the read.
            self.refused.append(err)
            raise


@contextmanager
def _restricted_pytables_unpickling(path: Path) -> Iterator[_RestrictedPickleModule]:
    """Route every unpickling PyTables does to the restricted unpickler, for the duration of the block."""
    for module in _UNPICKLING_MODULES:
        if not hasattr(module, "pickle"):  # fail closed if PyTables changes how it unpickles
            raise RuntimeError(
                f"{module.__name__} no longer uses a module-level 'pickle'; deeplabcut.utils.hdf cannot "
                "restrict what HDF files unpickle with this PyTables version."
            )
    shim = _RestrictedPickleModule(path)
    with _UNPICKLING_LOCK:
        saved = [module.pickle for module in _UNPICKLING_MODULES]
        for module in _UNPICKLING_MODULES:
            module.pickle = shim
        try:
            yield shim
        finally:
            for module, original in zip(_UNPICKLING_MODULES, saved):
                module.pickle = original


#: Reads every node, attribute and array of the file given as argv[1] with PyTables (no unpickling);
#: exit code 0 when it ran through (Python-level errors included), 3 when PyTables cannot be imported.
_PROBE_SCRIPT = """
import sys
try:
    import tables, tables.atom, tables.attributeset
except Exception:
    sys.exit(3)
class NoPickle:
    UnpicklingError = Exception
    dumps = None
    @staticmethod
    def loads(*args, **kwargs):
        raise ValueError("not unpickled by the probe")
tables.atom.pickle = tables.attributeset.pickle = NoPickle
try:
    with tables.open_file(sys.argv[1], mode="r") as handle:
        for node in handle.walk_nodes():
            try:
                node._v_attrs._f_list("all")
                if isinstance(node, tables.Leaf):
                    node.read()
            except Exception:
                pass
except Exception:
    pass
sys.exit(0)
"""
#: Seconds the probe may take (a damaged file can also make HDF5 loop).
PROBE_TIMEOUT_S = 120


def probe_hdf(path: str | Path) -> None:
    """Read all of ``path`` in a child process; raise if the HDF5 library crashes (or hangs) on it.

    Raises:
        CorruptFileError: the child process died (e.g. a segmentation fault) or ran past
            :data:`PROBE_TIMEOUT_S`.
    """
    path = Path(path)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE_SCRIPT, str(path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=PROBE_TIMEOUT_S, check=False,
        )
    except subprocess.TimeoutExpired as err:
        raise CorruptFileError(
            f"{where(path)} cannot be read: the HDF5 library did not finish reading it in {PROBE_TIMEOUT_S} s; "
            "it is damaged."
        ) from err
    except OSError:  # no child process possible here: read in this process as before
        return
    if done.returncode not in (0, 3):
        raise CorruptFileError(
            f"{where(path)} cannot be read: the HDF5 library crashed reading it (exit code {done.returncode}); "
            "it is damaged."
        )


def read_hdf(
    path: str | Path, key: str | None = None, first_key_if_missing: bool = False, isolate_crashes: bool = False
) -> pd.DataFrame:
    """Read the DataFrame stored under ``key``, allowing the file to unpickle plain data only.

    Args:
        path: the ``.h5`` file.
        key: the HDF key (``"df_with_missing"``...); ``None`` reads the file's first key.
        first_key_if_missing: read the first key when the file has no ``key``.
        isolate_crashes: read the file in a child process first (:func:`probe_hdf`), so a
            damaged file that crashes the HDF5 library gives an error instead (costs a
            fraction of a second; meant for small files).

    Raises:
        MissingFileError: there is no file at ``path``.
        UnsafeFileError: the file holds a pickle (object column or attribute) naming a
            global that plain data never needs; nothing of it is returned.
        CorruptFileError: the file is empty, truncated, not HDF5, has no such key, or
            does not hold a DataFrame there.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"No such HDF file: {where(path)}.")
    if isolate_crashes:
        probe_hdf(path)
    failure: Exception | None = None
    frame: Any = None
    with _restricted_pytables_unpickling(path) as unpickling:
        try:
            with pd.HDFStore(path, mode="r") as store:
                keys = store.keys()
                if not keys:
                    raise CorruptFileError(f"{where(path)} holds no table (no HDF key).")
                chosen = keys[0] if key is None or (first_key_if_missing and f"/{key}" not in keys) else key
                if f"/{chosen.lstrip('/')}" not in keys:
                    raise CorruptFileError(f"{where(path)} has no table under key '{key}' (its keys: {keys}).")
                frame = store.get(chosen)
        except Exception as err:  # noqa: BLE001 - HDF5, PyTables and pandas raise many types for damaged files
            failure = err
    if unpickling.refused:
        raise unpickling.refused[0] from failure
    if isinstance(failure, DLCError):
        raise failure
    if failure is not None:
        reason = _last_line(failure)
        raise CorruptFileError(
            f"{where(path)} cannot be read as an HDF5 table ({type(failure).__name__}: {reason}); it is "
            "empty, truncated or damaged."
        ) from failure
    if not isinstance(frame, pd.DataFrame):
        raise CorruptFileError(f"{where(path)} holds a {type(frame).__name__} under key '{key}', not a DataFrame.")
    return frame


def _last_line(err: Exception) -> str:
    """The summary of an error: HDF5's back traces end with the line that matters."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return (lines[-1] if lines else type(err).__name__)[:300]
