"""Train DEKR from scratch on DeepLabCut's openfield example and report the test error.

    PYTHONPATH=src python benchmarks/train_openfield.py --device cuda                 # dekr_32, 200 epochs
    PYTHONPATH=src python benchmarks/train_openfield.py --net-type dekr_16 --epochs 60 --scale 0.5   # a CPU-sized run

Uses the benchmark split of ``../shared/data/README.md`` (test = img0000,
img0020, ..., img0100; train = the other 110 frames) on a copy of the project,
trains with the shuffle's default ``pytorch_config.yaml`` (from scratch: no
pretrained weights), evaluates, and prints the test "RMSE" (DeepLabCut's mean
pixel error, in original-image pixels), the epochs and the wall time.
DeepLabCut reports 2.36 px for an ImageNet-pretrained HRNet-w32 on this split.

``--scale`` < 1 trains and predicts on downscaled frames (``resize`` in
``data.train``/``data.inference``; errors are still measured in full-resolution
pixels), which makes a CPU run feasible.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPENFIELD = ROOT.parent / "shared" / "data" / "openfield-Pranav-2018-10-30"
TEST_IMAGES = [0, 20, 40, 60, 80, 100]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--net-type", default="dekr_32")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--device", default=None)
    parser.add_argument("--scale", type=float, default=1.0, help="train and predict on frames scaled by this factor")
    parser.add_argument("--workers", type=int, default=4, help="data-loading processes")
    parser.add_argument("--keep", default=None, help="copy the trained project here")
    args = parser.parse_args()

    import deeplabcut
    import deeplabcut.pose_estimation_pytorch.apis as api

    if not OPENFIELD.is_dir():
        raise SystemExit(f"The openfield example is not at {OPENFIELD}.")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / OPENFIELD.name
        shutil.copytree(OPENFIELD, project, ignore=shutil.ignore_patterns("*.mp4"))
        config = project / "config.yaml"
        train = [i for i in range(116) if i not in TEST_IMAGES]
        deeplabcut.create_training_dataset(
            config, Shuffles=[1], trainIndices=[train], testIndices=[TEST_IMAGES], net_type=args.net_type
        )
        updates = {"train_settings.dataloader_workers": args.workers}
        if args.scale != 1.0:
            height, width = round(480 * args.scale), round(640 * args.scale)
            crop = min(448, (min(height, width) // 32) * 32)
            updates.update(
                {
                    "data.train.resize": {"height": height, "width": width, "keep_ratio": True},
                    "data.train.crop_sampling.width": crop,
                    "data.train.crop_sampling.height": crop,
                    "data.inference.resize": {"height": height, "width": width, "keep_ratio": True},
                }
            )
        started = time.perf_counter()
        api.train_network(
            config, shuffle=1, epochs=args.epochs, batch_size=args.batch_size, device=args.device,
            eval_interval=max(1, args.epochs // 10), save_epochs=max(1, args.epochs // 4), pytorch_cfg_updates=updates,
        )
        seconds = time.perf_counter() - started
        every = api.evaluate_network(config, shuffle=1, snapshotindex="all", device=args.device, show_errors=False)
        best = every.iloc[-1]  # the best snapshot sorts last
        last = every.iloc[max(range(len(every)), key=lambda row: every.index[row][2])]
        results = every.iloc[-1:]
        print(
            f"{args.net_type} from scratch, {args.epochs} epochs, scale {args.scale}, batch {args.batch_size}: "
            f"test RMSE {best['test rmse']:.2f} px (best snapshot, epoch {results.index[0][2]}), "
            f"{last['test rmse']:.2f} px (last), train RMSE {best['train rmse']:.2f} px; training took "
            f"{seconds / 60:.1f} min"
        )
        if args.keep:
            shutil.copytree(project, args.keep, dirs_exist_ok=True)


if __name__ == "__main__":
    main()
