"""Training-step speed of a DEKR model on the CPU, optionally against another checkout, alternating A B A B.

    PYTHONPATH=src python benchmarks/train_step.py                                  # dekr_16, 224x224, batch 8
    PYTHONPATH=src python benchmarks/train_step.py --width 32 --size 448 --precision bf16
    PYTHONPATH=src python benchmarks/train_step.py --src src /tmp/old/src --rounds 3  # this tree vs an older one

One step is what ``PoseTrainer.train_epoch`` does per batch: forward (under bf16
autocast with ``--precision bf16``), the loss on targets made from random
keypoints, backward and an AdamW step, with the model and images channels-last.
Random weights and images (speed does not depend on them); ``--bodyparts`` keypoints
of ``--animals`` animals per image.

Each ``--src`` tree (a folder holding the ``deeplabcut`` package) is measured in a
fresh process per round, the trees alternating within each round, so that a change
is measured against the code before it on the same machine in the same minutes. Each
process trains ``--steps`` steps and the first (a warm-up) is left out; the table
gives, per tree, the median step time over all rounds and images/s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sys
import torch
sys.path.insert(0, sys.argv[9])  # this folder, for timed_steps
from train_step import timed_steps

width, size, batch, bodyparts, animals, steps, threads = (int(value) for value in sys.argv[1:8])
torch.set_num_threads(threads)
print(json.dumps(timed_steps(width, size, batch, bodyparts, animals, steps, precision=sys.argv[8])))
"""


def timed_steps(
    width: int, size: int, batch: int, bodyparts: int, animals: int, steps: int, precision: str = "float32"
) -> list[float]:
    """Seconds of each of ``steps`` training steps of a random ``dekr_<width>`` on random square images.

    Imports ``deeplabcut`` from wherever the calling process finds it (``benchmarks/cpu_contention.py``
    imports it first, in an order of its choosing).
    """
    import time

    import torch

    from deeplabcut.pose_estimation_pytorch.config.templates import fill_placeholders, load_template
    from deeplabcut.pose_estimation_pytorch.models import PoseModel

    torch.manual_seed(0)
    values = {"width": width, "num_bodyparts": bodyparts, "max_individuals": animals}
    model = PoseModel.build(fill_placeholders(load_template("dekr"), values)["model"])
    model = model.to(memory_format=torch.channels_last).train()
    images = torch.randn(batch, 3, size, size).contiguous(memory_format=torch.channels_last)
    batch_in = {
        "image": images,
        "keypoints": torch.rand(batch, animals, bodyparts, 2) * size,
        "visibility": torch.ones(batch, animals, bodyparts),
        "keypoints_unique": torch.zeros(batch, 0, 2),
        "visibility_unique": torch.zeros(batch, 0),
    }
    optimizer = torch.optim.AdamW(model.parameters(), 1e-3)
    dtype = torch.bfloat16 if precision == "bf16" else None
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=dtype, enabled=dtype is not None):
            outputs = model(images)
        outputs = {head: {name: value.float() for name, value in out.items()} for head, out in outputs.items()}
        model.get_loss(outputs, model.get_targets(batch_in))["total_loss"].backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", nargs="+", default=["src"], help="folders holding the deeplabcut package to compare")
    parser.add_argument("--width", type=int, default=16, help="HRNet width: dekr_16, dekr_32, dekr_48")
    parser.add_argument("--size", type=int, default=224, help="square training crop, pixels")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--bodyparts", type=int, default=5)
    parser.add_argument("--animals", type=int, default=2)
    parser.add_argument("--precision", choices=["float32", "bf16"], default="float32")
    parser.add_argument("--steps", type=int, default=5, help="steps per process, the first a warm-up")
    parser.add_argument("--rounds", type=int, default=2, help="fresh processes per tree, alternating")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    trees = [str(Path(tree).resolve()) for tree in args.src]
    child_args = [str(value) for value in (args.width, args.size, args.batch, args.bodyparts, args.animals)]
    child_args += [str(args.steps), str(args.threads), args.precision, str(Path(__file__).resolve().parent)]
    times: dict[str, list[float]] = {tree: [] for tree in trees}
    for round_index in range(args.rounds):
        for tree in trees:
            env = {**os.environ, "PYTHONPATH": tree}
            out = subprocess.run(
                [sys.executable, "-c", CHILD, *child_args], env=env, stdout=subprocess.PIPE, text=True, check=True
            ).stdout
            steps = json.loads(out.strip().splitlines()[-1])[1:]
            times[tree] += steps
            print(f"round {round_index + 1}, {tree}: median step {statistics.median(steps):.3f} s", flush=True)

    print(
        f"\ndekr_{args.width}, {args.size}x{args.size}, batch {args.batch}, {args.bodyparts} bodyparts x "
        f"{args.animals} animals, {args.precision}, {args.threads} threads, {args.rounds} rounds of "
        f"{args.steps - 1} timed steps\n"
    )
    print("| tree | median step s | images/s | ratio to the first |")
    print("|---|---|---|---|")
    first = statistics.median(times[trees[0]])
    for tree in trees:
        median = statistics.median(times[tree])
        print(f"| {tree} | {median:.3f} | {args.batch / median:.2f} | {first / median:.2f}x |")


if __name__ == "__main__":
    main()
