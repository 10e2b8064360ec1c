"""Forward pass of one DEKR model on the CPU, in every way this package can run it.

    PYTHONPATH=src python benchmarks/cpu_forward.py                       # dekr_32, 640x480, batch 8
    PYTHONPATH=src python benchmarks/cpu_forward.py --width 16 --ways fp32 bf16 bf16_per_frame openvino_f32

Random weights (speed does not depend on them), ``--threads`` torch/OpenVINO
threads, median of ``--repeats`` after one warm-up. Ways:

- ``fp32``, ``fp32_cl``: the batch in one pass, NCHW and channels_last;
- ``bf16``: bf16 autocast, channels_last, one pass;
- ``fp32_per_frame``, ``bf16_per_frame``: one frame per pass (what analysis does on
  the CPU: ``inference.runner.CPU_PIXELS_PER_PASS``); prints the peak RSS too when it
  is the only way asked for (peak RSS is per process);
- ``compile_bf16``: ``torch.compile`` (inductor, freezing) under bf16 autocast;
- ``openvino_f32``, ``openvino_bf16``: OpenVINO from the module (``openvino.convert_model``);
- ``onnxruntime``: ONNX Runtime on the graph ``torch.onnx`` exports.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from models import build  # noqa: E402  (benchmarks/models.py)

from deeplabcut.pose_estimation_pytorch.inference.export import onnx_program, openvino_model  # noqa: E402
from deeplabcut.utils.optional_imports import import_openvino  # noqa: E402

WAYS = (
    "fp32", "fp32_cl", "bf16", "fp32_per_frame", "bf16_per_frame", "compile_bf16",
    "openvino_f32", "openvino_bf16", "onnxruntime",
)  # fmt: skip


def median_rate(run, batch: int, repeats: int) -> float:
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return batch / statistics.median(times)


def runner(way: str, model: torch.nn.Module, images: torch.Tensor, threads: int):
    """A no-argument callable that runs ``images`` through ``model`` the ``way`` asked."""
    channels_last = images.contiguous(memory_format=torch.channels_last)
    if way in ("fp32", "fp32_cl", "bf16", "fp32_per_frame", "bf16_per_frame", "compile_bf16"):
        net = model if way == "fp32" else model.to(memory_format=torch.channels_last)
        if way == "compile_bf16":
            import torch._inductor.config as inductor_config

            inductor_config.freezing = True
            net = torch.compile(net)
        inputs = images if way == "fp32" else channels_last
        step = 1 if way.endswith("per_frame") else len(images)
        bf16 = "bf16" in way

        def run():
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                return [net(inputs[i : i + step]) for i in range(0, len(inputs), step)]

        return run
    array = np.ascontiguousarray(images.numpy())
    if way.startswith("openvino"):
        openvino = import_openvino()
        compiled = openvino.Core().compile_model(
            openvino_model(model),
            "CPU",
            {"INFERENCE_PRECISION_HINT": way.split("_")[1], "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"},
        )
        request = compiled.create_infer_request()
        return lambda: request.infer({0: array})
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(onnx_program(model).model_proto.SerializeToString(), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda: session.run(None, {name: array})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=32, help="HRNet width of the DEKR model (16, 32, 48)")
    parser.add_argument("--bodyparts", type=int, default=12)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--image-width", type=int, default=640)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ways", nargs="+", choices=WAYS, default=list(WAYS))
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    images = torch.randn(args.batch, 3, args.height, args.image_width)
    print(f"dekr_{args.width}, {args.batch} x {args.height}x{args.image_width}, {args.threads} threads, torch {torch.__version__}")
    for way in args.ways:
        model = build(args.width, args.bodyparts).eval()
        built = time.perf_counter()
        run = runner(way, model, images, args.threads)
        prepared = time.perf_counter() - built
        rate = median_rate(run, args.batch, args.repeats)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        memory = f", peak RSS {peak:.0f} MiB" if len(args.ways) == 1 else ""
        print(f"{way:16s} {rate:6.2f} frames/s (prepared in {prepared:.1f} s){memory}", flush=True)


if __name__ == "__main__":
    main()
