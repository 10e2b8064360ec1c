"""Files DeepLabCut 3.0.2 writes into a project are read here, without DeepLabCut installed.

The fixtures are made by the tests in DeepLabCut 3.0.2's layouts (facts recorded
from its source: ``pose_estimation_pytorch/apis/videos.py::_generate_metadata``,
``config/enums.py``, ``task.py``, ``core/engine.py``). Its ``_meta.pickle`` holds
``PoseConfig.model_dump()``, which keeps DeepLabCut's enum members; here they are
stood in for by classes of the same module and name, pickled, and the module is
removed before reading, as on a machine without DeepLabCut.
"""

from __future__ import annotations

import contextlib
import pickle
import sys
import types
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePosixPath

import numpy as np

from deeplabcut.formats.video_pickles import read_meta_pickle
from deeplabcut.utils.pickles import DEEPLABCUT_ENUMS, read_pickle

ENUMS_MODULE = "deeplabcut.pose_estimation_pytorch.config.enums"
TASK_MODULE = "deeplabcut.pose_estimation_pytorch.task"
ENGINE_MODULE = "deeplabcut.core.engine"


def _stand_in_modules() -> dict[str, types.ModuleType]:
    """DeepLabCut 3.0.2's enums as classes of the same module and name (values as in its source)."""

    class MethodType(str, Enum):
        BOTTOM_UP = "bu"
        TOP_DOWN = "td"

    class NetType(str, Enum):
        DEKR_W32 = "dekr_w32"
        TOP_DOWN_HRNET = "hrnet_w32"

    class DetectorType(str, Enum):
        SSDLITE = "SSDLite"

    @dataclass(frozen=True)
    class TaskDataMixin:
        aliases: tuple
        snapshot_prefix: str

    class Task(TaskDataMixin, Enum):
        BOTTOM_UP = ("BU", "BottomUp"), "snapshot"

    @dataclass(frozen=True)
    class EngineDataMixin:
        aliases: tuple
        model_folder_name: str
        pose_cfg_name: str
        results_folder_name: str

    class Engine(EngineDataMixin, Enum):
        PYTORCH = ("pytorch", "torch"), "dlc-models-pytorch", "pytorch_config.yaml", "evaluation-results-pytorch"

    modules = {}
    for name, classes in (
        (ENUMS_MODULE, (MethodType, NetType, DetectorType)),
        (TASK_MODULE, (TaskDataMixin, Task)),  # members pickle as Task(TaskDataMixin(...)), as in 3.0.2
        (ENGINE_MODULE, (EngineDataMixin, Engine)),
    ):
        module = types.ModuleType(name)
        for cls in classes:
            cls.__module__ = name
            cls.__qualname__ = cls.__name__
            setattr(module, cls.__name__, cls)
        modules[name] = module
    return modules


@contextlib.contextmanager
def _importable(modules: dict[str, types.ModuleType]):
    """The stand-in modules are in ``sys.modules`` inside the block, and gone after it."""
    saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)
    try:
        yield modules
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _pickle_with_stand_ins(make_data) -> bytes:
    """Pickle ``make_data(modules)`` while the stand-in modules are importable, then remove them."""
    with _importable(_stand_in_modules()) as modules:
        return pickle.dumps(make_data(modules), protocol=pickle.HIGHEST_PROTOCOL)


def _deeplabcut_meta(modules: dict[str, types.ModuleType]) -> dict:
    enums, task, engine = modules[ENUMS_MODULE], modules[TASK_MODULE], modules[ENGINE_MODULE]
    pytorch_config = {
        "net_type": enums.NetType.DEKR_W32,
        "method": enums.MethodType.BOTTOM_UP,
        "metadata": {"project_path": Path("/data/openfield"), "bodyparts": ["snout", "tail"],
                     "unique_bodyparts": [], "individuals": ["individual_1"]},
        "detector": None,
        "engine": engine.Engine.PYTORCH,
        "task": task.Task.BOTTOM_UP,
    }
    return {
        "data": {
            "start": 1.0, "stop": 2.0, "run_duration": 1.0, "Scorer": "DLC_DekrW32_openfieldOct30shuffle1_snapshot_200",
            "pytorch-config": pytorch_config, "fps": 30.0, "batch_size": 8, "frame_dimensions": (640, 480),
            "nframes": 100, "iteration (active-learning)": 0, "training set fraction": 0.95, "cropping": False,
            "cropping_parameters": [0, 640, 0, 480], "individuals": ["individual_1"],
            "bodyparts": ["snout", "tail"], "unique_bodyparts": [],
        }
    }


