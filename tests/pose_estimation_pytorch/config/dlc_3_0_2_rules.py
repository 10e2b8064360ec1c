"""DeepLabCut 3.0.2's rules for ``pytorch_config.yaml``, recorded as facts (no DeepLabCut needed).

Read from DeepLabCut 3.0.2's ``deeplabcut/pose_estimation_pytorch/config/`` (``pose.py``,
``data.py``, ``model.py``, ``runner.py``, ``training.py``, ``inference.py``, ``metadata.py``,
``enums.py``) and ``deeplabcut/core/config/base_config.py``: every section is a pydantic model
with ``extra="forbid"``; a key not listed here is refused. Types are written as the Python
types a YAML value may load as (``int`` excludes ``bool``; pydantic v2 in lax mode takes an
integral float for an int, which we do not rely on). ``dict`` sections marked FREE are passed
to DeepLabCut's builders as keyword arguments instead.
"""

from __future__ import annotations

NONE = type(None)
FREE = "free mapping"

TRANSFORMS = {
    "resize": (dict, NONE),
    "longest_max_size": (int, dict, NONE),
    "hflip": (bool, float, dict, NONE),
    "affine": (dict, NONE),
    "random_bbox_transform": (dict, NONE),
    "crop_sampling": (dict, NONE),
    "hist_eq": (bool, dict, NONE),
    "motion_blur": (bool, dict, NONE),
    "covering": (bool, dict, NONE),
    "elastic_transform": (bool, dict, NONE),
    "grayscale": (bool, dict, NONE),
    "gaussian_noise": (bool, float, int, dict, NONE),
    "auto_padding": (dict, NONE),
    "normalize_images": (bool, dict, NONE),
    "scale_to_unit_range": (bool, dict, NONE),
    "top_down_crop": (dict, NONE),
    "collate": (dict, NONE),
}
RUNNER = {
    "type": (str,),
    "gpus": (object,),
    "device": (str,),
    "key_metric": (str,),
    "key_metric_asc": (bool,),
    "eval_interval": (int,),
    "optimizer": ({"type": (str,), "params": (dict, NONE)}, NONE),
    "scheduler": ({"type": (str,), "params": (dict, NONE)}, NONE),
    "snapshots": ({"max_snapshots": (int,), "save_epochs": (int,), "save_optimizer_state": (bool,)}, NONE),
    "snapshot_prefix": (str, NONE),
    "load_weights_only": (bool, NONE),
}
TRAIN_SETTINGS = {
    "batch_size": (int,),
    "dataloader_workers": (int,),
    "dataloader_pin_memory": (bool,),
    "display_iters": (int,),
    "epochs": (int,),
    "seed": (int,),
    "weight_init": (dict, NONE),
}
INFERENCE = {
    "multithreading": (dict,),
    "compile": (dict,),
    "autocast": (dict,),
    "conditions": (object,),
    "snapshot": (int, str, list, NONE),
    "eval": (
        {
            "mode": (str,),
            "pcutoff": (float, int, list, dict),
            "comparison_bodyparts": (str, list, NONE),
            "per_keypoint_evaluation": (bool,),
            "force_multi_animal": (bool,),
        },
    ),
    "output_dir": (str, NONE),
}
POSE_CONFIG = {
    "config_version": (int,),
    "model": (
        {
            "backbone": (FREE,),
            "heads": (FREE,),
            "backbone_output_channels": (int, NONE),
            "neck": (FREE, NONE),
            "pose_model": (dict, NONE),
        },
    ),
    "net_type": (str,),
    "method": (str,),
    "device": (str,),
    "metadata": (
        {
            "project_path": (str, NONE),
            "pose_config_path": (str, NONE),
            "bodyparts": (list,),
            "unique_bodyparts": (list,),
            "individuals": (list,),
            "with_identity": (bool, NONE),
        },
    ),
    "data": (
        {
            "bbox_margin": (int,),
            "colormode": (str,),
            "gen_sampling": (dict, NONE),
            "inference": (TRANSFORMS, NONE),
            "train": (TRANSFORMS, NONE),
            "loader": (dict, NONE),
        },
    ),
    "runner": (RUNNER,),
    "train_settings": (TRAIN_SETTINGS,),
    "inference": (INFERENCE,),
    "logger": (dict, NONE),
    "with_center_keypoints": (bool,),
    "detector": (
        {
            "model": (
                {
                    "type": (str,),
                    "freeze_bn_stats": (bool,),
                    "freeze_bn_weights": (bool,),
                    "variant": (str, NONE),
                    "box_score_thresh": (float, int, NONE),
                },
            ),
            "device": (str,),
            "data": ({"colormode": (str,), "inference": (TRANSFORMS, NONE), "train": (TRANSFORMS, NONE)}, NONE),
            "runner": (RUNNER, NONE),
            "train_settings": (TRAIN_SETTINGS, NONE),
            "inference": (INFERENCE,),
            "resume_training_from": (str, NONE),
        },
        NONE,
    ),
    "resume_training_from": (str, NONE),
}
#: Required top-level keys (no default in ``PoseConfig``).
REQUIRED = ("metadata", "data", "runner", "train_settings")
#: ``method`` values (``MethodType``).
METHODS = ("bu", "td", "ctd")
#: ``NetType`` values, and the backbones that also take a ``top_down_`` prefix (``NetType.from_alias``).
NET_TYPES = (
    "resnet_50", "resnet_101", "hrnet_w18", "hrnet_w32", "hrnet_w48", "cspnext_s", "cspnext_m", "cspnext_x",
    "dekr_w18", "dekr_w32", "dekr_w48", "ctd_coam_w32", "ctd_coam_w48", "ctd_coam_w48_human",
    "ctd_prenet_hrnet_w32", "ctd_prenet_hrnet_w48", "ctd_prenet_rtmpose_s", "ctd_prenet_rtmpose_m",
    "ctd_prenet_rtmpose_x", "ctd_prenet_rtmpose_x_human", "dlcrnet_stride16_ms5", "dlcrnet_stride32_ms5",
    "rtmpose_s", "rtmpose_m", "rtmpose_x", "animaltokenpose_base",
)
TOP_DOWN_BACKBONES = ("resnet_50", "resnet_101", "hrnet_w18", "hrnet_w32", "hrnet_w48", "cspnext_s", "cspnext_m", "cspnext_x")
#: Aliases ``NetType.from_alias`` accepts besides the values.
LEGACY_NET_TYPES = ("dlcrnet_ms5",)
#: Registered criterion (loss) names (``models/criterions``), and their constructor parameters.
CRITERIONS = {
    "DEKRHeatmapLoss": (),
    "DEKROffsetLoss": ("beta",),
    "WeightedMSECriterion": (),
    "WeightedHuberCriterion": (),
    "WeightedBCECriterion": (),
    "KLDiscreteLoss": None,  # RTMPose's; parameters not recorded
}
#: Keys a head's criterion entry may hold besides ``type`` and the parameters (used by the head).
CRITERION_KEYS = ("type", "weight")
#: Head keys DeepLabCut's heads take: DEKRHead and HeatmapHead (``models/heads``).
HEAD_KEYS = {
    "DEKRHead": ("type", "weight_init", "predictor", "target_generator", "criterion", "aggregator", "heatmap_config", "offset_config", "stride"),
    "HeatmapHead": ("type", "weight_init", "predictor", "target_generator", "criterion", "aggregator", "heatmap_config", "locref_config", "stride"),
}


