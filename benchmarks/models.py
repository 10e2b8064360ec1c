"""Size, compute and speed of the DEKR variants.

    PYTHONPATH=src python benchmarks/models.py                      # all widths, K=17, 512 and 448 px
    PYTHONPATH=src python benchmarks/models.py --widths 32 --repeats 5 --threads 2

For each width (dekr_16/32/48) prints parameters (with the project's K and
with K=17, the COCO setting of the DEKR paper: 29.6 M for w32, 65.7 M for
w48), multiply-adds counted by ``torch.utils.flop_counter.FlopCounterMode``
at each input size, the median CPU forward time per image (batch 1) and, when
a GPU is present, CUDA forward times in float32 and bf16 autocast, each in
NCHW and channels_last.

FlopCounterMode does not count ``grid_sample`` (the bilinear sampling of the
adaptive convolutions); an analytic estimate of those multiply-adds is printed
next to the counted total.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from deeplabcut.pose_estimation_pytorch.config.templates import fill_placeholders, load_template
from deeplabcut.pose_estimation_pytorch.models import PoseModel


def build(width: int, num_bodyparts: int) -> PoseModel:
    values = {"width": width, "num_bodyparts": num_bodyparts, "max_individuals": 10}
    return PoseModel.build(fill_placeholders(load_template("dekr")["model"], values)).eval()


def parameters(model: torch.nn.Module) -> float:
    return sum(p.numel() for p in model.parameters()) / 1e6


def counted_gmacs(model: PoseModel, size: int) -> float:
    """Multiply-adds (G) counted by FlopCounterMode (which reports 2 FLOPs per multiply-add)."""
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model(torch.randn(1, 3, size, size))
    return counter.get_total_flops() / 2e9


def grid_sample_gmacs(model: PoseModel, size: int) -> float:
    """Bilinear sampling in the adaptive blocks: 4 multiply-adds per sampled value."""
    head = model.heads["bodypart"]
    cells = (size // 4) ** 2
    blocks = len(head.offset_head.offset_feature_layers)
    channels = head.offset_head.transition_offset[0].out_channels
    return blocks * channels * 9 * cells * 4 / 1e9


def median_seconds(run, repeats: int, warmup: int, synchronize=None) -> float:
    for _ in range(warmup):
        run()
    if synchronize:
        synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        if synchronize:
            synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cpu_forward_ms(model: PoseModel, size: int, repeats: int, warmup: int) -> float:
    images = torch.randn(1, 3, size, size)
    with torch.inference_mode():
        return 1e3 * median_seconds(lambda: model(images), repeats, warmup)


def cuda_forward_ms(model: PoseModel, size: int, repeats: int, warmup: int) -> dict[str, float]:
    model = model.cuda()
    results = {}
    for layout in ("nchw", "channels_last"):
        memory_format = torch.channels_last if layout == "channels_last" else torch.contiguous_format
        model = model.to(memory_format=memory_format)
        images = torch.randn(1, 3, size, size, device="cuda").to(memory_format=memory_format)
        for precision in ("fp32", "bf16"):
            def run():
                with torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16"):
                    model(images)

            with torch.inference_mode():
                results[f"{precision} {layout}"] = 1e3 * median_seconds(run, repeats, warmup, torch.cuda.synchronize)
    model.cpu()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", type=int, nargs="+", default=[16, 32, 48])
    parser.add_argument("--bodyparts", type=int, default=17, help="K for the FLOP and timing runs")
    parser.add_argument("--project-bodyparts", type=int, default=4, help="a typical DeepLabCut project's K")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 448])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--no-cpu-timing", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.backends.cudnn.benchmark = True
    print(f"torch {torch.__version__}, CPU threads {args.threads}, CUDA: "
          f"{torch.cuda.get_device_name() if torch.cuda.is_available() else 'none'}")
    print("GMACs = multiply-adds counted by FlopCounterMode (it does not count grid_sample; "
          "the adaptive convolutions' bilinear sampling is estimated separately as '+ gs').")
    for width in args.widths:
        model = build(width, args.bodyparts)
        project_params = parameters(build(width, args.project_bodyparts))
        print(f"\ndekr_{width}: {parameters(model):.2f} M parameters with K={args.bodyparts} "
              f"(backbone {parameters(model.backbone):.2f} M), {project_params:.2f} M with K={args.project_bodyparts}")
        for size in args.sizes:
            line = (f"  {size}x{size}: {counted_gmacs(model, size):.1f} GMACs "
                    f"(+ gs {grid_sample_gmacs(model, size):.2f})")
            if not args.no_cpu_timing:
                line += f", CPU fp32 {cpu_forward_ms(model, size, args.repeats, args.warmup):.0f} ms/image"
            if torch.cuda.is_available():
                timings = cuda_forward_ms(model, size, max(args.repeats, 20), max(args.warmup, 5))
                line += ", CUDA " + ", ".join(f"{name} {ms:.2f} ms" for name, ms in timings.items())
            print(line, flush=True)


if __name__ == "__main__":
    main()
