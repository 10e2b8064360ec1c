"""Top-down (TokenPose, top-down HRNet) beside DEKR on the openfield example, at one CPU-sized budget.

    PYTHONPATH=src python benchmarks/top_down.py                                   # all three, 20 epochs
    PYTHONPATH=src python benchmarks/top_down.py --net-types token_pose_w16 --epochs 40 --detector-epochs 40

Uses the benchmark split of ``../shared/data/README.md`` (test = img0000,
img0020, ..., img0100; train = the other 110 frames) on a copy of the
project, trains each net type from scratch with its shuffle's defaults and the
same number of epochs (top-down: the detector for ``--detector-epochs``, then
the pose model on crops), evaluates the last snapshot and prints one row per
net type: test error ("RMSE": DeepLabCut's mean pixel distance, in
full-resolution pixels) with detected boxes (the headline for top-down) and
with ground-truth boxes, test mAP, the detector's box mAP@50:95 and
recall@50, and the wall time. DEKR trains and predicts on half-size frames
(``--scale``), as ``benchmarks/train_openfield.py`` does on a CPU; top-down
models crop each animal at their template's crop size whatever the frame size.
``--json`` writes the rows to a file.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OPENFIELD = ROOT.parent / "shared" / "data" / "openfield-Pranav-2018-10-30"
TEST_IMAGES = [0, 20, 40, 60, 80, 100]


def bottom_up_scale_updates(scale: float) -> dict:
    """``data.*.resize`` and crop sampling for DEKR on frames scaled by ``scale``."""
    height, width = round(480 * scale), round(640 * scale)
    crop = min(448, (min(height, width) // 32) * 32)
    return {
        "data.train.resize": {"height": height, "width": width, "keep_ratio": True},
        "data.train.crop_sampling.width": crop,
        "data.train.crop_sampling.height": crop,
        "data.inference.resize": {"height": height, "width": width, "keep_ratio": True},
    }


def run(net_type: str, args: argparse.Namespace, workdir: Path) -> dict:
    import deeplabcut
    import deeplabcut.pose_estimation_pytorch.apis as api
    from deeplabcut.project.paths import detector_results_filename, ground_truth_boxes_results_filename

    project = workdir / net_type / OPENFIELD.name
    shutil.copytree(OPENFIELD, project, ignore=shutil.ignore_patterns("*.mp4"))
    config = project / "config.yaml"
    train = [i for i in range(116) if i not in TEST_IMAGES]
    deeplabcut.create_training_dataset(
        config, Shuffles=[1], trainIndices=[train], testIndices=[TEST_IMAGES], net_type=net_type
    )
    top_down = not net_type.startswith("dekr")
    updates = {"train_settings.dataloader_workers": 0}
    kwargs = {}
    if top_down:
        kwargs.update(detector_epochs=args.detector_epochs, detector_save_epochs=max(1, args.detector_epochs))
    elif args.scale != 1.0:
        updates.update(bottom_up_scale_updates(args.scale))
    started = time.perf_counter()
    api.train_network(
        config, shuffle=1, epochs=args.epochs, device=args.device, save_epochs=max(1, args.epochs),
        pytorch_cfg_updates=updates, **kwargs,
    )
    seconds = time.perf_counter() - started
    results = api.evaluate_network(config, shuffle=1, snapshotindex=-1, device=args.device, show_errors=False)
    row = {
        "net_type": net_type,
        "epochs": args.epochs,
        "detector_epochs": args.detector_epochs if top_down else None,
        "test_rmse_px": float(results["test rmse"].iloc[-1]),
        "test_mAP": float(results["test mAP"].iloc[-1]),
        "train_rmse_px": float(results["train rmse"].iloc[-1]),
        "training_minutes": seconds / 60,
    }
    if top_down:
        folder = next((project / "evaluation-results-pytorch" / "iteration-0").glob("*shuffle1"))
        gt = next(folder.glob("*" + ground_truth_boxes_results_filename("")), None)
        detector = next(folder.glob("*" + detector_results_filename("")), None)
        if gt is not None:
            table = pd.read_csv(gt)
            row["test_rmse_gt_boxes_px"] = float(table["test rmse"].iloc[-1])
        if detector is not None:
            table = pd.read_csv(detector)
            for column in table.columns:
                if column.startswith("test"):
                    row[f"detector {column}"] = float(table[column].iloc[-1])
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--net-types", nargs="+", default=["dekr_16", "top_down_hrnet_w32", "token_pose_w16"])
    parser.add_argument("--epochs", type=int, default=20, help="pose-model epochs (every net type)")
    parser.add_argument("--detector-epochs", type=int, default=20, help="detector epochs (top-down net types)")
    parser.add_argument("--scale", type=float, default=0.5, help="DEKR frames scaled by this factor")
    parser.add_argument("--device", default=None)
    parser.add_argument("--json", default=None, help="write the rows here")
    args = parser.parse_args()
    if not OPENFIELD.is_dir():
        raise SystemExit(f"The openfield example is not at {OPENFIELD}.")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for net_type in args.net_types:
            rows.append(run(net_type, args, Path(tmp)))
            print(json.dumps(rows[-1]), flush=True)
    print(pd.DataFrame(rows).set_index("net_type").round(2).to_string())
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
