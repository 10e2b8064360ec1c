"""Accuracy a new user gets with default settings, within a fixed training budget per project.

    PYTHONPATH=src python benchmarks/accuracy.py                         # dekr_16, recipe on, 30 min each
    PYTHONPATH=src python benchmarks/accuracy.py --recipe on off          # the from-scratch recipe vs DLC's values
    PYTHONPATH=src python benchmarks/accuracy.py --device cuda --net-types dekr_16 dekr_32
    PYTHONPATH=src python benchmarks/accuracy.py --projects pair_k5 --budget-min 1    # a smoke test
    PYTHONPATH=src python benchmarks/accuracy.py --projects four_k8_two_objects --epochs 47 --set train_settings.seed=7
    PYTHONPATH=src python benchmarks/accuracy.py --projects pair_k5 --labeled-frames 150   # a larger training set

Each project of :data:`PROJECTS` (synthetic projects from ``deeplabcut.synthetic``
with seeds, frame sizes, animal and bodypart counts that the tests and the demo
do not use; single- and multi-animal, with and without unique bodyparts) and
DeepLabCut's openfield example (``../shared/data``, its benchmark split; skipped
with a message when absent) is trained with ``create_training_dataset``'s
defaults for each net type: nothing is overridden except the from-scratch
recipe's switch (``--recipe on`` / ``off``: ``train_settings.from_scratch_recipe``).

The budget: ``train_network`` has no time limit, so it is turned into epochs:
the first three epochs are trained alone and timed. The call's time beyond its
three epochs is the setup (building, loading), which the resumed call pays
again; the second epoch (the first is slower, the third is validated) is the
time per epoch. The run then resumes from its snapshot up to
``3 + floor((budget - first call - setup) / second epoch)`` epochs (a top-down
net type trains its detector and its pose model for that many epochs each).
``--epochs N`` trains N epochs instead (the same three-then-resume path): the
results then depend only on the settings, not on the machine's speed or on what
else runs, which makes experiments comparable (training is seeded and
deterministic on the CPU). Snapshots and validation keep their defaults (``save_epochs``,
``eval_interval``), so evaluation and analysis use the snapshot DeepLabCut picks
by default (``snapshot-best-*``, the best validated one). The budget is wall
time of training only; evaluation and video analysis come on top.

Reported per run: the epochs trained, training time, the recipe values applied
(read from the snapshot's metadata), the size frames are trained on and predicted
at (``data.inference.resize`` of ``pytorch_config.yaml``), test RMSE (DeepLabCut's mean pixel error)
and test mAP (OKS, 0-100) from ``evaluate_network`` (the JSON also has the test
error per bodypart); for multi-animal synthetic
projects also the tracking error (pixels per keypoint) and identity swaps of
the stitched tracks of the project's video against the synthetic ground truth
(``deeplabcut.demo.score_tracks``, the demo's scoring). Results go to
``<output>/accuracy.json`` and ``<output>/accuracy.md`` (a markdown table), and
the table is printed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

#: Minutes of training (wall time) per project and net type, unless --budget-min says otherwise.
BUDGET_MINUTES = 30.0
#: Frames of each synthetic video and labeled frames among them (TrainingFraction 0.8: 48 train, 12 test).
NUM_FRAMES, NUM_LABELED_FRAMES = 240, 60
#: Synthetic projects: ``create_synthetic_project`` arguments (frame_size is (height, width)).
PROJECTS: dict[str, dict[str, Any]] = {
    "single_k6": {"multianimal": False, "num_bodyparts": 6, "frame_size": (160, 224), "seed": 101},
    "pair_k5": {"num_individuals": 2, "num_bodyparts": 5, "frame_size": (224, 288), "seed": 102},
    "trio_k7_food": {
        "num_individuals": 3, "num_bodyparts": 7, "num_unique_bodyparts": 1, "frame_size": (240, 240), "seed": 103,
    },
    "four_k8_two_objects": {
        "num_individuals": 4, "num_bodyparts": 8, "num_unique_bodyparts": 2, "frame_size": (288, 352), "seed": 104,
    },
}
OPENFIELD_NAME = "openfield"
OPENFIELD = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "openfield-Pranav-2018-10-30"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", nargs="+", default=[*PROJECTS, OPENFIELD_NAME], choices=[*PROJECTS, OPENFIELD_NAME])
    parser.add_argument("--net-types", nargs="+", default=["dekr_16"])
    parser.add_argument("--recipe", nargs="+", default=["on"], choices=["on", "off"], help="the from-scratch recipe")
    parser.add_argument("--budget-min", type=float, default=BUDGET_MINUTES, help="training minutes per run")
    parser.add_argument(
        "--epochs", type=int, default=None,
        help="train this many epochs instead of the budget's (the results then do not depend on the machine's speed)",
    )  # fmt: skip
    parser.add_argument(
        "--labeled-frames", type=int, default=NUM_LABELED_FRAMES,
        help=f"labeled frames of each synthetic project (of {NUM_FRAMES}; 80%% train), e.g. for a larger training set",
    )  # fmt: skip
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: a GPU when there is one)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--output", default="accuracy-output", help="folder of the projects and the results")
    parser.add_argument(
        "--set", nargs="*", default=[], metavar="KEY=YAML",
        help="experiments only (the README's figures use none): pytorch_config overrides, e.g. runner.optimizer.params.lr=0.002",
    )  # fmt: skip
    args = parser.parse_args()
    import yaml

    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = yaml.safe_load(value)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no downloads at run time: from scratch unless weights are cached
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    output = Path(args.output).resolve()
    output.mkdir(parents=True, exist_ok=True)
    rows = []
    for project in args.projects:
        if project == OPENFIELD_NAME and not OPENFIELD.is_dir():
            print(f"Skipping openfield: the example project is not at {OPENFIELD}.", flush=True)
            continue
        for net_type in args.net_types:
            for recipe in args.recipe:
                row = run(
                    project, net_type, recipe == "on", args.budget_min * 60, args.device, output, overrides, args.epochs,
                    args.labeled_frames,
                )  # fmt: skip
                rows.append(row)
                print(json.dumps(_no_nan(row)), flush=True)
    header = {
        "python": platform.python_version(), "torch": torch.__version__, "machine": platform.machine(),
        "threads": torch.get_num_threads(), "device": args.device or "auto",
        "budget_min": None if args.epochs else args.budget_min, "epochs": args.epochs,
        "command": " ".join(sys.argv),
    }  # fmt: skip
    (output / "accuracy.json").write_text(json.dumps({"setup": header, "runs": _no_nan(rows)}, indent=2))
    table = markdown(rows)
    (output / "accuracy.md").write_text(table + "\n")
    print(f"\n{header}\n\n{table}\n\nWritten: {output / 'accuracy.json'}, {output / 'accuracy.md'}")


def run(
    project: str, net_type: str, recipe: bool, budget_s: float, device: str | None, output: Path,
    overrides: dict[str, Any] | None = None, epochs: int | None = None, labeled_frames: int = NUM_LABELED_FRAMES,
) -> dict[str, Any]:
    """Create the project, train it for the budget (or ``epochs``), evaluate it (and track its video); one result row.

    A synthetic project has ``labeled_frames`` labeled frames of its video's :data:`NUM_FRAMES`.
    """
    import deeplabcut
    from deeplabcut.errors import ConfigError

    folder = output / f"{project}-{net_type}-recipe-{'on' if recipe else 'off'}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    row: dict[str, Any] = {"project": project, "net_type": net_type, "recipe": "on" if recipe else "off"}
    if overrides:
        row["overrides"] = overrides
    if project == OPENFIELD_NAME:
        config = _openfield(folder)
        row.update(kind="single animal, 4 bodyparts, 640x480 (real)")
        split = {"trainIndices": [[i for i in range(116) if i not in _openfield_test()]], "testIndices": [_openfield_test()]}
    else:
        from deeplabcut.synthetic import create_synthetic_project

        spec = PROJECTS[project]
        config = create_synthetic_project(folder, num_frames=NUM_FRAMES, num_labeled_frames=labeled_frames, **spec)
        row.update(kind=_describe(spec) + (f", {labeled_frames} labeled frames" if labeled_frames != NUM_LABELED_FRAMES else ""))
        split = {}
    try:
        deeplabcut.create_training_dataset(config, net_type=net_type, Shuffles=[1], **split)
    except ConfigError as error:  # e.g. a top-down net type on a project with unique bodyparts
        return {**row, "skipped": str(error)}
    row.update(train(config, recipe, budget_s, device, overrides or {}, epochs))
    row.update(evaluate(config, device))
    if project != OPENFIELD_NAME and PROJECTS[project].get("multianimal", True):
        row.update(track(config, device))
    return row


def train(
    config: str | Path, recipe: bool, budget_s: float, device: str | None, overrides: dict[str, Any],
    fixed_epochs: int | None = None,
) -> dict[str, Any]:
    """Train three epochs, time them, then resume up to the epochs the budget allows (or ``fixed_epochs``)."""
    import torch

    import deeplabcut.pose_estimation_pytorch.apis as api
    from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel
    from deeplabcut.pose_estimation_pytorch.config.pose_config import is_top_down
    from deeplabcut.pose_estimation_pytorch.runtime import list_snapshots
    from deeplabcut.project.paths import DETECTOR_SNAPSHOT_PREFIX

    model = TrainedModel.resolve(config, 1, 0, "", select="none")
    top_down = is_top_down(model.pytorch_config)
    updates = {"train_settings.from_scratch_recipe": recipe, **overrides}
    detector = lambda epochs: {"detector_epochs": epochs} if top_down else {}  # noqa: E731
    started = time.perf_counter()
    probed = min(3, fixed_epochs) if fixed_epochs else 3
    probe = api.train_network(config, shuffle=1, epochs=probed, device=device, pytorch_cfg_updates=updates, **detector(probed))
    first = time.perf_counter() - started
    runs = [result for result in (probe, probe.detector) if result is not None]
    per_epoch = sum(result.history[min(2, probed)]["seconds"] for result in runs)
    setup = max(0.0, first - sum(result.history[e]["seconds"] for result in runs for e in range(1, probed + 1)))
    epochs = max(probed, fixed_epochs or probed + math.floor((budget_s - first - setup) / per_epoch))
    train_folder = model.shuffle.train_folder
    if epochs > probed:
        resume = {"snapshot_path": _snapshot(list_snapshots(train_folder), probed)}
        if top_down:
            resume["detector_path"] = _snapshot(list_snapshots(train_folder, DETECTOR_SNAPSHOT_PREFIX), probed)
        api.train_network(
            config, shuffle=1, epochs=epochs, device=device, pytorch_cfg_updates=updates, **resume, **detector(epochs)
        )  # fmt: skip
    seconds = time.perf_counter() - started
    last = max(list_snapshots(train_folder), key=lambda snapshot: snapshot.epoch)
    metadata = torch.load(last.path, map_location="cpu", weights_only=True)["metadata"]
    resize = model.shuffle.pytorch_config()["data"].get("inference", {}).get("resize")  # e.g. the recipe's downscale
    return {
        "frames": f"{resize['width']}x{resize['height']}" if resize else "full size",
        "epochs": epochs, "epoch_s": round(per_epoch, 1), "setup_s": round(setup, 1), "train_s": round(seconds, 1),
        "recipe_applied": metadata.get("from_scratch_recipe", {}),
    }  # fmt: skip


def evaluate(config: str | Path, device: str | None) -> dict[str, Any]:
    import pandas as pd

    import deeplabcut.pose_estimation_pytorch.apis as api

    results = api.evaluate_network(
        config, shuffle=1, trainingsetindex=0, device=device, show_errors=False, per_keypoint_evaluation=True
    )  # fmt: skip
    row = results.iloc[-1]
    evaluated = Path(config).parent / "evaluation-results-pytorch"
    per_keypoint = pd.read_csv(next(evaluated.rglob("*-keypoint-results.csv")), index_col=0)
    return {
        "train_rmse": round(float(row["train rmse"]), 2), "test_rmse": round(float(row["test rmse"]), 2),
        "test_mAP": round(float(row["test mAP"]), 1), "test_rmse_per_bodypart": per_keypoint.iloc[1].to_dict(),
    }  # fmt: skip


def track(config: str | Path, device: str | None) -> dict[str, Any]:
    """Analyze the synthetic video, track and stitch it, and score the tracks against the ground truth."""
    import deeplabcut
    import deeplabcut.pose_estimation_pytorch.apis as api
    from deeplabcut.demo import score_tracks

    video = str(next((Path(config).parent / "videos").glob("*.mp4")))
    api.analyze_videos(config, [video], videotype=".mp4", auto_track=False, device=device, overwrite=True)
    api.convert_detections2tracklets(config, videos=[video], videotype=".mp4", overwrite=True)
    tracks = deeplabcut.stitch_tracklets(config, videos=[video], videotype=".mp4")
    error, swaps = score_tracks(config, tracks[0])
    return {"tracking_error": round(error, 2), "identity_swaps": swaps}


def _no_nan(value: Any) -> Any:
    """``value`` with NaN floats as None (JSON has no NaN; e.g. the tracking error when no track matched)."""
    if isinstance(value, dict):
        return {key: _no_nan(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_no_nan(item) for item in value]
    return None if isinstance(value, float) and math.isnan(value) else value


def _snapshot(snapshots: list[Any], epoch: int) -> Path:
    return next(snapshot.path for snapshot in snapshots if snapshot.epoch == epoch)


def _openfield(folder: Path) -> Path:
    """A copy of the openfield example (without its video) in ``folder``; its config path."""
    target = folder / OPENFIELD.name
    shutil.copytree(OPENFIELD, target, ignore=shutil.ignore_patterns("*.mp4"))
    return target / "config.yaml"


def _openfield_test() -> list[int]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from train_openfield import TEST_IMAGES  # the benchmark split of ../shared/data/README.md

    return list(TEST_IMAGES)


def _describe(spec: dict[str, Any]) -> str:
    height, width = spec["frame_size"]
    animals = "single animal" if spec.get("multianimal", True) is False else f"{spec['num_individuals']} animals"
    unique = spec.get("num_unique_bodyparts", 0)
    return f"{animals}, {spec['num_bodyparts']} bodyparts" + (f" + {unique} unique" if unique else "") + f", {width}x{height}"


def markdown(rows: list[dict[str, Any]]) -> str:
    """The results as a markdown table (``-`` where a value does not apply)."""
    columns = [
        ("project", "project"), ("kind", "kind"), ("net_type", "net type"), ("recipe", "recipe"),
        ("recipe_applied", "recipe values applied"), ("frames", "frames"), ("epochs", "epochs"), ("train_s", "training s"),
        ("test_rmse", "test RMSE px"), ("test_mAP", "test mAP"), ("tracking_error", "tracking error px"),
        ("identity_swaps", "identity swaps"),
    ]  # fmt: skip
    lines = ["| " + " | ".join(title for _, title in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = []
        for key, _ in columns:
            value = row.get(key, "-")
            if key == "recipe_applied":
                value = ", ".join(f"{k.rsplit('.', 1)[-1]} {v}" for k, v in value.items()) if value else "none"
            if "skipped" in row and key not in ("project", "kind", "net_type", "recipe"):
                value = "skipped" if key == "recipe_applied" else "-"
            cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    skipped = [f"{row['project']} / {row['net_type']}: {row['skipped']}" for row in rows if "skipped" in row]
    return "\n".join(lines + ([""] + [f"Skipped: {line}" for line in skipped] if skipped else []))


if __name__ == "__main__":
    main()
