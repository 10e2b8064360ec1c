"""Tiny top-down shuffles (TokenPose or top-down HRNet, plus the CenterDetector) on synthetic projects, for fast CPU tests.

``make_tiny_top_down_shuffle`` writes a synthetic project, creates shuffle 1
with a top-down net type through ``create_training_dataset``, then shrinks
both models (a width-8 HRNet with the tests' small layout, 48x64 crops, a
2-block transformer) so that a few epochs of detector and pose training run
in seconds.
"""

from __future__ import annotations

from pathlib import Path

from conftest import TINY_BACKBONE, TINY_LAYOUT
from deeplabcut.pose_estimation_pytorch.config.pose_config import read_pytorch_config, write_pytorch_config
from deeplabcut.pose_estimation_pytorch.config.templates import fill_placeholders, load_template
from deeplabcut.synthetic import create_synthetic_project
from deeplabcut.training_dataset.create import create_training_dataset

#: Crops of the tiny pose models: (width, height) = 4 x the TokenPose feature map (12 x 16).
TINY_CROP = {"width": 48, "height": 64}


def tiny_pose_model(net_type: str, num_bodyparts: int) -> dict:
    """The ``model`` section of ``net_type``'s template, shrunk for 48x64 crops."""
    if net_type.startswith("token_pose"):
        values = {"width": 8, "dim": 32, "heads": 4, "num_bodyparts": num_bodyparts, "max_individuals": 1, "crop_width": 48, "crop_height": 64}
        model = fill_placeholders(load_template("tokenpose")["model"], values)
        model["neck"].update(feature_size=[16, 12], patch_size=[2, 2], depth=2, mlp_ratio=2)
        model["heads"]["bodypart"]["heatmap_size"] = [16, 12]
        model["heads"]["bodypart"]["codec"]["pos_dist_thresh"] = 6  # sigma 4 px = 1 cell
    else:
        values = {"width": 8, "num_bodyparts": num_bodyparts}
        model = fill_placeholders(load_template("top_down_hrnet")["model"], values)
    model["backbone"].update(TINY_BACKBONE)
    return model


def make_tiny_top_down_shuffle(
    root: Path,
    multianimal: bool = True,
    net_type: str = "token_pose_w16",
    num_frames: int = 40,
    num_labeled_frames: int = 16,
    frame_size: tuple[int, int] = (96, 96),
    num_bodyparts: int = 3,
    epochs: int = 2,
    detector_epochs: int = 2,
) -> Path:
    """A synthetic project (2 animals or 1, 3 bodyparts) whose shuffle 1 is a tiny top-down model.

    Returns the config path. Both models train for the given epochs, validate
    and may save every epoch.
    """
    config = create_synthetic_project(
        root,
        multianimal=multianimal,
        num_individuals=2 if multianimal else 1,
        num_bodyparts=num_bodyparts,
        num_frames=num_frames,
        num_labeled_frames=num_labeled_frames,
        frame_size=frame_size,
        seed=3,
    )
    create_training_dataset(config, net_type=net_type)
    pose_config_path = next((Path(config).parent / "dlc-models-pytorch" / "iteration-0").iterdir()) / "train" / "pytorch_config.yaml"
    shrink_top_down_shuffle(pose_config_path, num_bodyparts, epochs, detector_epochs)
    return Path(config)


def shrink_top_down_shuffle(pose_config_path: Path, num_bodyparts: int, epochs: int = 2, detector_epochs: int = 2) -> None:
    """Rewrite a top-down shuffle's ``pytorch_config.yaml`` with tiny models (its net type's family) that train in seconds."""
    pose_cfg = read_pytorch_config(pose_config_path)
    # The family from the model itself: the file's net_type is DeepLabCut's name (animaltokenpose_base...)
    is_token_pose = (pose_cfg["model"].get("neck") or {}).get("type") == "TokenPoseTransformer"
    pose_cfg["model"] = tiny_pose_model("token_pose" if is_token_pose else pose_cfg["net_type"], num_bodyparts)
    for section in ("train", "inference"):
        pose_cfg["data"][section]["top_down_crop"] = dict(TINY_CROP)
    pose_cfg["data"]["train"].pop("motion_blur", None)
    pose_cfg["runner"]["optimizer"]["params"]["lr"] = 0.003
    pose_cfg["runner"]["scheduler"] = None
    pose_cfg["runner"].update(eval_interval=1)
    pose_cfg["runner"]["snapshots"].update(save_epochs=1)
    pose_cfg["train_settings"].update(batch_size=8, epochs=epochs)

    detector = pose_cfg["detector"]
    detector["model"].update(width=8, layout=dict(TINY_LAYOUT), head_channels=16, bbox_margin=8)
    detector["runner"]["optimizer"]["params"]["lr"] = 0.003
    detector["runner"]["scheduler"] = None
    detector["runner"].update(eval_interval=1)
    detector["runner"]["snapshots"].update(save_epochs=1)
    detector["train_settings"].update(batch_size=4, epochs=detector_epochs)
    write_pytorch_config(pose_config_path, pose_cfg)
