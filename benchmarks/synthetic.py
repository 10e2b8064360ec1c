"""Benchmark: time to generate the default synthetic demo project.

Generates ``create_synthetic_project(<tmp>)`` with its defaults (3 animals,
4 bodyparts, 300 frames of 256x256, 60 labeled frames) ``--repeats`` times in
fresh temporary folders and prints the median wall time, plus the median time
of the in-memory scene (motion) and of rendering one frame.

Run: ``PYTHONPATH=src python benchmarks/synthetic.py [--repeats 3]``
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time

import numpy as np

from deeplabcut.synthetic import create_synthetic_project, make_scene


def time_once(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    project_seconds = []
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="dlc-synthetic-bench-") as folder:
            project_seconds.append(time_once(lambda: create_synthetic_project(folder, seed=repeat)))

    scene_seconds = [
        time_once(lambda: make_scene(num_animals=3, num_frames=300, frame_size=(256, 256), seed=repeat))
        for repeat in range(args.repeats)
    ]
    scene = make_scene(num_animals=3, num_frames=300, frame_size=(256, 256), seed=0)
    scene.render(0)
    frame_seconds = [time_once(lambda: scene.render(frame)) for frame in range(300)]

    print(
        json.dumps(
            {
                "benchmark": "synthetic.create_synthetic_project (defaults: 3 animals, 300 frames 256x256, 60 labeled)",
                "repeats": args.repeats,
                "median_project_s": round(statistics.median(project_seconds), 3),
                "all_project_s": [round(s, 3) for s in project_seconds],
                "median_scene_simulation_s": round(statistics.median(scene_seconds), 3),
                "median_render_frame_ms": round(1000 * float(np.median(frame_seconds)), 2),
                "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
            }
        )
    )


if __name__ == "__main__":
    main()
