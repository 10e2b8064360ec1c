"""Does training on the project's unlabeled video frames pay at equal wall time? (issue 15, item 3)

    PYTHONPATH=src python benchmarks/unlabeled_frames.py --projects trio_k7_food --budget-min 10
    PYTHONPATH=src python benchmarks/unlabeled_frames.py --projects openfield --budget-min 30 --weights 0 1

An experiment, not a feature: the package has no unlabeled-frame loss, because these
measurements did not show a gain (``benchmarks/RESULTS.md``: on trio_k7_food at 10 CPU
minutes, test mAP 84.1 without it, 61.2 and 59.1 with weights 1 and 10, which cost
30% of the epochs). Each arm runs
``benchmarks/accuracy.py``'s protocol (default settings, the budget turned into
epochs by timing a probe of three epochs, evaluation, and tracking for multi-animal projects),
arms one after the other in this process; weight 0 is the baseline.

The loss, in the spirit of Lightning Pose's temporal difference loss but without
decoding (so it serves bottom-up multi-animal heatmaps, where a soft-argmax per
bodypart has no meaning): each training step also predicts ``--pairs`` pairs of
consecutive frames of the project's videos (one random crop shared by both frames
of a pair, no augmentation) and penalises heat in one frame that the other frame
has nowhere within ``--window`` heatmap cells::

    L = mean(relu(H_b - maxpool_w(H_a))^2) + mean(relu(H_a - maxpool_w(H_b))^2)

over every keypoint and center channel of the DEKR heatmaps (clamped to [0, 1]),
added to the step's loss with ``--weights``. Peaks that flicker from frame to
frame (a distractor in one frame only, a keypoint missed in the next) cost; a
consistent prediction, right or wrong, does not. The extra forward and backward
pass is paid inside the budget: the timed epochs include it, so an arm with the
loss trains fewer epochs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy  # noqa: E402  (benchmarks/accuracy.py: projects, protocol, table)


class UnlabeledPairs:
    """Consecutive frame pairs of a project's videos, cropped and normalised like training images."""

    def __init__(self, videos: list[Path], pairs: int, crop: int, scale: float, max_frames: int, seed: int) -> None:
        import cv2

        from deeplabcut.pose_estimation_pytorch.config.make_config import crop_size_for_side
        from deeplabcut.pose_estimation_pytorch.data.normalization import IMAGENET
        from deeplabcut.video.reader import VideoReader

        self.frames: list[np.ndarray] = []  # per video: (T, H, W, 3) uint8, at the training scale
        for video in videos:
            reader = VideoReader(video)
            frames = []
            for frame in reader.iter_frames(0, min(reader.num_frames, max_frames)):
                if scale != 1.0:
                    size = (round(frame.shape[1] * scale), round(frame.shape[0] * scale))
                    frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
                frames.append(frame)
            self.frames.append(np.stack(frames))
        height, width = self.frames[0].shape[1:3]
        self.crop = min(crop, crop_size_for_side(min(height, width)))  # the training crop, fitting the frames
        self.pairs = pairs
        self.normalization = IMAGENET
        self.random = random.Random(seed)

    def batch(self) -> np.ndarray:
        """``(2 * pairs, 3, crop, crop)`` float32: frames t and t+1 of each pair, side by side."""
        images = []
        for _ in range(self.pairs):
            frames = self.random.choice(self.frames)
            t = self.random.randrange(len(frames) - 1)
            y = self.random.randrange(frames.shape[1] - self.crop + 1)
            x = self.random.randrange(frames.shape[2] - self.crop + 1)
            for frame in frames[t : t + 2]:
                images.append(self.normalization.normalize(frame[y : y + self.crop, x : x + self.crop]))
        return np.stack(images).transpose(0, 3, 1, 2)


