"""``pytorch_config.yaml`` as DeepLabCut 3 reads it, plus our settings in a file beside it.

DeepLabCut 3 validates ``pytorch_config.yaml`` with a pydantic schema that
forbids unknown keys in every section (``extra="forbid"``) and has no section
it ignores; its free-form mappings (``model.backbone``, ``model.heads.*``,
optimizer parameters) are passed to constructors as keyword arguments, so an
unknown key fails there instead. Our settings that DeepLabCut has no key for
therefore live in a file of our own next to it,
:data:`~deeplabcut.project.paths.POSE_CONFIG_EXTRAS_NAME`
(``pytorch_config_extras.yaml``), with the same key paths. DeepLabCut never
opens it.

Writing (:func:`split_for_deeplabcut`): our in-memory config becomes the
DeepLabCut file and the extras. Heads are translated: a ``codec`` becomes
DeepLabCut's ``target_generator`` + ``predictor`` (the keys it has twins for),
the rest of the codec goes to the extras; losses with a DeepLabCut twin take its
name (``WeightedMSELoss`` with ``normalize_by: elements`` is its
``DEKRHeatmapLoss``...). ``net_type`` is written as a DeepLabCut ``NetType``
(:data:`DLC_NET_TYPES`); ours is kept in the extras for the record, and the
file's name is the one read back (scorer names follow it, as DeepLabCut's do).

Reading (:func:`merge_from_deeplabcut`): the extras are merged back over the
file, and a file DeepLabCut wrote (``target_generator``/``predictor``, no
extras) gets codecs built from those sections. Files of our older layout (all
settings in ``pytorch_config.yaml``) pass unchanged.
"""

from __future__ import annotations

import copy
from typing import Any


#: Our net types -> the DeepLabCut 3 ``NetType`` written in files it reads.
#: ``dekr_16`` has no DeepLabCut twin (DeepLabCut's smallest DEKR is w18): it is
#: written as ``dekr_w18`` so that DeepLabCut's tools can name the scorer; the
#: ``model`` section still says ``hrnet_w16`` and the extras keep ``dekr_16``, the
#: name used in memory and in messages. Scorer and export names use the DeepLabCut name.
#: DeepLabCut's only TokenPose is ``animaltokenpose_base`` (inference only there).
DLC_NET_TYPES = {
    "dekr_16": "dekr_w18",
    "dekr_32": "dekr_w32",
    "dekr_48": "dekr_w48",
    "dekr_w18": "dekr_w18",
    "dekr_w32": "dekr_w32",
    "dekr_w48": "dekr_w48",
    "token_pose_w16": "animaltokenpose_base",
    "token_pose_w32": "animaltokenpose_base",
    "token_pose_w48": "animaltokenpose_base",
    "top_down_hrnet_w18": "top_down_hrnet_w18",
    "top_down_hrnet_w32": "top_down_hrnet_w32",
    "top_down_hrnet_w48": "top_down_hrnet_w48",
}

