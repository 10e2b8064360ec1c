"""Frames per second of one network run eagerly, as TorchScript and under ONNX Runtime (CPU).

    PYTHONPATH=src python benchmarks/export.py                       # dekr_16, 640x480, K=4, 2 threads
    PYTHONPATH=src python benchmarks/export.py --width 32 --size 480 640 --repeats 15 --threads 1

Builds ``dekr_<width>`` (untrained weights; the network's speed does not depend on them),
exports it with the library's own ``export_torchscript`` / ``export_onnx`` at a
256x256 example size (the graphs have dynamic height and width), then times,
for one frame of ``--size`` (H W, default 640x480 from the openfield videos),
the network alone and its decoding (``predict``, in Python for all three,
timed on the network's outputs). Prints, as frames per second, the network
alone and network + decoding, each from the median over ``--repeats`` runs
(round-robin over the three forms) after ``--warmup`` runs, and the largest difference of each export's raw
outputs from the eager ones, relative to the largest eager output (float32
rounding: an untrained network's outputs are in the thousands). Timings depend on what else uses the CPU: say
how busy it was when you quote them.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from deeplabcut.pose_estimation_pytorch.config.templates import fill_placeholders, load_template
from deeplabcut.pose_estimation_pytorch.inference.export import export_metadata, export_onnx, export_torchscript, output_names
from deeplabcut.pose_estimation_pytorch.inference.exported import load_exported
from deeplabcut.pose_estimation_pytorch.models import PoseModel


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--width", type=int, default=16, help="HRNet width: dekr_<width> (default 16)")
    parser.add_argument("--size", type=int, nargs=2, default=(480, 640), metavar=("H", "W"))
    parser.add_argument("--bodyparts", type=int, default=4, help="K (default 4, the openfield example)")
    parser.add_argument("--individuals", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-onnx", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    config = fill_placeholders(
        load_template("dekr"), {"width": args.width, "num_bodyparts": args.bodyparts, "max_individuals": args.individuals}
    )
    model = PoseModel.build(config["model"]).eval()
    metadata = export_metadata(config, "pose", output_names(model), None)
    with tempfile.TemporaryDirectory(prefix="dlc-export-bench-") as folder:
        run(model, metadata, Path(folder), args)


def run(model: PoseModel, metadata: dict, folder: Path, args: argparse.Namespace) -> None:
    networks = {"eager": model}
    start = time.perf_counter()
    networks["torchscript"] = load_exported(export_torchscript(model, folder / "pose.torchscript", metadata))
    print(f"TorchScript export: {time.perf_counter() - start:.1f} s")
    if not args.skip_onnx:
        start = time.perf_counter()
        networks["onnxruntime"] = load_exported(export_onnx(model, folder / "pose.onnx", metadata))
        print(f"ONNX export: {time.perf_counter() - start:.1f} s")

    images = torch.randn(1, 3, *args.size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        reference = model(images)
        outputs = {name: network(images) for name, network in networks.items()}
        # Round-robin: each repeat times every form in turn, so a change in the CPU's load hits all of them.
        forward: dict[str, list[float]] = {name: [] for name in networks}
        decode: dict[str, list[float]] = {name: [] for name in networks}
        for repeat in range(args.warmup + args.repeats):
            for name, network in networks.items():
                seconds = timed(lambda: network(images))
                decode_seconds = timed(lambda: network.predict(outputs[name]))
                if repeat >= args.warmup:
                    forward[name].append(seconds)
                    decode[name].append(decode_seconds)
    print(f"dekr_{args.width}, K={args.bodyparts}, one {args.size[1]}x{args.size[0]} frame, {args.threads} thread(s), "
          f"median of {args.repeats} round-robin runs")
    print(f"{'':12} {'network fps':>12} {'+decode fps':>12} {'rel. diff':>11}")
    for name in networks:
        diff = max(  # relative to the outputs' range: an untrained network's outputs reach 1e4
            float((outputs[name][head][key] - reference[head][key]).abs().max() / reference[head][key].abs().max())
            for head in reference
            for key in reference[head]
        )
        network_seconds = statistics.median(forward[name])
        decode_seconds = statistics.median(decode[name])
        print(f"{name:12} {1 / network_seconds:12.2f} {1 / (network_seconds + decode_seconds):12.2f} {diff:11.1e}")

if __name__ == "__main__":
    main()
