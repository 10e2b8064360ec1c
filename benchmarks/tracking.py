"""Throughput of tracking (assemblies -> tracklets) and stitching (tracklets -> tracks).

A synthetic sequence: three animals of six keypoints walk on crossing
elliptical paths (640x480 pixels) with 1-pixel noise, low-confidence
keypoints, short dropouts and a few longer absences. Prints the median over
several runs, in frames per second, for each tracker, plus the identity
switches of the stitched tracks against the ground truth as a sanity check.

    PYTHONPATH=src python benchmarks/tracking.py [--frames 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings

import numpy as np

from deeplabcut.tracking import build_tracklets, count_identity_switches, stitch_tracklet_dict

BODYPARTS = ["snout", "leftear", "rightear", "centre", "tailbase", "tailtip"]
TEMPLATE = np.array([[24, 0], [12, -9], [12, 9], [0, 0], [-14, 0], [-28, 0]], dtype=float)
PHASES = np.array([[5.1, 4.3], [2.4, 2.1], [0.2, 3.1]])
PERIODS = np.array([830.0, 830.0, 790.0])
INFERENCE_CFG = {
    "pcutoff": 0.1, "iou_threshold": 0.6, "max_age": 1, "min_hits": 1, "topktoretain": 3, "boundingboxslack": 0
}


def synthetic_sequence(n_frames: int, seed: int = 0) -> tuple[np.ndarray, dict]:
    """Ground truth (F, 3, 6, 2) and assemblies {frame: (3, 6, 4)}, -1 padded."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_frames)[:, None]
    omega = 2 * np.pi / PERIODS
    x = 320 + 220 * np.sin(omega * t + PHASES[:, 0])
    y = 240 + 160 * np.sin(omega * t + PHASES[:, 1])
    heading = np.arctan2(np.cos(omega * t + PHASES[:, 1]) * 160, np.cos(omega * t + PHASES[:, 0]) * 220)
    cos, sin = np.cos(heading)[..., None], np.sin(heading)[..., None]
    along_x = TEMPLATE[:, 0] * cos - TEMPLATE[:, 1] * sin
    along_y = TEMPLATE[:, 0] * sin + TEMPLATE[:, 1] * cos
    truth = np.stack([x[..., None] + along_x, y[..., None] + along_y], axis=-1)
    absent = np.zeros((n_frames, 3), dtype=bool)
    for animal in range(3):
        for _ in range(n_frames // 150):
            start = rng.integers(0, n_frames)
            absent[start : start + rng.integers(1, 3), animal] = True
        for _ in range(max(1, n_frames // 600)):
            start = rng.integers(0, n_frames)
            absent[start : start + 6, animal] = True
    observed = truth + rng.normal(0, 1.0, truth.shape)
    scores = rng.uniform(0.5, 1.0, truth.shape[:3])
    scores[rng.random(scores.shape) < 0.05] = 0.03
    assemblies = {}
    for frame in range(n_frames):
        rows = [
            np.column_stack([observed[frame, a], scores[frame, a], -np.ones(len(BODYPARTS))])
            for a in rng.permutation(3)
            if not absent[frame, a]
        ]
        rows += [-np.ones((len(BODYPARTS), 4))] * (3 - len(rows))
        assemblies[frame] = np.stack(rows)
    return truth, assemblies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    truth, assemblies = synthetic_sequence(args.frames)
    print(f"{args.frames} frames, 3 animals, 6 bodyparts; median of {args.runs} runs; "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    for method in ("ellipse", "box"):
        tracking_times, stitching_times = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            tracklets = build_tracklets(assemblies, INFERENCE_CFG, method, BODYPARTS, [], "DLC_bench", args.frames)
            middle = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                stitcher, report = stitch_tracklet_dict(tracklets, 3)
            end = time.perf_counter()
            tracking_times.append(middle - start)
            stitching_times.append(end - middle)
        tracks = stitcher.tracks_array(args.frames)
        switches = count_identity_switches(tracks[..., :2], truth)
        n_tracklets = len(tracklets) - 1
        tracking = statistics.median(tracking_times)
        stitching = statistics.median(stitching_times)
        print(
            f"{method:8s} tracking {args.frames / tracking:8.0f} frames/s ({tracking * 1000:6.1f} ms) | "
            f"stitching {n_tracklets:3d} tracklets -> {report.n_tracklets} pieces + {report.n_residuals} residuals: "
            f"{args.frames / stitching:8.0f} frames/s ({stitching * 1000:6.1f} ms) | "
            f"total {args.frames / (tracking + stitching):6.0f} frames/s | identity switches: {switches}"
        )


if __name__ == "__main__":
    main()