def test_deeplabcut_3_meta_pickle_with_its_enums_reads_without_deeplabcut(tmp_path):
    data = _pickle_with_stand_ins(_deeplabcut_meta)
    assert ENUMS_MODULE.encode() in data and b"NetType" in data and b"MethodType" in data and b"TaskDataMixin" in data
    assert ENUMS_MODULE not in sys.modules  # as on a machine without DeepLabCut
    path = tmp_path / "m3v1DLC_DekrW32_openfieldOct30shuffle1_snapshot_200_meta.pickle"
    path.write_bytes(data)

    meta = read_meta_pickle(path)
    config = meta.pytorch_config
    assert config["net_type"] == "dekr_w32" and type(config["net_type"]) is str
    assert config["method"] == "bu" and config["task"] == "BU" and config["engine"] == "pytorch"
    assert config["metadata"]["project_path"] == PurePosixPath("/data/openfield")
    assert meta.nframes == 100 and meta.frame_dimensions == (640, 480)
    assert meta.cropping_parameters is None  # "cropping": False, whatever the four numbers say
    assert meta.individuals == ["individual_1"]


def test_every_deeplabcut_3_enum_is_read_as_its_value(tmp_path):
    class LoggerType(str, Enum):
        CSV = "CSVLogger"

    class DataLoaderType(str, Enum):
        DEFAULT = "default"

    modules = {}
    for name, cls in (
        ("deeplabcut.pose_estimation_pytorch.config.logger", LoggerType),
        ("deeplabcut.pose_estimation_pytorch.config.data", DataLoaderType),
    ):
        cls.__module__, cls.__qualname__ = name, cls.__name__
        module = types.ModuleType(name)
        setattr(module, cls.__name__, cls)
        modules[name] = module
    with _importable(modules):
        data = pickle.dumps([LoggerType.CSV, DataLoaderType.DEFAULT])
    path = tmp_path / "x.pickle"
    path.write_bytes(data)
    assert read_pickle(path) == ["CSVLogger", "default"]
    assert {"MethodType", "NetType", "DetectorType", "DatasetType", "LoggerType", "DataLoaderType"} <= DEEPLABCUT_ENUMS


def test_deeplabcut_3_analysis_pickles_read(tmp_path):
    """``_full``/``_assemblies`` as DeepLabCut 3.0.2 pickles them (NumPy float arrays, int frame keys)."""
    from deeplabcut.formats.video_pickles import read_assemblies_pickle, read_full_pickle

    rng = np.random.default_rng(0)
    frames = {
        f"frame{i:02d}": {
            "coordinates": ([rng.uniform(0, 50, (3, 2)).astype(np.float32) for _ in range(2)],),
            "confidence": [rng.uniform(0, 1, (3, 1)).astype(np.float32) for _ in range(2)],
            "costs": None,
        }
        for i in range(12)
    }
    full = {"metadata": {"nms radius": None, "minimal confidence": None, "sigma": 1, "PAFgraph": None,
                         "PAFinds": np.arange(0), "all_joints": [[0], [1]], "all_joints_names": ["a", "b"],
                         "nframes": 12, "key_str_width": 2}, **frames}
    (tmp_path / "v_full.pickle").write_bytes(pickle.dumps(full, pickle.HIGHEST_PROTOCOL))
    read = read_full_pickle(tmp_path / "v_full.pickle")
    assert read["metadata"]["key_str_width"] == 2
    np.testing.assert_array_equal(read["frame07"]["coordinates"][0][1], frames["frame07"]["coordinates"][0][1])

    assemblies = {i: rng.uniform(0, 50, (2, 2, 4)) for i in range(12)}
    (tmp_path / "v_assemblies.pickle").write_bytes(pickle.dumps(assemblies, pickle.HIGHEST_PROTOCOL))
    assert sorted(read_assemblies_pickle(tmp_path / "v_assemblies.pickle")) == list(range(12))


def test_our_snapshots_and_learning_stats_follow_deeplabcut_3(tiny_dekr_project):
    """DeepLabCut 3.0.2 loads ``snapshot-<epoch>.pt`` with ``torch.load(weights_only=True)`` (runners/base.py),
    reads ``metadata.epoch`` to resume (runners/train.py) and ``learning_stats.csv`` by its ``step`` column
    (runners/logger.py); its snapshots hold ``metadata``, ``model``, ``optimizer`` and ``scheduler``."""
    import csv

    import torch

    from deeplabcut.pose_estimation_pytorch.apis import train_network
    from deeplabcut.pose_estimation_pytorch.data import ShuffleData

    train_network(tiny_dekr_project, epochs=1)
    folder = ShuffleData(tiny_dekr_project).train_folder
    (name,) = [path.name for path in folder.glob("snapshot-*.pt")]
    assert name in ("snapshot-001.pt", "snapshot-best-001.pt")  # DeepLabCut's names (3 digits)
    snapshot = torch.load(folder / name, map_location="cpu", weights_only=True)
    assert {"metadata", "model"} <= set(snapshot) <= {"metadata", "model", "optimizer", "scheduler"}
    assert snapshot["metadata"]["epoch"] == 1 and type(snapshot["metadata"]["epoch"]) is int
    assert all(isinstance(value, torch.Tensor) for value in snapshot["model"].values())
    with (folder / "learning_stats.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0])[0] == "step" and int(rows[0]["step"]) == 1
    assert "losses/train.total_loss" in rows[0]
