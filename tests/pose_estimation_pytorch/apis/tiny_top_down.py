"""A synthetic project with a top-down shuffle (TokenPose + CenterDetector), shrunk to run in seconds on a CPU.

The models are built from the shuffle's own ``pytorch_config.yaml`` (written by
``create_training_dataset(net_type="token_pose_w16")``, with its model sections
made small) and saved untrained with the runtime's checkpoint helper as
``snapshot-005.pt`` and ``snapshot-detector-010.pt``, the names training writes.
"""

from __future__ import annotations

from pathlib import Path

import torch

from conftest import TINY_LAYOUT
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config, write_pytorch_config
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.models.detectors import build_detector
from deeplabcut.pose_estimation_pytorch.runtime import save_checkpoint
from deeplabcut.synthetic import create_synthetic_project
from deeplabcut.training_dataset.create import create_training_dataset

#: A thin HRNet (one module per stage, one block per branch).
TINY_HRNET = TINY_LAYOUT
#: Crops of 48x64 pixels: 12x16 features and heatmaps at stride 4, 3x4 patches of 4x4 cells.
CROP = {"width": 48, "height": 64}
POSE_EPOCH, DETECTOR_EPOCH = 5, 10


def shrink_top_down_config(pose_cfg: dict) -> dict:
    """``pose_cfg`` with a tiny TokenPose (1 transformer block, 32-d tokens) and a tiny detector."""
    model = pose_cfg["model"]
    model["backbone"].update(TINY_HRNET)
    model["neck"].update(feature_size=[16, 12], patch_size=[4, 4], dim=32, heads=2, depth=1)
    model["heads"]["bodypart"].update(dim=32, heatmap_size=[16, 12])
    for section in ("train", "inference"):
        pose_cfg["data"][section]["top_down_crop"] = dict(CROP)
    detector = pose_cfg["detector"]["model"]
    detector.update(width=8, head_channels=16, layout={key: TINY_HRNET[key] for key in ("stem_width", "stem_channels", "layer1_channels")})
    return pose_cfg


def make_tiny_top_down_shuffle(
    root: Path,
    multianimal: bool = True,
    num_frames: int = 30,
    num_labeled_frames: int = 8,
    frame_size: tuple[int, int] = (96, 128),
    seed: int = 0,
) -> Path:
    """A synthetic project (3 animals, or 1) with shuffle 1 of net type ``token_pose_w16`` and saved snapshots.

    Returns the config path.
    """
    config = Path(
        create_synthetic_project(
            root,
            multianimal=multianimal,
            num_individuals=3 if multianimal else 1,
            num_bodyparts=4,
            num_frames=num_frames,
            num_labeled_frames=num_labeled_frames,
            frame_size=frame_size,
            seed=seed,
        )
    )
    create_training_dataset(config, net_type="token_pose_w16")
    project = ShuffleData(config)
    path = project.train_folder / "pytorch_config.yaml"
    pose_cfg = shrink_top_down_config(read_pytorch_config(path))
    write_pytorch_config(path, pose_cfg)

    torch.manual_seed(seed)
    model = PoseModel.build(pose_cfg["model"])
    detector = build_detector(pose_cfg["detector"]["model"])
    save_checkpoint(project.train_folder / f"snapshot-{POSE_EPOCH:03d}.pt", {"model": model.state_dict(), "metadata": {"epoch": POSE_EPOCH}})
    save_checkpoint(
        project.train_folder / f"snapshot-detector-{DETECTOR_EPOCH:03d}.pt",
        {"model": detector.state_dict(), "metadata": {"epoch": DETECTOR_EPOCH}},
    )
    return config