#: Keys DeepLabCut 3.0's schema allows, per section (the sections it forbids unknown keys in).
#: ``None``: a free mapping. Sections not listed under a key are left as they are.
DLC_SECTION_KEYS: dict[tuple[str, ...], frozenset[str]] = {
    (): frozenset(
        {
            "config_version", "model", "net_type", "method", "device", "metadata", "data", "runner",
            "train_settings", "inference", "logger", "with_center_keypoints", "detector", "resume_training_from",
        }
    ),
    ("metadata",): frozenset({"project_path", "pose_config_path", "bodyparts", "unique_bodyparts", "individuals", "with_identity"}),
    ("data",): frozenset({"bbox_margin", "colormode", "gen_sampling", "inference", "train", "loader"}),
    ("model",): frozenset({"backbone", "heads", "backbone_output_channels", "neck", "pose_model"}),
    ("runner",): frozenset(
        {
            "type", "gpus", "device", "key_metric", "key_metric_asc", "eval_interval", "optimizer", "scheduler",
            "snapshots", "snapshot_prefix", "load_weights_only",
        }
    ),
    ("runner", "snapshots"): frozenset({"max_snapshots", "save_epochs", "save_optimizer_state"}),
    ("runner", "optimizer"): frozenset({"type", "params"}),
    ("runner", "scheduler"): frozenset({"type", "params"}),
    ("train_settings",): frozenset(
        {"batch_size", "dataloader_workers", "dataloader_pin_memory", "display_iters", "epochs", "seed", "weight_init"}
    ),
    ("inference",): frozenset({"multithreading", "compile", "autocast", "conditions", "snapshot", "eval", "output_dir"}),
    ("inference", "eval"): frozenset({"mode", "pcutoff", "comparison_bodyparts", "per_keypoint_evaluation", "force_multi_animal"}),
    ("detector",): frozenset({"model", "device", "data", "runner", "train_settings", "inference", "resume_training_from"}),
    ("detector", "model"): frozenset({"type", "freeze_bn_stats", "freeze_bn_weights", "variant", "box_score_thresh"}),
    ("detector", "data"): frozenset({"colormode", "inference", "train"}),
}
_TRANSFORM_KEYS = frozenset(
    {
        "resize", "longest_max_size", "hflip", "affine", "random_bbox_transform", "crop_sampling", "hist_eq",
        "motion_blur", "covering", "elastic_transform", "grayscale", "gaussian_noise", "auto_padding",
        "normalize_images", "scale_to_unit_range", "top_down_crop", "collate",
    }
)
for _prefix in ((), ("detector",)):
    for _section in ("train", "inference"):
        DLC_SECTION_KEYS[(*_prefix, "data", _section)] = _TRANSFORM_KEYS
    DLC_SECTION_KEYS[(*_prefix, "runner")] = DLC_SECTION_KEYS[("runner",)]
    DLC_SECTION_KEYS[(*_prefix, "runner", "snapshots")] = DLC_SECTION_KEYS[("runner", "snapshots")]
    DLC_SECTION_KEYS[(*_prefix, "train_settings")] = DLC_SECTION_KEYS[("train_settings",)]
    DLC_SECTION_KEYS[(*_prefix, "inference")] = DLC_SECTION_KEYS[("inference",)]
    DLC_SECTION_KEYS[(*_prefix, "inference", "eval")] = DLC_SECTION_KEYS[("inference", "eval")]

#: Written to ``train_settings.dataloader_workers`` (an integer there) when ours is ``auto``;
#: the extras' ``auto`` applies while the file still holds this value.
AUTO_WORKERS_PLACEHOLDER = 0

# Codec <-> DeepLabCut target generator + predictor: (our codec key, DLC section, DLC key), then the values
# written for DeepLabCut where the codec has none: our codec's defaults (HeatmapCodec masks channels without
# a visible keypoint, at weight 0). Our templates state them, so that a file reads back as it was written.
_CODEC_TWINS: dict[str, tuple[str, str, list[tuple[str, str, str]], dict[str, dict[str, Any]]]] = {
    "DEKRCodec": (
        "DEKRGenerator",
        "DEKRPredictor",
        [
            ("num_bodyparts", "target_generator", "num_joints"),
            ("pos_dist_thresh", "target_generator", "pos_dist_thresh"),
            ("bg_weight", "target_generator", "bg_weight"),
            ("max_individuals", "predictor", "num_animals"),
            ("detection_threshold", "predictor", "detection_threshold"),
            ("keypoint_score_type", "predictor", "keypoint_score_type"),
            ("apply_sigmoid", "predictor", "apply_sigmoid"),
            ("clip_scores", "predictor", "clip_scores"),
            ("apply_pose_nms", "predictor", "apply_pose_nms"),
            ("nms_threshold", "predictor", "nms_threshold"),
        ],
        {"predictor": {"use_heatmap": False, "max_absorb_distance": 75}},
    ),
    "HeatmapCodec": (
        "HeatmapGaussianGenerator",
        "HeatmapPredictor",
        [
            ("num_heatmaps", "target_generator", "num_heatmaps"),
            ("pos_dist_thresh", "target_generator", "pos_dist_thresh"),
            ("generate_locref", "target_generator", "generate_locref"),
            ("locref_std", "target_generator", "locref_std"),
            ("location_refinement", "predictor", "location_refinement"),
            ("locref_std", "predictor", "locref_std"),
            ("apply_sigmoid", "predictor", "apply_sigmoid"),
            ("clip_scores", "predictor", "clip_scores"),
            ("gradient_masking", "target_generator", "gradient_masking"),
            ("background_weight", "target_generator", "background_weight"),
        ],
        {"target_generator": {"heatmap_mode": "KEYPOINT", "gradient_masking": True, "background_weight": 0.0}},
    ),
}
_PREDICTOR_CODECS = {predictor: codec for codec, (_, predictor, _, _) in _CODEC_TWINS.items()}
#: DeepLabCut's own defaults for twin keys whose default differs from our codec's: what a file that
#: leaves them out means to DeepLabCut (its HeatmapGaussianGenerator trains absent keypoints as background).
_DLC_GENERATOR_DEFAULTS = {"HeatmapCodec": {"gradient_masking": False, "background_weight": 0.1}}

