"""Decode-only throughput of ``deeplabcut.video.VideoReader``: plain iteration vs prefetch.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/video_decode.py [--video PATH] [--runs 5]
        [--batch-size 8] [--prefetch 4] [--consumer-ms 0]

By default it reads the openfield example video at
``../shared/data/openfield-Pranav-2018-10-30/videos/m3v1mp4.mp4`` (relative
to the repository root, or one or two folders further up for a git worktree)
when present, else a generated 640x480 MJPG video.

``--consumer-ms`` simulates a model that needs that many milliseconds per
batch (a sleep, which frees the CPU like a GPU wait does): with prefetching,
decoding hides behind it.

Prints the median frames/s over ``--runs`` runs for each mode.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from deeplabcut.video import VideoReader, VideoWriter

REPO_ROOT = Path(__file__).resolve().parents[1]
OPENFIELD_VIDEO = "shared/data/openfield-Pranav-2018-10-30/videos/m3v1mp4.mp4"


def default_video() -> Path | None:
    """The openfield video at ``../shared/data`` (or further up, for git worktrees)."""
    for folder in REPO_ROOT.parents[:3]:
        if (folder / OPENFIELD_VIDEO).is_file():
            return folder / OPENFIELD_VIDEO
    return None


def generated_video(folder: Path, num_frames: int = 600) -> Path:
    path = folder / "generated.avi"
    rng = np.random.default_rng(0)
    background = rng.integers(0, 255, size=(480, 640, 3), dtype=np.uint8)
    with VideoWriter(path, fps=30, frame_size=(640, 480), codec="MJPG") as writer:
        for index in range(num_frames):
            frame = background.copy()
            frame[200:260, index % 580 : index % 580 + 60] = (255, 0, 0)
            writer.write(frame)
    return path


def time_plain(reader: VideoReader, batch_size: int, consumer_seconds: float) -> float:
    start = time.perf_counter()
    frames = 0
    pending = 0
    for _ in reader:
        frames += 1
        pending += 1
        if pending == batch_size:
            pending = 0
            if consumer_seconds:
                time.sleep(consumer_seconds)
    if pending and consumer_seconds:
        time.sleep(consumer_seconds)
    return frames / (time.perf_counter() - start)


def time_batches(reader: VideoReader, batch_size: int, prefetch: int, consumer_seconds: float) -> float:
    start = time.perf_counter()
    frames = 0
    for _, batch in reader.iter_batches(batch_size, prefetch=prefetch):
        frames += len(batch)
        if consumer_seconds:
            time.sleep(consumer_seconds)
    return frames / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--prefetch", type=int, default=4)
    parser.add_argument("--consumer-ms", type=float, default=0.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        video = args.video
        if video is None:
            video = default_video() or generated_video(Path(folder))
        reader = VideoReader(video)
        consumer_seconds = args.consumer_ms / 1000.0
        print(f"video: {video}")
        print(f"  {reader.width}x{reader.height}, {reader.num_frames} frames, codec {reader.codec}")
        print(f"  batch size {args.batch_size}, consumer {args.consumer_ms:g} ms/batch, {args.runs} runs")
        modes = {
            "plain iteration": lambda: time_plain(reader, args.batch_size, consumer_seconds),
            "batches, no prefetch": lambda: time_batches(reader, args.batch_size, 0, consumer_seconds),
            f"batches, prefetch={args.prefetch}": lambda: time_batches(
                reader, args.batch_size, args.prefetch, consumer_seconds
            ),
        }
        for name, run in modes.items():
            rates = [run() for _ in range(args.runs)]
            print(f"  {name:24s} median {statistics.median(rates):8.1f} frames/s "
                  f"(min {min(rates):.1f}, max {max(rates):.1f})")


if __name__ == "__main__":
    main()