def net_type_accepted(name: str) -> bool:
    """Whether ``PoseConfig`` accepts ``net_type: name``."""
    if name in LEGACY_NET_TYPES or name in NET_TYPES:
        return True
    return name.startswith("top_down_") and name.removeprefix("top_down_") in TOP_DOWN_BACKBONES


def violations(value, rule, path: str = "") -> list[str]:
    """Every way ``value`` breaks ``rule`` (a dict of key -> allowed types/sub-rules), as messages."""
    if not isinstance(value, dict):
        return [f"{path or '(top)'}: expected a mapping, got {value!r}"]
    problems = []
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        if key not in rule:
            problems.append(f"{where}: key not allowed by DeepLabCut 3.0.2")
            continue
        options = rule[key]
        if _fits(item, options, where, problems):
            continue
        problems.append(f"{where}: {item!r} is not one of {options}")
    return problems


def _fits(item, options, where: str, problems: list[str]) -> bool:
    for option in options:
        if option is object:
            return True
        if option == FREE and isinstance(item, dict):
            return True
        if isinstance(option, dict) and isinstance(item, dict):
            problems.extend(violations(item, option, where))
            return True
        if isinstance(option, type):
            if option is int and isinstance(item, bool):
                continue
            if option is float and isinstance(item, int) and not isinstance(item, bool):
                return True
            if isinstance(item, option):
                return True
    return False