def temporal_loss(heatmaps: Any, window: int) -> Any:
    """The loss above for heatmaps ``(2P, C, h, w)`` ordered (t, t+1) pair by pair."""
    import torch.nn.functional as F

    heat = heatmaps.float().clamp(0.0, 1.0)
    first, second = heat[0::2], heat[1::2]
    reach_first = F.max_pool2d(first, window, stride=1, padding=window // 2)
    reach_second = F.max_pool2d(second, window, stride=1, padding=window // 2)
    return (F.relu(second - reach_first) ** 2).mean() + (F.relu(first - reach_second) ** 2).mean()


class TemporalLoss:
    """Adds the weighted temporal loss to ``PoseModel.get_loss`` during training steps (patched)."""

    def __init__(self, weight: float, pairs: int, window: int) -> None:
        self.weight, self.pairs, self.window = weight, pairs, window
        self.config: Path | None = None
        self.source: UnlabeledPairs | None = None
        self.dtype: Any = None  # the run's autocast dtype (runner.mixed_precision), read once
        self.original = None

    def install(self) -> None:
        import torch

        from deeplabcut.pose_estimation_pytorch.models.model import PoseModel

        self.original = PoseModel.get_loss
        hook = self

        def get_loss(model: Any, outputs: Any, targets: Any) -> dict[str, Any]:
            losses = hook.original(model, outputs, targets)
            if hook.weight > 0 and model.training and torch.is_grad_enabled():
                extra = hook.loss(model)
                losses["temporal_loss"] = extra.detach()
                losses["total_loss"] = losses["total_loss"] + hook.weight * extra
            return losses

        PoseModel.get_loss = get_loss

    def uninstall(self) -> None:
        from deeplabcut.pose_estimation_pytorch.models.model import PoseModel

        PoseModel.get_loss = self.original

    def loss(self, model: Any) -> Any:
        import torch

        from deeplabcut.pose_estimation_pytorch.runtime.precision import autocast, autocast_dtype

        device = next(model.parameters()).device
        if self.source is None:
            self.source = self._pairs()
            precision = _pytorch_config(self.config).get("runner", {}).get("mixed_precision", "auto")
            self.dtype = autocast_dtype(precision, device)
        images = torch.from_numpy(self.source.batch()).to(device).contiguous(memory_format=torch.channels_last)
        with autocast(device, self.dtype):
            outputs = model(images)
        return temporal_loss(outputs["bodypart"]["heatmap"], self.window)

    def _pairs(self) -> UnlabeledPairs:
        import yaml

        project = Path(self.config).parent
        cfg = yaml.safe_load(Path(self.config).read_text())
        videos = [Path(path) for path in cfg.get("video_sets", {})]
        videos = [video if video.is_absolute() else project / video for video in videos]
        videos = [video for video in videos if video.is_file()] or sorted((project / "videos").glob("*.mp4"))
        if not videos and project.name == accuracy.OPENFIELD.name:  # accuracy.py's copy leaves the video out
            videos = sorted((accuracy.OPENFIELD / "videos").glob("*.mp4"))
        train = _pytorch_config(self.config)["data"]["train"]
        resize = train.get("resize")
        scale = 1.0
        if resize:  # e.g. the from-scratch downscale: frames at the size the model trains at
            from deeplabcut.video.reader import VideoReader

            scale = resize["width"] / VideoReader(videos[0]).frame_size[0]
        crop = int(train.get("crop_sampling", {}).get("width", 256))
        print(f"Unlabeled pairs from {[v.name for v in videos]}, scale {scale:.3f}, crop {crop}", flush=True)
        return UnlabeledPairs(videos, self.pairs, crop, scale, max_frames=600, seed=0)


def _pytorch_config(config: Path) -> dict[str, Any]:
    from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel

    return TrainedModel.resolve(config, 1, 0, "", select="none").shuffle.pytorch_config()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", nargs="+", default=["trio_k7_food"], choices=[*accuracy.PROJECTS, accuracy.OPENFIELD_NAME])
    parser.add_argument("--budget-min", type=float, default=10.0)
    parser.add_argument("--weights", nargs="+", type=float, default=[0.0, 1.0], help="0: the baseline")
    parser.add_argument("--pairs", type=int, default=2, help="frame pairs per training step")
    parser.add_argument("--window", type=int, default=3, help="heatmap cells a peak may move between frames")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--output", default="unlabeled-output")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    output = Path(args.output).resolve()
    rows = []
    for project in args.projects:
        for weight in args.weights:
            hook = TemporalLoss(weight, args.pairs, args.window)
            hook.install()
            original_run = accuracy.train

            def train(config: Any, *rest: Any, _hook: TemporalLoss = hook) -> dict[str, Any]:
                _hook.config = Path(config)
                return original_run(config, *rest)

            accuracy.train = train
            try:
                row = accuracy.run(project, "dekr_16", True, args.budget_min * 60, None, output / f"weight-{weight:g}")
            finally:
                accuracy.train = original_run
                hook.uninstall()
            row["recipe"] = f"temporal {weight:g}" if weight else "baseline"
            rows.append(row)
            print(json.dumps(accuracy._no_nan(row)), flush=True)
    setup = {"torch": torch.__version__, "threads": torch.get_num_threads(), "command": " ".join(sys.argv), **vars(args)}
    output.mkdir(parents=True, exist_ok=True)
    (output / "unlabeled.json").write_text(json.dumps({"setup": setup, "runs": accuracy._no_nan(rows)}, indent=2))
    table = accuracy.markdown(rows)
    (output / "unlabeled.md").write_text(table + "\n")
    print(f"\n{setup}\n\n{table}")


if __name__ == "__main__":
    main()
