"""Pickle files: atomic writes, restricted reads, and large dicts written as a stream.

DeepLabCut keeps several of its files as pickles (``Documentation_data-*.pickle``,
the multi-animal training-data ``.pickle``, a video's ``_full``,
``_assemblies`` and ``_meta`` pickles, the ``_el``/``_bx``/``_sk`` tracklets).
Unpickling an arbitrary file can run any code, so :func:`read_pickle` (and
:func:`restricted_loads`, which the HDF reader also uses) only rebuilds the
plain data these files hold:

* Python's containers and scalars (dict, list, tuple, set, str, bytes, int,
  float, bool, ...) and ``collections.OrderedDict``;
* NumPy arrays, dtypes and scalars;
* the pandas ``Index``/``MultiIndex`` of a tracklet pickle's ``header``;
* DeepLabCut 3's enums (``Engine``, ``Task``, ``NetType``, ``MethodType``... see
  :data:`DEEPLABCUT_ENUMS`), mapped to their plain value by module and class
  name, without importing DeepLabCut.

Any other global raises :class:`~deeplabcut.errors.UnsafeFileError` naming the
file and the global, before it is called. A truncated or garbage file raises
:class:`~deeplabcut.errors.CorruptFileError`.

:func:`write_dict_stream` writes an ordinary pickle of a ``dict``
(``pickle.load`` reads it back whole) from an iterator of ``(key, value)``
pairs: the dict is opened once and items are appended in chunks with the
``SETITEMS`` opcode, so only one chunk is ever held in memory.
"""

from __future__ import annotations

import _compat_pickle
import importlib
import io
import pathlib
import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from deeplabcut.errors import CorruptFileError, DLCError, MissingFileError, UnsafeFileError, where
from deeplabcut.utils.atomic import atomic_path, write_bytes_atomic

PROTOCOL = 3  # explicit memo indices (PUT/GET), so each chunk can use a fresh pickler
CHUNK = 256

#: The globals a DeepLabCut pickle may name: module -> names. Each is a type or
#: a reconstructor of plain data; none can reach the file system, the
#: interpreter or an import beyond these modules.
ALLOWED_GLOBALS: dict[str, frozenset[str]] = {
    "builtins": frozenset(
        {"dict", "list", "tuple", "set", "frozenset", "str", "bytes", "bytearray", "int", "float", "complex", "bool", "slice", "range"}
    ),
    "collections": frozenset({"OrderedDict"}),
    "_codecs": frozenset({"encode"}),  # bytes in protocol-2 pickles (NumPy arrays written by Python 2 era code)
    "numpy": frozenset({"ndarray", "dtype"}),
    "numpy.core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy.core.numeric": frozenset({"_frombuffer"}),
    "pandas": frozenset({"Index", "MultiIndex"}),
    "pandas.core.indexes.base": frozenset({"_new_Index", "Index"}),
    "pandas.core.indexes.multi": frozenset({"MultiIndex"}),
}
#: Enums of DeepLabCut 3 that its pickles can hold (``_meta.pickle``'s ``pytorch-config`` is
#: DeepLabCut 3.0.2's ``PoseConfig.model_dump()``, which keeps them as enum members); they are
#: read as their plain value (``NetType.DEKR_W32`` -> ``"dekr_w32"``). Modules, as of 3.0.2:
#: ``core.engine`` (Engine), ``pose_estimation_pytorch.task`` (Task),
#: ``pose_estimation_pytorch.config.enums`` (MethodType, NetType, DetectorType, DatasetType),
#: ``pose_estimation_pytorch.config.data`` (DataLoaderType), ``pose_estimation_pytorch.config.logger``
#: (LoggerType). Any ``deeplabcut.*`` module is accepted for these names, so a class moved
#: between modules in a later release is still read.
DEEPLABCUT_ENUMS = frozenset(
    {"Engine", "Task", "MethodType", "NetType", "DetectorType", "DatasetType", "DataLoaderType", "LoggerType"}
)
#: The data classes behind DeepLabCut 3's ``Task`` and ``Engine`` members: a pickled member is
#: ``Task(<TaskDataMixin with aliases, snapshot_prefix>)``. They are rebuilt as :class:`_EnumData`.
DEEPLABCUT_ENUM_DATA = frozenset({"TaskDataMixin", "EngineDataMixin"})
#: Concrete paths (which cannot be built on the other operating system) become pure paths.
_PATH_CLASSES = {
    "PosixPath": pathlib.PurePosixPath,
    "PurePosixPath": pathlib.PurePosixPath,
    "WindowsPath": pathlib.PureWindowsPath,
    "PureWindowsPath": pathlib.PureWindowsPath,
}


