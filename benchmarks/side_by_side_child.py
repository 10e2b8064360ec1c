"""One measurement of ``side_by_side.py``, run in a fresh process of either package's Python.

    python side_by_side_child.py job.json

The job (JSON) names the package (``ours`` or ``dlc``: both are imported as
``deeplabcut``, from whichever Python runs this file) and the action; the last
line printed is ``RESULT {json}``. This file imports nothing from the
repository, so that DeepLabCut's Python can run a copy of it from a folder
outside the repository.

Actions: ``info`` (versions), ``setup`` (create_training_dataset with a custom
split), ``train`` (train_network; each training epoch timed by wrapping the
package's epoch method), ``evaluate`` (evaluate_network, test RMSE in pixels),
``analyze`` (analyze_videos; the model load timed by wrapping the package's
runner factory), ``model`` (forward passes of the loaded model on the clip's
frames) and ``decode`` (reading the clip with cv2 alone). Every result holds
this process's peak resident memory (``VmHWM``) and its children's
(``RUSAGE_CHILDREN``).
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def peak_memory_kib() -> dict[str, int]:
    status = Path("/proc/self/status").read_text().splitlines()
    vmhwm = next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0)
    return {"vmhwm_kib": vmhwm, "children_maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}


def training_set_index(config: Path, train: int, test: int) -> int:
    import yaml

    fractions = [round(float(f), 2) for f in yaml.safe_load(config.read_text())["TrainingFraction"]]
    return fractions.index(round(train / (train + test), 2))


def train_folder(config: Path, shuffle: int) -> Path:
    (folder,) = config.parent.glob(f"dlc-models-pytorch/iteration-*/*shuffle{shuffle}/train")
    return folder


def read_frames(video: str, count: int) -> list[Any]:
    import cv2

    capture = cv2.VideoCapture(video)
    frames = []
    while len(frames) < count:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def offline_weights() -> None:
    """DeepLabCut: backbones from timm with random weights (no network; see dlc_reference.OFFLINE_WEIGHTS_CODE)."""
    import timm

    create_model = timm.create_model

    def without_download(*args: Any, **kwargs: Any) -> Any:
        kwargs["pretrained"] = False
        return create_model(*args, **kwargs)

    timm.create_model = without_download


# -- actions ------------------------------------------------------------------------------------------


def info(job: dict[str, Any]) -> dict[str, Any]:
    import cv2
    import torch

    import deeplabcut

    versions = {"deeplabcut": getattr(deeplabcut, "__version__", "?"), "torch": torch.__version__, "cv2": cv2.__version__}
    for name in ("openvino", "onnxruntime", "timm"):
        with contextlib.suppress(Exception):
            versions[name] = importlib.import_module(name).__version__
    result: dict[str, Any] = {"versions": versions, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                              "threads": torch.get_num_threads()}
    if job["package"] == "ours":
        import deeplabcut.pose_estimation_pytorch.apis as api

        result["analyze_videos_has_engine"] = "engine" in inspect.signature(api.analyze_videos).parameters
    return result


def setup(job: dict[str, Any]) -> dict[str, Any]:
    import deeplabcut

    config = Path(job["config"])
    shuffles, train, test = job["shuffles"], job["train_indices"], job["test_indices"]
    kwargs = {"userfeedback": False} if job["package"] == "dlc" else {}
    deeplabcut.create_training_dataset(
        str(config), Shuffles=shuffles, net_type=job["net_type"],
        trainIndices=[train] * len(shuffles), testIndices=[test] * len(shuffles), **kwargs,
    )
    if job["package"] == "dlc":  # DeepLabCut 3.0.2 does not add a custom split's fraction to TrainingFraction
        from deeplabcut.utils import auxiliaryfunctions

        cfg = auxiliaryfunctions.read_config(str(config))
        fraction = round(len(train) / (len(train) + len(test)), 2)
        if fraction not in [round(float(f), 2) for f in cfg["TrainingFraction"]]:
            cfg["TrainingFraction"].append(fraction)
            auxiliaryfunctions.write_config(str(config), cfg)
    return {"trainingsetindex": training_set_index(config, len(train), len(test))}


def train(job: dict[str, Any]) -> dict[str, Any]:
    import deeplabcut.pose_estimation_pytorch.apis as api

    epochs: list[dict[str, float]] = []
    if job["package"] == "dlc":
        offline_weights()
        from deeplabcut.pose_estimation_pytorch.runners.train import TrainingRunner

        run_epoch = TrainingRunner._epoch

        def timed_epoch(self: Any, loader: Any, mode: str = "train", *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            value = run_epoch(self, loader, mode, *args, **kwargs)
            if mode == "train":
                epochs.append({"seconds": time.perf_counter() - started, "images": len(loader.dataset)})
            return value

        TrainingRunner._epoch = timed_epoch
        kwargs: dict[str, Any] = {}
    else:
        from deeplabcut.pose_estimation_pytorch.train_module.trainer import PoseTrainer

        train_epoch = PoseTrainer.train_epoch

        def timed_train_epoch(self: Any, loader: Any, epoch: int) -> Any:
            started = time.perf_counter()
            record, images = train_epoch(self, loader, epoch)
            epochs.append({"seconds": time.perf_counter() - started, "images": images})
            return record, images

        PoseTrainer.train_epoch = timed_train_epoch
        kwargs = {}
    started = time.perf_counter()
    api.train_network(
        job["config"], shuffle=job["shuffle"], trainingsetindex=job["trainingsetindex"], device=job["device"],
        epochs=job["epochs"], batch_size=job["batch_size"], save_epochs=job["epochs"],
        pytorch_cfg_updates=job["pytorch_cfg_updates"], **kwargs,
    )
    seconds = time.perf_counter() - started
    folder = train_folder(Path(job["config"]), job["shuffle"])
    if job["package"] == "dlc":
        config = yaml_load(folder / "pytorch_config.yaml")
    else:  # with the settings DeepLabCut has no key for, kept in a file beside it
        from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config

        config = read_pytorch_config(folder / "pytorch_config.yaml")
    used = {key: get_dotted(config, key) for key in (
        "train_settings.dataloader_workers", "runner.mixed_precision", "data.train.crop_sampling.width",
        "data.train.crop_sampling.height", "model.backbone.pretrained", "train_settings.batch_size")}
    return {"epochs": epochs, "seconds": seconds, "config": used}


def yaml_load(path: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(path.read_text())


def get_dotted(config: dict[str, Any], key: str) -> Any:
    value: Any = config
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def evaluate(job: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    import deeplabcut.pose_estimation_pytorch.apis as api

    config, shuffle = Path(job["config"]), job["shuffle"]
    common = {"trainingsetindex": job["trainingsetindex"], "device": job["device"], "show_errors": False}
    if job["package"] == "dlc":
        api.evaluate_network(str(config), shuffles=[shuffle], snapshotindex=-1, **common)
        (table,) = config.parent.glob("evaluation-results-pytorch/iteration-*/CombinedEvaluation-results.csv")
        scores = pd.read_csv(table, index_col=[0, 1, 2, 3, 4])
        scores = scores[scores.index.get_level_values(1) == shuffle]
    else:
        scores = api.evaluate_network(config, shuffles=[shuffle], snapshotindex=-1, **common)
    row = scores.iloc[-1]
    columns = {name.strip().lower(): name for name in scores.columns}
    test = next(name for key, name in columns.items() if "test" in key and ("rmse" in key or "error" in key) and "cutoff" not in key)
    train = next(name for key, name in columns.items() if "train" in key and ("rmse" in key or "error" in key) and "cutoff" not in key)
    return {"test_rmse_px": float(row[test]), "train_rmse_px": float(row[train]), "index": [str(v) for v in scores.index[-1]]}


def analyze(job: dict[str, Any]) -> dict[str, Any]:
    import deeplabcut.pose_estimation_pytorch.apis as api

    loads: list[float] = []

    def timed(factory: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            value = factory(*args, **kwargs)
            loads.append(time.perf_counter() - started)
            return value

        return wrapper

    kwargs: dict[str, Any] = {}
    if job["package"] == "dlc":
        from deeplabcut.pose_estimation_pytorch.apis import utils

        utils.get_pose_inference_runner = timed(utils.get_pose_inference_runner)
    else:
        from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel

        TrainedModel.runner = timed(TrainedModel.runner)
        if job.get("engine") is not None:
            kwargs["engine"] = job["engine"]
    started = time.perf_counter()
    api.analyze_videos(
        job["config"], [job["video"]], shuffle=job["shuffle"], trainingsetindex=job["trainingsetindex"],
        device=job["device"], batch_size=job["batch_size"], destfolder=job["destfolder"], **kwargs,
    )
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "model_load_seconds": sum(loads), "frames": job["frames"]}


def model_forward(job: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    import torch

    config, shuffle, batch_size = Path(job["config"]), job["shuffle"], job["batch_size"]
    frames = read_frames(job["video"], job["frames"])
    rgb = np.stack([frame[:, :, ::-1] for frame in frames])
    device = torch.device(job["device"])
    if job["package"] == "dlc":
        from deeplabcut.pose_estimation_pytorch.apis.utils import get_pose_inference_runner

        folder = train_folder(config, shuffle)
        snapshot = sorted(folder.glob("snapshot-*.pt"))[-1]
        runner = get_pose_inference_runner(str(folder / "pytorch_config.yaml"), snapshot, batch_size=batch_size, device=job["device"])
        model = runner.model
        mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)

        def prepare(images: np.ndarray) -> torch.Tensor:
            tensor = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255
            return ((tensor - mean) / std).to(device)

        precision = contextlib.nullcontext
    else:
        from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel
        from deeplabcut.pose_estimation_pytorch.runtime.precision import autocast

        trained = TrainedModel.resolve(config, shuffle, job["trainingsetindex"], "", -1)
        runner = trained.runner(job["device"], batch_size=batch_size)
        model = runner.model

        def prepare(images: np.ndarray) -> torch.Tensor:
            return runner.preprocessor(np.ascontiguousarray(images), runner.device).images

        def precision() -> Any:
            return autocast(runner.device, runner.precision)

    batches = [prepare(rgb[i:i + batch_size]) for i in range(0, len(rgb), batch_size)]
    seconds = []
    with torch.inference_mode(), precision():
        started = time.perf_counter()
        model(batches[0])  # warm-up
        warm_up = time.perf_counter() - started
        for batch in batches:
            if device.type == "cuda":
                torch.cuda.synchronize()
            started = time.perf_counter()
            model(batch)
            if device.type == "cuda":
                torch.cuda.synchronize()
            seconds.append(time.perf_counter() - started)
    return {"seconds": sum(seconds), "frames": len(rgb), "input_shape": list(batches[0].shape),
            "warm_up_seconds": warm_up, "batch_seconds": seconds, "threads": torch.get_num_threads()}


def decode(job: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    frames = read_frames(job["video"], job["frames"])
    return {"seconds": time.perf_counter() - started, "frames": len(frames)}


ACTIONS = {"info": info, "setup": setup, "train": train, "evaluate": evaluate, "analyze": analyze,
           "model": model_forward, "decode": decode}


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text())
    result = ACTIONS[job["action"]](job)
    result.update(peak_memory_kib())
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
