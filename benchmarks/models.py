"""Size, compute and speed of the DEKR and TokenPose variants and of the top-down detector.

    PYTHONPATH=src python benchmarks/models.py                      # everything, K=17
    PYTHONPATH=src python benchmarks/models.py --widths 32 --repeats 5 --threads 2
    PYTHONPATH=src python benchmarks/models.py --families tokenpose detector

For each width (dekr_16/32/48) prints parameters (with the project's K and
with K=17, the COCO setting of the DEKR paper: 29.6 M for w32, 65.7 M for
w48), multiply-adds counted by ``torch.utils.flop_counter.FlopCounterMode``
at each input size, the median CPU forward time per image (batch 1) and, when
a GPU is present, CUDA forward times in float32 and bf16 autocast, each in
NCHW and channels_last.

FlopCounterMode does not count ``grid_sample`` (the bilinear sampling of the
adaptive convolutions); an analytic estimate of those multiply-adds is printed
next to the counted total.

TokenPose (token_pose_w16/w32/w48, K=17, one 256x192 crop, the paper's COCO
setting) is printed beside the paper's TokenPose-B (Li et al. 2021: 13.5 M
parameters, 5.7 GFLOPs, where GFLOPs are multiply-adds). FlopCounterMode does
not count ``scaled_dot_product_attention`` on the CPU either; its two matrix
products (``2 * tokens^2 * dim`` per block) are added analytically as '+ attn'.
The detector (CenterDetector, the tokenpose template's ``detector.model``) is
measured on full frames (640x480, the openfield videos, and 512x512).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from deeplabcut.pose_estimation_pytorch.config.make_config import resolve_net_type
from deeplabcut.pose_estimation_pytorch.config.templates import fill_placeholders, load_template
from deeplabcut.pose_estimation_pytorch.models import PoseModel, build_detector

#: Li et al. 2021, Table 1 (COCO, 256x192): TokenPose-B.
TOKENPOSE_B_PAPER = {"parameters_m": 13.5, "gflops": 5.7}
TOKENPOSE_CROP = (256, 192)
DETECTOR_FRAMES = ((480, 640), (512, 512))


def build(width: int, num_bodyparts: int) -> PoseModel:
    values = {"width": width, "num_bodyparts": num_bodyparts, "max_individuals": 10}
    return PoseModel.build(fill_placeholders(load_template("dekr")["model"], values)).eval()


def build_tokenpose(width: int, num_bodyparts: int) -> PoseModel:
    """TokenPose of ``width`` at the paper's 256x192 crops (whatever the net type's default crop)."""
    template, values = resolve_net_type(f"token_pose_w{width}")
    values = {**values, "num_bodyparts": num_bodyparts, "crop_width": 192, "crop_height": 256}
    model_cfg = fill_placeholders(load_template(template)["model"], values)
    return PoseModel.build(model_cfg).eval()


def build_center_detector(max_individuals: int = 3) -> torch.nn.Module:
    values = {"max_individuals": max_individuals, "detector_size": 256}
    return build_detector(fill_placeholders(load_template("detector")["model"], values)).eval()


def parameters(model: torch.nn.Module) -> float:
    return sum(p.numel() for p in model.parameters()) / 1e6


def counted_gmacs(model: torch.nn.Module, size: int | tuple[int, int]) -> float:
    """Multiply-adds (G) counted by FlopCounterMode (which reports 2 FLOPs per multiply-add)."""
    height, width = (size, size) if isinstance(size, int) else size
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model(torch.randn(1, 3, height, width))
    return counter.get_total_flops() / 2e9


def attention_gmacs(model: PoseModel) -> float:
    """The attention products of the TokenPose neck: ``2 * tokens^2 * dim`` multiply-adds per block."""
    neck = model.neck
    tokens = neck.num_keypoints + neck.grid_size[0] * neck.grid_size[1]
    return len(neck.blocks) * 2 * tokens**2 * neck.out_channels / 1e9


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


def cpu_forward_ms(model: torch.nn.Module, size: int | tuple[int, int], repeats: int, warmup: int) -> float:
    height, width = (size, size) if isinstance(size, int) else size
    images = torch.randn(1, 3, height, width)
    with torch.inference_mode():
        return 1e3 * median_seconds(lambda: model(images), repeats, warmup)


def cuda_forward_ms(
    model: torch.nn.Module, size: int | tuple[int, int], repeats: int, warmup: int
) -> dict[str, float]:
    height, width = (size, size) if isinstance(size, int) else size
    model = model.cuda()
    results = {}
    for layout in ("nchw", "channels_last"):
        memory_format = torch.channels_last if layout == "channels_last" else torch.contiguous_format
        model = model.to(memory_format=memory_format)
        images = torch.randn(1, 3, height, width, device="cuda").to(memory_format=memory_format)
        for precision in ("fp32", "bf16"):
            def run():
                with torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16"):
                    model(images)

            with torch.inference_mode():
                results[f"{precision} {layout}"] = 1e3 * median_seconds(run, repeats, warmup, torch.cuda.synchronize)
    model.cpu()
    return results


def timing_text(model: torch.nn.Module, size: int | tuple[int, int], args: argparse.Namespace, unit: str) -> str:
    text = ""
    if not args.no_cpu_timing:
        text += f", CPU fp32 {cpu_forward_ms(model, size, args.repeats, args.warmup):.0f} ms/{unit}"
    if torch.cuda.is_available():
        timings = cuda_forward_ms(model, size, max(args.repeats, 20), max(args.warmup, 5))
        text += ", CUDA " + ", ".join(f"{name} {ms:.2f} ms" for name, ms in timings.items())
    return text


def report_tokenpose(args: argparse.Namespace) -> None:
    paper = TOKENPOSE_B_PAPER
    height, width = TOKENPOSE_CROP
    print(f"\nTokenPose, K={args.bodyparts}, one {height}x{width} crop. Paper (TokenPose-B = token_pose_w32): "
          f"{paper['parameters_m']} M parameters, {paper['gflops']} GFLOPs (multiply-adds).")
    for net_width in args.widths:
        model = build_tokenpose(net_width, args.bodyparts)
        neck = model.neck
        counted, attention = counted_gmacs(model, TOKENPOSE_CROP), attention_gmacs(model)
        line = (
            f"token_pose_w{net_width} (dim {neck.out_channels}, {len(neck.blocks)} blocks, "
            f"{neck.blocks[0].attn.heads} heads): {parameters(model):.2f} M parameters "
            f"(backbone {parameters(model.backbone):.2f}, transformer {parameters(neck):.2f}, "
            f"head {parameters(model.heads):.2f}); {counted:.2f} GMACs counted + attn {attention:.2f} "
            f"= {counted + attention:.2f}"
        )
        print(line + timing_text(model, TOKENPOSE_CROP, args, "crop"), flush=True)


def report_detector(args: argparse.Namespace) -> None:
    detector = build_center_detector()
    print(f"\nCenterDetector (tokenpose template: HRNet width {detector.backbone.width}, light layout): "
          f"{parameters(detector):.2f} M parameters (backbone {parameters(detector.backbone):.2f})")
    for size in DETECTOR_FRAMES:
        line = f"  {size[1]}x{size[0]} frame: {counted_gmacs(detector, size):.2f} GMACs"
        print(line + timing_text(detector, size, args, "frame"), flush=True)


def report_dekr(args: argparse.Namespace) -> None:
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
            print(line + timing_text(model, size, args, "image"), flush=True)


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
    parser.add_argument(
        "--families", nargs="+", default=["dekr", "tokenpose", "detector"], choices=["dekr", "tokenpose", "detector"]
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.backends.cudnn.benchmark = True
    print(f"torch {torch.__version__}, CPU threads {args.threads}, CUDA: "
          f"{torch.cuda.get_device_name() if torch.cuda.is_available() else 'none'}")
    if "dekr" in args.families:
        report_dekr(args)
    if "tokenpose" in args.families:
        report_tokenpose(args)
    if "detector" in args.families:
        report_detector(args)


if __name__ == "__main__":
    main()