# Our loss (type, parameters) <-> DeepLabCut's criterion name (which takes only these parameters).
#: (our type, the parameters that must hold, DeepLabCut's name, parameters passed on, what reading writes back).
_LOSS_TWINS: list[tuple[str, dict[str, Any], str, tuple[str, ...], dict[str, Any]]] = [
    ("WeightedMSELoss", {"normalize_by": "elements", "positive_weight": 0.0}, "DEKRHeatmapLoss", (), {"normalize_by": "elements"}),
    ("WeightedSmoothL1Loss", {"normalize_by": "positive_weights"}, "DEKROffsetLoss", ("beta",), {"normalize_by": "positive_weights"}),
    (
        "WeightedMSELoss", {"normalize_by": "positive_weights", "positive_weight": 0.0}, "WeightedMSECriterion", (),
        {"normalize_by": "positive_weights"},
    ),
    (
        "WeightedHuberLoss", {"normalize_by": "positive_weights", "delta": 1.0}, "WeightedHuberCriterion", (),
        {"delta": 1.0, "normalize_by": "positive_weights"},
    ),
]
_LOSS_DEFAULTS = {
    "WeightedMSELoss": {"normalize_by": "elements", "positive_weight": 0.0},
    "WeightedSmoothL1Loss": {"normalize_by": "positive_weights", "beta": 1.0 / 9.0},
    "WeightedHuberLoss": {"normalize_by": "positive_weights", "delta": 1.0},
}


def dlc_net_type(net_type: str) -> str:
    """The DeepLabCut 3 ``NetType`` name written for our ``net_type`` (unknown names pass unchanged)."""
    return DLC_NET_TYPES.get(net_type, net_type)


