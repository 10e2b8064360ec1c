"""Video analysis: frames/s against the decode-only limit, and peak memory against video length.

    PYTHONPATH=src python benchmarks/analyze_video.py speed            # openfield video (../shared/data)
    PYTHONPATH=src python benchmarks/analyze_video.py speed --net-type dekr_32 --frames 300 --device cuda
    PYTHONPATH=src python benchmarks/analyze_video.py memory           # 10x longer video, peak RSS

``speed`` copies the openfield example to a temporary folder, creates a shuffle
of ``--net-type``, saves an untrained snapshot (speed does not depend on the
weights), and runs ``analyze_videos`` on the first ``--frames`` frames of
``videos/m3v1mp4.mp4`` (all of them by default). It prints the median
frames/s over ``--runs`` runs next to the decode-only frames/s of the same
frames, the limit analysis could reach.

``memory`` analyzes a synthetic multi-animal video of ``--frames`` frames and
one ten times longer, each in a fresh process, and prints the peak resident
memory of both (``ru_maxrss``) and their ratio.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dlc_reference import cut_clip  # noqa: E402  (benchmarks/dlc_reference.py)

ROOT = Path(__file__).resolve().parents[1]
OPENFIELD = ROOT.parent / "shared" / "data" / "openfield-Pranav-2018-10-30"


def save_untrained_snapshot(config: Path, shuffle: int = 1) -> Path:
    """Write ``snapshot-000.pt`` holding freshly initialised weights of the shuffle's model."""
    from deeplabcut.pose_estimation_pytorch.data import Project
    from deeplabcut.pose_estimation_pytorch.models import PoseModel
    from deeplabcut.pose_estimation_pytorch.runtime import save_checkpoint

    project = Project(config, shuffle=shuffle)
    model = PoseModel.build(project.pytorch_config()["model"])
    path = project.train_folder / "snapshot-000.pt"
    save_checkpoint(path, {"metadata": {"epoch": 0}, "model": model.state_dict()})
    return path


def decode_fps(video: Path) -> float:
    from deeplabcut.video import VideoReader

    with VideoReader(video) as reader:
        started = time.perf_counter()
        count = sum(len(batch) for _, batch in reader.iter_batches(8, prefetch=0))
        return count / (time.perf_counter() - started)


def speed(args: argparse.Namespace) -> None:
    import deeplabcut
    import deeplabcut.pose_estimation_pytorch.apis as api

    if not OPENFIELD.is_dir():
        sys.exit(f"The openfield example is not at {OPENFIELD}.")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / OPENFIELD.name
        shutil.copytree(OPENFIELD, project, ignore=shutil.ignore_patterns("*.mp4"))
        config = project / "config.yaml"
        deeplabcut.create_training_dataset(config, net_type=args.net_type)
        save_untrained_snapshot(config)
        video = cut_clip(OPENFIELD / "videos" / "m3v1mp4.mp4", Path(tmp) / "m3v1mp4.mp4", args.frames)
        frames = int(cv2.VideoCapture(str(video)).get(cv2.CAP_PROP_FRAME_COUNT))
        decode = [decode_fps(video) for _ in range(args.runs)]
        analysis = []
        for _ in range(args.runs):
            started = time.perf_counter()
            api.analyze_videos(config, [video], device=args.device, batch_size=args.batch_size, overwrite=True)
            analysis.append(frames / (time.perf_counter() - started))
    print(
        f"{args.net_type}, {frames} frames 640x480, batch {args.batch_size}, device {args.device or 'auto'}: "
        f"analyze_videos {statistics.median(analysis):.1f} frames/s (median of {args.runs}: "
        f"{', '.join(f'{v:.1f}' for v in analysis)}); decode only {statistics.median(decode):.0f} frames/s"
    )


def memory_child(args: argparse.Namespace) -> None:
    """Runs in a fresh process: analyze one video, print the peak RSS as JSON."""
    import deeplabcut.pose_estimation_pytorch.apis as api

    api.analyze_videos(args.config, [args.video], auto_track=False, batch_size=args.batch_size, overwrite=True)
    print(json.dumps({"maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def memory(args: argparse.Namespace) -> None:
    import deeplabcut
    from deeplabcut.synthetic import make_scene

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(deeplabcut.create_synthetic_project(tmp, num_frames=60, num_labeled_frames=30, frame_size=(128, 128)))
        deeplabcut.create_training_dataset(config, net_type=args.net_type)
        save_untrained_snapshot(config)
        results = {}
        for frames in (args.frames, 10 * args.frames):
            scene = make_scene(num_animals=3, num_frames=frames, frame_size=(128, 128), seed=1)
            video = Path(tmp) / f"long{frames}.mp4"
            writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 30, (128, 128))
            for index in range(frames):
                writer.write(cv2.cvtColor(scene.render(index), cv2.COLOR_RGB2BGR))
            writer.release()
            command = [sys.executable, __file__, "memory-child", "--config", str(config), "--video", str(video), "--batch-size", str(args.batch_size)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            results[frames] = json.loads(done.stdout.strip().splitlines()[-1])["maxrss_kib"] / 1024
    short, long = results[args.frames], results[10 * args.frames]
    print(
        f"peak RSS analyzing {args.frames} frames: {short:.0f} MiB; {10 * args.frames} frames: {long:.0f} MiB "
        f"(+{100 * (long - short) / short:.1f}%)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("speed")
    s.add_argument("--net-type", default="dekr_16")
    s.add_argument("--frames", type=int, default=None)
    s.add_argument("--batch-size", type=int, default=8)
    s.add_argument("--device", default=None)
    s.add_argument("--runs", type=int, default=3)
    m = sub.add_parser("memory")
    m.add_argument("--net-type", default="dekr_16")
    m.add_argument("--frames", type=int, default=300)
    m.add_argument("--batch-size", type=int, default=8)
    c = sub.add_parser("memory-child")
    c.add_argument("--config")
    c.add_argument("--video")
    c.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    {"speed": speed, "memory": memory, "memory-child": memory_child}[args.command](args)


if __name__ == "__main__":
    main()
