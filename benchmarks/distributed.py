"""Several processes: DDP training images/s (1 vs 2 processes), many-video analysis (1 vs 2 workers), video cost.

    PYTHONPATH=src python benchmarks/distributed.py train        # dekr_16, 1 process vs torchrun 2 processes
    PYTHONPATH=src python benchmarks/distributed.py analyze      # 4 videos: 1 worker vs 2 workers (--shard i/2)
    PYTHONPATH=src python benchmarks/distributed.py video-cost   # frames/s of dekr_32 and token_pose_w32 at 640x480
    PYTHONPATH=src python benchmarks/distributed.py all --device cuda

``train`` makes a synthetic single-animal project (``--frame-size`` pixels,
``--images`` labeled frames), creates a ``dekr_16`` shuffle and trains it for 3
epochs twice through the command line: ``python -m deeplabcut train`` with
``batch_size`` 2B, then ``torchrun --nproc_per_node=2 -m deeplabcut train``
with ``batch_size`` B (the same global batch). It prints epoch 2's images/s
(epoch 1 warms up, epoch 3 validates). On a CPU each of the 2 processes gets
half the threads (``OMP_NUM_THREADS``), and 1 process runs with all the
threads and with half of them.

``analyze`` writes 4 synthetic videos and analyzes them with an untrained
snapshot, first with one ``deeplabcut analyze`` process, then with two at once
(``--shard 0/2`` and ``--shard 1/2``), and prints frames/s of the whole set
(wall time, process start included). On a CPU, as for ``train``, one worker
also runs with half the threads.

``video-cost`` analyzes a synthetic 640x480 single-animal video with untrained
``dekr_32`` and ``token_pose_w32`` snapshots (top-down: the detector's
``min_bbox_score`` set to 0, so every frame has exactly one crop, one animal)
and prints the median frames/s of ``--runs`` runs (after one warm-up run) and the device-hours 1000 hours of 30 frames/s video
would take: ``1000 h x 30 / (frames/s)``. Speed does not depend on the weights.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
VIDEO_FPS = 30
VIDEO_HOURS = 1000


def environment(threads: int | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    return env


def synthetic_project(folder: Path, net_type: str, frame_size: tuple[int, int], frames: int, labeled: int) -> Path:
    import deeplabcut

    config = deeplabcut.create_synthetic_project(
        folder, multianimal=False, num_bodyparts=4, num_frames=frames, num_labeled_frames=labeled, frame_size=frame_size, seed=1
    )
    deeplabcut.create_training_dataset(config, net_type=net_type)
    return Path(config)


def save_untrained_snapshots(config: Path, min_bbox_score: float | None = None) -> None:
    """``snapshot-000.pt`` (and for top-down net types ``snapshot-detector-000.pt``) with fresh weights."""
    from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config, write_pytorch_config
    from deeplabcut.pose_estimation_pytorch.data import ShuffleData
    from deeplabcut.pose_estimation_pytorch.models import PoseModel
    from deeplabcut.pose_estimation_pytorch.models.detectors import build_detector
    from deeplabcut.pose_estimation_pytorch.runtime import save_checkpoint

    project = ShuffleData(config)
    pose_cfg = read_pytorch_config(project.pose_config_path)
    model = PoseModel.build(pose_cfg["model"])
    save_checkpoint(project.train_folder / "snapshot-000.pt", {"metadata": {"epoch": 0}, "model": model.state_dict()})
    if "detector" in pose_cfg:
        detector = build_detector(pose_cfg["detector"]["model"])
        save_checkpoint(project.train_folder / "snapshot-detector-000.pt", {"metadata": {"epoch": 0}, "model": detector.state_dict()})
        if min_bbox_score is not None:
            pose_cfg["detector"].setdefault("inference", {})["min_bbox_score"] = min_bbox_score
            write_pytorch_config(project.pose_config_path, pose_cfg)


def epoch_images_per_second(output: str, epoch: int, epochs: int) -> float:
    match = re.search(rf"Epoch {epoch}/{epochs} \|[^\n]*\(([\d.]+) img/s\)", output)
    if match is None:
        raise RuntimeError(f"no line for epoch {epoch} in:\n{output[-2000:]}")
    return float(match.group(1))


def train(args: argparse.Namespace, workdir: Path) -> None:
    config = synthetic_project(workdir / "train", "dekr_16", (args.frame_size, args.frame_size), args.images + 10, args.images)
    crop = min(args.frame_size, 256)
    common = [
        "--epochs", "3", f"data.train.crop_sampling.width={crop}", f"data.train.crop_sampling.height={crop}",
        "runner.eval_interval=3", "runner.snapshots.save_epochs=3",
    ] + (["--device", args.device] if args.device else [])  # fmt: skip
    threads = torch.get_num_threads()
    rows = []
    cpu = args.device in (None, "cpu") and not torch.cuda.is_available()
    # On the CPU also 1 process with half the threads: the 2-process run gives each process half.
    runs = [(1, threads), (1, max(1, threads // 2)), (2, max(1, threads // 2))] if cpu else [(1, None), (2, None)]
    for processes, per_process_threads in runs:
        launcher = [sys.executable, "-m", "deeplabcut"] if processes == 1 else [
            sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}", "-m", "deeplabcut",
        ]  # fmt: skip
        batch = args.batch_size * 2 // processes
        started = time.perf_counter()
        done = subprocess.run(
            [*launcher, "train", str(config), "--batch-size", str(batch), *common],
            env=environment(per_process_threads), capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(done.stdout[-3000:] + done.stderr[-3000:])
        rate = epoch_images_per_second(done.stdout, 2, 3)
        rows.append((processes, batch, per_process_threads, rate, time.perf_counter() - started))
    print(f"train: dekr_16, {args.images} labeled {args.frame_size}x{args.frame_size} frames, crops {crop}, global batch {args.batch_size * 2}, "
          f"{threads} threads in all, device {args.device or 'auto'}")  # fmt: skip
    for processes, batch, per_process_threads, rate, wall in rows:
        print(f"  {processes} process(es) x batch {batch} ({per_process_threads or '-'} threads each): "
              f"{rate:.1f} images/s (epoch 2); whole command {wall:.0f} s")  # fmt: skip


def analyze(args: argparse.Namespace, workdir: Path) -> None:
    import deeplabcut

    config = synthetic_project(workdir / "analyze", "dekr_16", (args.frame_size, args.frame_size), 20, 4)
    save_untrained_snapshots(config)
    videos = workdir / "videos"
    videos.mkdir()
    for index in range(4):
        source = deeplabcut.create_synthetic_project(
            workdir / f"video{index}", multianimal=False, num_bodyparts=4, num_frames=args.video_frames,
            num_labeled_frames=2, frame_size=(args.frame_size, args.frame_size), seed=20 + index, video_name=f"video{index}",
        )  # fmt: skip
        shutil.copy(Path(source).parent / "videos" / f"video{index}.mp4", videos / f"video{index}.mp4")
    frames = 4 * args.video_frames
    threads = torch.get_num_threads()
    device = ["--device", args.device] if args.device else []
    print(f"analyze: 4 videos x {args.video_frames} frames {args.frame_size}x{args.frame_size}, dekr_16 (untrained), batch 8")
    cpu = args.device in (None, "cpu") and not torch.cuda.is_available()
    runs = [(1, threads), (1, max(1, threads // 2)), (2, max(1, threads // 2))] if cpu else [(1, None), (2, None)]
    for run, (workers, per_worker_threads) in enumerate(runs):
        out = workdir / f"out{run}"
        commands = [
            [sys.executable, "-m", "deeplabcut", "analyze", str(config), str(videos), "--destfolder", str(out), "--batch-size", "8",
             *device, *(["--shard", f"{i}/{workers}"] if workers > 1 else [])]
            for i in range(workers)
        ]  # fmt: skip
        started = time.perf_counter()
        running = [subprocess.Popen(c, env=environment(per_worker_threads), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in commands]
        for process in running:
            _, errors = process.communicate()
            if process.returncode != 0:
                raise RuntimeError(errors.decode()[-3000:])
        wall = time.perf_counter() - started
        print(f"  {workers} worker(s) ({per_worker_threads or '-'} threads each): {frames / wall:.1f} frames/s "
              f"({wall:.1f} s wall for {frames} frames, process start included)")  # fmt: skip


def video_cost(args: argparse.Namespace, workdir: Path) -> None:
    from deeplabcut.pose_estimation_pytorch.apis import analyze_videos

    print(f"video-cost: synthetic 640x480 video, {args.cost_frames} frames, 1 animal, batch {args.cost_batch}, device {args.device or 'auto'}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print(f"  | net type | frames/s | device-hours per {VIDEO_HOURS} h of {VIDEO_FPS} frames/s video |")
    for net_type in ("dekr_32", "token_pose_w32"):
        config = synthetic_project(workdir / net_type, net_type, (480, 640), args.cost_frames, 4)
        save_untrained_snapshots(config, min_bbox_score=0.0)
        video = next((config.parent / "videos").glob("*.mp4"))
        analyze_videos(config, [video], device=args.device, batch_size=args.cost_batch, auto_track=False, overwrite=True, destfolder=workdir / "warm")
        rates = []
        for _ in range(args.runs):
            started = time.perf_counter()
            analyze_videos(config, [video], device=args.device, batch_size=args.cost_batch, auto_track=False, overwrite=True)
            rates.append(args.cost_frames / (time.perf_counter() - started))
        rate = statistics.median(rates)
        print(f"  | {net_type} | {rate:.2f} (runs: {', '.join(f'{r:.2f}' for r in rates)}) | {VIDEO_HOURS * VIDEO_FPS / rate:,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["train", "analyze", "video-cost", "all"])
    parser.add_argument("--device", default=None)
    parser.add_argument("--frame-size", type=int, default=128, help="train/analyze: square synthetic frames, pixels")
    parser.add_argument("--images", type=int, default=32, help="train: labeled frames")
    parser.add_argument("--batch-size", type=int, default=4, help="train: per process with 2 processes (1 process: twice this)")
    parser.add_argument("--video-frames", type=int, default=60, help="analyze: frames per video")
    parser.add_argument("--cost-frames", type=int, default=16, help="video-cost: frames analyzed per net type")
    parser.add_argument("--cost-batch", type=int, default=8, help="video-cost: batch size")
    parser.add_argument("--runs", type=int, default=3, help="video-cost: timed runs per net type (median printed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        for what, run in (("train", train), ("analyze", analyze), ("video-cost", video_cost)):
            if args.what in (what, "all"):
                run(args, workdir)


if __name__ == "__main__":
    main()