def split_for_deeplabcut(cfg: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(pytorch_config.yaml content DeepLabCut 3 accepts, our extras)`` from an in-memory config."""
    main = copy.deepcopy(cfg)
    extras: dict[str, Any] = {}

    net_type = main.get("net_type")
    if isinstance(net_type, str) and dlc_net_type(net_type) != net_type:
        main["net_type"] = dlc_net_type(net_type)
        extras["net_type"] = net_type

    heads = _get(main, ("model", "heads"))
    if isinstance(heads, dict) and any(isinstance(head, dict) and head.get("type") == "DEKRHead" for head in heads.values()):
        main.setdefault("with_center_keypoints", True)  # DeepLabCut's DEKR trains on the animals' centres too
    if isinstance(heads, dict):
        for name, head in heads.items():
            if isinstance(head, dict):
                head_extras = _head_to_dlc(head)
                if head_extras:
                    _put(extras, ("model", "heads", name), head_extras)

    for prefix in ((), ("detector",)):
        settings = _get(main, (*prefix, "train_settings"))
        if isinstance(settings, dict) and settings.get("dataloader_workers") == "auto":
            settings["dataloader_workers"] = AUTO_WORKERS_PLACEHOLDER
            _put(extras, (*prefix, "train_settings"), {"dataloader_workers": "auto"})

    for path in sorted(DLC_SECTION_KEYS, key=len, reverse=True):
        section = _get(main, path)
        if not isinstance(section, dict):
            continue
        for key in [key for key in section if key not in DLC_SECTION_KEYS[path]]:
            _put(extras, path, {key: section.pop(key)})
    return main, extras


def merge_from_deeplabcut(main: dict[str, Any], extras: dict[str, Any] | None) -> dict[str, Any]:
    """Our in-memory config from a ``pytorch_config.yaml`` (ours or DeepLabCut's) and our extras (or None).

    Where both files hold a key, ``pytorch_config.yaml`` wins (it is the file people edit), except
    ``train_settings.dataloader_workers``: the extras' ``auto`` stands while the file still holds
    :data:`AUTO_WORKERS_PLACEHOLDER`.
    """
    cfg = copy.deepcopy(main)
    cfg.pop("with_center_keypoints", None)  # DeepLabCut's flag for DEKR; ours follows from the head (written back)
    extras = copy.deepcopy(extras) if isinstance(extras, dict) else {}
    # Our name (dekr_16...) is the one in use while the file still says its DeepLabCut twin; a file
    # edited to another net type wins. Names DeepLabCut sees (scorers) use dlc_net_type() of it.
    ours = extras.pop("net_type", None)
    if isinstance(ours, str) and dlc_net_type(ours) == cfg.get("net_type"):
        cfg["net_type"] = ours
    auto_workers = []
    for prefix in ((), ("detector",)):
        path = (*prefix, "train_settings", "dataloader_workers")
        if _get(extras, path) == "auto" and _get(cfg, path) in (None, AUTO_WORKERS_PLACEHOLDER):
            auto_workers.append(path)
    if isinstance(cfg, dict):
        _fill_in(cfg, extras)
    for path in auto_workers:
        _put(cfg, path[:-1], {path[-1]: "auto"})
    heads = _get(cfg, ("model", "heads"))
    if isinstance(heads, dict):
        for head in heads.values():
            if isinstance(head, dict):
                _head_from_dlc(head)
    return cfg


def _head_to_dlc(head: dict[str, Any]) -> dict[str, Any]:
    """Translate one head in place; return the settings DeepLabCut has no key for."""
    extras: dict[str, Any] = {}
    codec = head.get("codec")
    if isinstance(codec, dict) and codec.get("type") in _CODEC_TWINS:
        generator_type, predictor_type, twins, dlc_defaults = _CODEC_TWINS[codec["type"]]
        sections: dict[str, dict[str, Any]] = {
            "target_generator": {"type": generator_type}, "predictor": {"type": predictor_type},
        }
        for section, values in dlc_defaults.items():
            sections[section].update(values)
        twinned = set()
        for ours, section, theirs in twins:
            if ours in codec:
                sections[section][theirs] = copy.deepcopy(codec[ours])
                twinned.add(ours)
        rest = {key: value for key, value in codec.items() if key not in twinned and key != "type"}
        del head["codec"]
        if "label_keypoint_key" in head:  # DeepLabCut: which keypoints the targets are made from
            sections["target_generator"]["label_keypoint_key"] = head.pop("label_keypoint_key")
        head.update(sections)
        if rest:
            extras["codec"] = rest
    criterion = head.get("criterion")
    if isinstance(criterion, dict):
        if "type" in criterion:
            head["criterion"] = _loss_to_dlc(criterion)
        else:
            head["criterion"] = {name: _loss_to_dlc(loss) if isinstance(loss, dict) else loss for name, loss in criterion.items()}
    return extras


def _loss_to_dlc(loss: dict[str, Any]) -> dict[str, Any]:
    kind = loss.get("type")
    params = {key: value for key, value in loss.items() if key not in ("type", "weight")}
    full = {**_LOSS_DEFAULTS.get(kind, {}), **params}
    for ours, fixed, theirs, passed, _ in _LOSS_TWINS:
        if kind != ours:
            continue
        if all(full.get(key) == value for key, value in fixed.items()) and set(full) <= set(fixed) | set(passed):
            translated = {"type": theirs}
            translated.update({key: full[key] for key in passed if key in params})
            if "weight" in loss:
                translated["weight"] = loss["weight"]
            return translated
    return copy.deepcopy(loss)


def _loss_from_dlc(loss: dict[str, Any]) -> dict[str, Any]:
    """DeepLabCut's criterion names as our losses (our registry knows its names too; this keeps one spelling)."""
    for ours, _, theirs, passed, written in _LOSS_TWINS:
        if loss.get("type") == theirs and set(loss) <= {"type", "weight", *passed}:
            params = {key: value for key, value in loss.items() if key not in ("type", "weight")}
            translated = {"type": ours, **written, **params}
            if "weight" in loss:
                translated["weight"] = loss["weight"]
            return translated
    return loss


def _head_from_dlc(head: dict[str, Any]) -> None:
    """Give a head in DeepLabCut's layout (``target_generator`` + ``predictor``, its loss names) ours, in place."""
    criterion = head.get("criterion")
    if isinstance(criterion, dict):
        if "type" in criterion:
            head["criterion"] = _loss_from_dlc(criterion)
        else:
            head["criterion"] = {name: _loss_from_dlc(loss) if isinstance(loss, dict) else loss for name, loss in criterion.items()}
    generator = head.pop("target_generator", None)
    predictor = head.pop("predictor", None)
    if generator is None and predictor is None:
        return
    derived = codec_from_deeplabcut(generator, predictor)
    if derived is None:
        # keep DeepLabCut's sections: the head builder then names what it cannot build
        head["target_generator"], head["predictor"] = generator, predictor
        return
    if isinstance(generator, dict) and "label_keypoint_key" in generator:
        head["label_keypoint_key"] = generator["label_keypoint_key"]
    codec = dict(head.get("codec") or {})
    head["codec"] = {**derived, **{key: value for key, value in codec.items() if key not in derived}}


def codec_from_deeplabcut(target_generator: Any, predictor: Any) -> dict[str, Any] | None:
    """Our codec section (``{"type": "DEKRCodec", ...}``) from DeepLabCut 3's ``target_generator`` + ``predictor``.

    The one translation of these sections: used when reading a file, and by the
    heads when a config in DeepLabCut's layout is built directly. Keys without a
    twin keep the codec's defaults; twin keys the generator leaves out take
    DeepLabCut's defaults where they differ from ours (:data:`_DLC_GENERATOR_DEFAULTS`).
    None when the predictor is not one we have.
    """
    kind = _PREDICTOR_CODECS.get((predictor or {}).get("type") if isinstance(predictor, dict) else None)
    if kind is None:
        return None
    _, _, twins, _ = _CODEC_TWINS[kind]
    sections = {
        "target_generator": target_generator if isinstance(target_generator, dict) else {},
        "predictor": predictor,
    }
    derived: dict[str, Any] = {"type": kind}
    for ours, section, theirs in twins:
        if theirs in sections[section] and ours not in derived:
            derived[ours] = copy.deepcopy(sections[section][theirs])
    if isinstance(target_generator, dict):
        for key, value in _DLC_GENERATOR_DEFAULTS.get(kind, {}).items():
            derived.setdefault(key, value)
    return derived


def _fill_in(target: dict[str, Any], extras: dict[str, Any]) -> None:
    """Add the keys of ``extras`` that ``target`` lacks, recursively, in place (``target`` wins and keeps its order)."""
    for key, value in extras.items():
        if key not in target:
            target[key] = value
        elif isinstance(target[key], dict) and isinstance(value, dict):
            _fill_in(target[key], value)


def _get(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _put(data: dict[str, Any], path: tuple[str, ...], values: dict[str, Any]) -> None:
    for part in path:
        data = data.setdefault(part, {})
    data.update(values)