class _EnumData:
    """The fields of a pickled ``TaskDataMixin``/``EngineDataMixin``, kept as plain attributes (no code runs)."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state if isinstance(state, dict) else {})


def _plain_enum_value(value: Any, *_: Any) -> Any:
    """An enum member's plain value: its text (the first text of a tuple value), or the value itself.

    ``Task``/``Engine`` members carry a data class whose ``aliases`` come first:
    ``Task.BOTTOM_UP`` reads as ``"BU"``, ``Engine.PYTORCH`` as ``"pytorch"``.
    """
    if isinstance(value, _EnumData):
        return _plain_enum_value(tuple(value.__dict__.values()))
    if isinstance(value, tuple):
        for item in value:
            text = _plain_enum_value(item)
            if isinstance(text, str):
                return text
    return value


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that only builds the globals of :data:`ALLOWED_GLOBALS` (and DeepLabCut's enums, as values)."""

    def __init__(self, stream: io.BufferedIOBase, source: str | Path, **kwargs: Any) -> None:
        super().__init__(stream, **kwargs)
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        # Python 2 names (``__builtin__.set``, ``copy_reg``...), as pickle's own find_class maps them.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        else:
            module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        # NumPy 2 pickles name numpy._core.*, NumPy 1 pickles numpy.core.*; both are read with either NumPy.
        canonical = module.replace("numpy._core.", "numpy.core.", 1)
        if name in ALLOWED_GLOBALS.get(canonical, ()):
            return _import_global(canonical, name)
        if module == "deeplabcut" or module.startswith("deeplabcut."):
            if name in DEEPLABCUT_ENUMS:
                return _plain_enum_value
            if name in DEEPLABCUT_ENUM_DATA:
                return _EnumData
        if module in ("pathlib", "pathlib._local") and name in _PATH_CLASSES:
            return _PATH_CLASSES[name]
        raise UnsafeFileError(
            f"{where(self.source)} was not loaded: it names the Python global '{module}.{name}', which "
            "DeepLabCut's files never hold; loading it could run code. Only plain data (containers, "
            "numbers, text, NumPy arrays, pandas indexes) is read from pickles. Re-create the file with "
            "DeepLabCut, or delete it if you do not know where it came from."
        )


def _import_global(module: str, name: str) -> Any:
    candidates = [module.replace("numpy.core.", "numpy._core.", 1), module] if module.startswith("numpy.core.") else [module]
    for candidate in candidates:
        try:
            return getattr(importlib.import_module(candidate), name)
        except (ImportError, AttributeError):
            continue
    raise ImportError(f"cannot import {module}.{name}")


def restricted_unpickle(data: bytes, source: str | Path, encoding: str = "ASCII") -> Any:
    """Unpickle ``data`` allowing only plain data; other errors are raised as the unpickler raises them.

    Raises:
        UnsafeFileError: the data names a global outside :data:`ALLOWED_GLOBALS`,
            naming ``source`` and the global.
    """
    return _RestrictedUnpickler(io.BytesIO(data), source, encoding=encoding).load()


