"""Two PyTorch jobs on one CPU: training-step time with and without the OpenMP spin setting.

    PYTHONPATH=src python benchmarks/cpu_contention.py              # 5 steps, 2 jobs, 2 threads each
    PYTHONPATH=src python benchmarks/cpu_contention.py --steps 7 --jobs 2

``import deeplabcut`` sets ``GOMP_SPINCOUNT=10000`` unless the variable is
already set (see ``src/deeplabcut/__init__.py``). This script times a
``dekr_16`` training step (7 bodyparts, 3 animals, batch 8, 192x192,
channels-last; ``train_step.timed_steps``) in child processes that either import ``deeplabcut`` first (the
setting applies) or import ``torch`` first (GNU OpenMP's own default spin
applies), once alone and once with ``--jobs`` copies running at the same time.
It prints the median step time of each case (the first step, a warm-up, is left
out).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

#: This folder (the children import ``train_step.timed_steps`` from it).
HERE = os.path.dirname(os.path.abspath(__file__))

CHILD = r"""
import json, sys
if sys.argv[1] == "torch-first":
    import torch
    import deeplabcut
else:
    import deeplabcut
    import torch
sys.path.insert(0, sys.argv[4])  # this folder
from train_step import timed_steps

steps, threads = int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
print(json.dumps(timed_steps(width=16, size=192, batch=8, bodyparts=7, animals=3, steps=steps)))
"""


def run_jobs(order: str, jobs: int, steps: int, threads: int) -> list[float]:
    """Start ``jobs`` children together; return the step times of all of them, warm-up steps left out."""
    env = {key: value for key, value in os.environ.items() if key != "GOMP_SPINCOUNT"}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, order, str(steps), str(threads), HERE],
            env=env, stdout=subprocess.PIPE, text=True,
        )
        for _ in range(jobs)
    ]
    times: list[float] = []
    for child in children:
        out, _ = child.communicate()
        if child.returncode:
            raise SystemExit(f"a benchmark job failed with exit code {child.returncode}")
        times += json.loads(out.strip().splitlines()[-1])[1:]
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=5, help="training steps per job (the first is a warm-up)")
    parser.add_argument("--jobs", type=int, default=2, help="jobs running at the same time in the shared case")
    parser.add_argument("--threads", type=int, default=2, help="torch threads per job")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; {args.jobs} jobs x {args.threads} threads when shared; median s per step")
    for order, label in (("deeplabcut-first", "GOMP_SPINCOUNT=10000 (deeplabcut)"), ("torch-first", "OpenMP default")):
        alone = statistics.median(run_jobs(order, 1, args.steps, args.threads))
        shared = statistics.median(run_jobs(order, args.jobs, args.steps, args.threads))
        print(f"{label:36s} alone {alone:6.2f}   shared {shared:6.2f}")


if __name__ == "__main__":
    main()
