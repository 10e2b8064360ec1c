"""Inference engines: frames/s of the network alone and of ``analyze_videos``, per engine and precision.

    PYTHONPATH=src python benchmarks/engines.py                                  # synthetic 640x480 video, dekr_32
    PYTHONPATH=src python benchmarks/engines.py --project ../shared/data/openfield-Pranav-2018-10-30
    PYTHONPATH=src python benchmarks/engines.py --engines torch openvino --frames 32 --repeats 1 --net-type dekr_16

The project (a synthetic single-animal one made with ``deeplabcut.synthetic``,
or a copy of ``--project`` without its videos) gets a shuffle of ``--net-type``
and an untrained snapshot (speed does not depend on the weights); the video is
the project's first (``--project``: cut to ``--frames``) or the synthetic one.

For each engine and precision (``torch`` f32 and bf16 autocast, ``openvino`` f32
and, where the CPU has native bf16, bf16, ``onnxruntime`` f32), it prints:

* ``build``: seconds to build the runner (loading, and converting the network);
* ``model``: frames/s of the network's forward pass alone on one batch of the
  video's prepared frames (the first call, which compiles, not counted);
* ``analyze``: frames/s of a whole ``analyze_videos`` (decoding, pre-processing,
  network, decoding poses, writing files; the build counted), median of ``--repeats``.

Threads: ``--threads`` (default: PyTorch's default). Run it alone on the machine:
other processes on the same cores change every figure.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dlc_reference import cut_clip  # noqa: E402  (benchmarks/dlc_reference.py)

ROOT = Path(__file__).resolve().parents[1]
#: (engine, runner.mixed_precision) of each row; the bf16 ones are skipped where they would not run bf16.
VARIANTS = {
    "torch": [("f32", False), ("bf16", "bf16")],
    "openvino": [("f32", False), ("bf16", "bf16")],
    "onnxruntime": [("f32", False)],
}


def save_untrained_snapshot(config: Path) -> Path:
    from deeplabcut.pose_estimation_pytorch.data import ShuffleData
    from deeplabcut.pose_estimation_pytorch.models import PoseModel
    from deeplabcut.pose_estimation_pytorch.runtime import save_checkpoint

    project = ShuffleData(config)
    model = PoseModel.build({**project.pytorch_config()["model"]})
    path = project.train_folder / "snapshot-000.pt"
    save_checkpoint(path, {"metadata": {"epoch": 0}, "model": model.state_dict()})
    return path


def make_project(args: argparse.Namespace, folder: Path) -> tuple[Path, Path]:
    """``(config, video)`` of the benchmarked project, with a shuffle of ``args.net_type`` and an untrained snapshot."""
    import deeplabcut
    from deeplabcut.synthetic import create_synthetic_project

    if args.project:
        source = Path(args.project)
        project = folder / source.name
        shutil.copytree(source, project, ignore=shutil.ignore_patterns("*.mp4", "*.avi", "dlc-models*", "evaluation-results*"))
        videos = sorted((source / "videos").glob("*.mp4")) + sorted((source / "videos").glob("*.avi"))
        if not videos:
            sys.exit(f"No video in {source / 'videos'}.")
        config = project / "config.yaml"
        video = cut_clip(videos[0], folder / f"{videos[0].stem}.mp4", args.frames)
    else:
        config = Path(
            create_synthetic_project(
                folder, multianimal=False, num_individuals=1, num_bodyparts=12, num_frames=args.frames,
                num_labeled_frames=8, frame_size=(480, 640), seed=0,
            )
        )  # fmt: skip
        video = next((config.parent / "videos").glob("*.mp4"))
    deeplabcut.create_training_dataset(config, net_type=args.net_type)
    save_untrained_snapshot(config)
    return config, video


def set_mixed_precision(config: Path, value: object) -> None:
    from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config, write_pytorch_config
    from deeplabcut.pose_estimation_pytorch.data import ShuffleData

    path = ShuffleData(config).pose_config_path
    pose_cfg = read_pytorch_config(path)
    pose_cfg["runner"]["mixed_precision"] = value
    write_pytorch_config(path, pose_cfg)


def model_speed(config: Path, video: Path, engine: str, batch_size: int, repeats: int) -> tuple[float, float, str]:
    """``(build seconds, forward frames/s, engine as run)``."""
    from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel
    from deeplabcut.pose_estimation_pytorch.inference.engines import describe_engines
    from deeplabcut.video import VideoReader

    model = TrainedModel.resolve(config)
    started = time.perf_counter()
    runner = model.runner("cpu", batch_size=batch_size, engine=engine)
    build = time.perf_counter() - started
    reader = VideoReader(video)
    _, frames = next(iter(reader.iter_batches(batch_size)))
    reader.close()
    batch = runner.preprocessor(np.asarray(frames), runner.device)
    times = []
    with torch.inference_mode():
        for _ in range(repeats + 1):
            started = time.perf_counter()
            runner.model(batch.images)
            times.append(time.perf_counter() - started)
    return build, len(frames) / statistics.median(times[1:]), describe_engines(runner.engines)


def analyze_speed(config: Path, video: Path, engine: str, batch_size: int, repeats: int, folder: Path) -> float:
    import deeplabcut.pose_estimation_pytorch.apis as api
    from deeplabcut.video import VideoReader

    frames = VideoReader(video).num_frames
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        api.analyze_videos(config, [video], destfolder=folder, batch_size=batch_size, overwrite=True, device="cpu", engine=engine)
        rates.append(frames / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", default=None, help="a DeepLabCut project folder (copied without videos); default: synthetic")
    parser.add_argument("--net-type", default="dekr_32")
    parser.add_argument("--frames", type=int, default=64, help="frames of the analyzed video")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--engines", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--model-only", action="store_true", help="skip the analyze_videos runs")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    from deeplabcut.pose_estimation_pytorch.inference.engines import cpu_has_native_bf16, missing_modules

    with tempfile.TemporaryDirectory() as tmp:
        config, video = make_project(args, Path(tmp))
        print(
            f"{args.net_type}, {video.name}, batch {args.batch_size}, {torch.get_num_threads()} threads, "
            f"native bf16 (OpenVINO): {cpu_has_native_bf16()}",
            flush=True,
        )
        for engine in args.engines:
            if missing_modules(engine):
                print(f"{engine:12s} not installed ({', '.join(missing_modules(engine))})")
                continue
            for precision, mixed_precision in VARIANTS[engine]:
                if engine == "openvino" and precision == "bf16" and not cpu_has_native_bf16():
                    continue
                set_mixed_precision(config, mixed_precision)
                build, forward, ran = model_speed(config, video, engine, args.batch_size, args.repeats)
                line = f"{engine:12s} {precision:5s} ran {ran:28s} build {build:6.1f} s  model {forward:6.2f} frames/s"
                if not args.model_only:
                    rate = analyze_speed(config, video, engine, args.batch_size, args.repeats, Path(tmp) / "out")
                    line += f"  analyze {rate:6.2f} frames/s"
                print(line, flush=True)


if __name__ == "__main__":
    main()