def restricted_loads(data: bytes, source: str | Path) -> Any:
    """Unpickle ``data`` (the bytes of file ``source``), allowing only plain data.

    Raises:
        UnsafeFileError: the data names a global outside :data:`ALLOWED_GLOBALS`.
        CorruptFileError: the data is empty, truncated or not a pickle.
    """
    try:
        return restricted_unpickle(data, source)
    except DLCError:
        raise
    except UnicodeDecodeError:
        try:  # Python 2 pickles hold byte strings; read them as latin-1, as NumPy does
            return restricted_unpickle(data, source, encoding="latin1")
        except DLCError:
            raise
        except Exception as err:  # noqa: BLE001 - any failure of a damaged pickle is reported the same way
            raise _corrupt(source, err) from err
    except Exception as err:  # noqa: BLE001 - as above
        raise _corrupt(source, err) from err


def _corrupt(source: str | Path, err: Exception) -> CorruptFileError:
    reason = " ".join(str(err).split()) or type(err).__name__
    return CorruptFileError(
        f"{where(source)} cannot be read as a pickle ({type(err).__name__}: {reason}); it is empty, "
        "truncated or damaged. Re-create it with the DeepLabCut step that wrote it."
    )


def plain_data(data: Any) -> Any:
    """``data`` with ruamel.yaml's round-trip types (``CommentedMap``, ``ScalarInt``...) made plain.

    Values read from YAML keep ruamel's subclasses; pickled as they are, they
    would name ruamel globals that :func:`read_pickle` (rightly) refuses.
    Dicts, lists and tuples are copied (tuples stay tuples); other values are kept.
    """
    if type(data).__module__.startswith("ruamel"):
        for kind in (bool, int, float, str):  # bool before int: ScalarBoolean is an int
            if isinstance(data, kind):
                return kind(data)
        if isinstance(data, dict):
            return {plain_data(key): plain_data(value) for key, value in data.items()}
        if isinstance(data, (list, tuple, set)):
            return [plain_data(value) for value in data]
        return data
    if type(data) is dict:
        return {plain_data(key): plain_data(value) for key, value in data.items()}
    if type(data) in (list, tuple):
        return type(data)(plain_data(value) for value in data)
    return data


def write_pickle(path: str | Path, data: Any) -> None:
    """Pickle ``data`` to ``path`` atomically (temporary file beside it, then rename).

    ruamel.yaml's round-trip types in ``data`` are written as plain values
    (:func:`plain_data`), so the file reads back with :func:`read_pickle`.
    """
    write_bytes_atomic(path, pickle.dumps(plain_data(data), protocol=pickle.HIGHEST_PROTOCOL))


def read_pickle(path: str | Path) -> Any:
    """Load a DeepLabCut pickle (or one written by :func:`write_pickle`), allowing only plain data.

    Raises:
        MissingFileError: there is no file at ``path``.
        UnsafeFileError: the file names a global that plain data never needs (it could run code).
        CorruptFileError: the file is empty, truncated or not a pickle.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"No such pickle file: {where(path)}.")
    return restricted_loads(path.read_bytes(), path)


def write_dict_stream(path: str | Path, items: Iterable[tuple[Any, Any]], chunk: int = CHUNK) -> None:
    """Pickle ``dict(items)`` to ``path`` (atomically) while holding at most ``chunk`` items at a time."""
    with atomic_path(path) as tmp, open(tmp, "wb") as stream:
        stream.write(pickle.PROTO + bytes([PROTOCOL]))
        stream.write(pickle.EMPTY_DICT)
        pending: list[tuple[Any, Any]] = []
        for item in items:
            pending.append(item)
            if len(pending) >= chunk:
                _write_items(stream, pending)
                pending = []
        if pending:
            _write_items(stream, pending)
        stream.write(pickle.STOP)


def _write_items(stream: io.BufferedWriter, items: list[tuple[Any, Any]]) -> None:
    buffer = io.BytesIO()
    # The pure-Python pickler exposes save(); each chunk gets a fresh memo, and
    # the items land on the dict that stays on the unpickler's stack.
    pickler = pickle._Pickler(buffer, protocol=PROTOCOL)  # noqa: SLF001 - documented pure-Python pickler
    buffer.write(pickle.MARK)
    for key, value in items:
        pickler.save(key)
        pickler.save(value)
    buffer.write(pickle.SETITEMS)
    stream.write(buffer.getvalue())
