"""``create_training_dataset``: merged labels, train/test splits and model folders."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from deeplabcut.errors import ConfigError, LabelError, ShuffleExistsError
from deeplabcut.formats.collected_data import (
    image_relative_paths,
    labels_to_arrays,
    read_collected_data,
    write_collected_data,
)
from deeplabcut.formats.inference_cfg import inference_cfg_for_project, write_inference_cfg
from deeplabcut.formats.training_data import write_documentation, write_training_data_file
from deeplabcut.pose_estimation_pytorch.config.make_config import (
    available_net_types,
    make_pytorch_config,
)
from deeplabcut.pose_estimation_pytorch.config.dlc_layout import dlc_net_type
from deeplabcut.pose_estimation_pytorch.config.pose_config import write_pytorch_config
from deeplabcut.pose_estimation_pytorch.config.templates import load_template
from deeplabcut.project.config import (
    get_bodyparts,
    get_individuals,
    get_unique_bodyparts,
    is_multianimal,
    read_config,
    write_config,
)
from deeplabcut.project.paths import (
    POSE_CONFIG_NAME,
    collected_data_filename,
    data_and_documentation_filenames,
    inference_cfg_path,
    model_folder,
    training_set_folder,
)
from deeplabcut.training_dataset.merge import MergedLabels, merge_labeled_data
from deeplabcut.training_dataset.splits import (
    check_given_indices,
    existing_shuffles,
    split_indices,
    training_entries,
    update_metadata,
)
from deeplabcut.utils.yaml_io import write_yaml

DEFAULT_NET_TYPE = "dekr_32"
TENSORFLOW_ONLY_ENGINES = {"tensorflow", "tf"}

Split = tuple[float, int, tuple[np.ndarray, np.ndarray]]


def create_training_dataset(
    config: str | Path,
    num_shuffles: int = 1,
    Shuffles: list[int] | None = None,
    windows2linux: bool = False,
    userfeedback: bool = False,
    trainIndices: list | None = None,
    testIndices: list | None = None,
    net_type: str | None = None,
    detector_type: str | None = None,
    augmenter_type: str | None = None,
    posecfg_template: str | None = None,
    superanimal_name: str = "",
    weight_init: Any = None,
    engine: str | None = None,
    ctd_conditions: Any = None,
    overwrite: bool = False,
) -> list[Split]:
    """Create training-dataset shuffles and their PyTorch model folders.

    Labels of every video in ``video_sets`` are checked and merged into
    ``training-datasets/iteration-<N>/UnaugmentedDataSet_<Task><date>/``; each
    shuffle and training fraction gets a split (seeded by the shuffle index, so
    re-creating it gives the same split), DeepLabCut's documentation and data
    files, an entry in ``metadata.yaml``, and a model folder
    ``dlc-models-pytorch/iteration-<N>/<Task><date>-trainset<P>shuffle<k>/``
    with ``train/pytorch_config.yaml`` and ``test/pose_cfg.yaml`` (plus
    ``test/inference_cfg.yaml`` for multi-animal projects).

    Everything is checked before anything is written: names in config.yaml
    that cannot be file names, unreadable or empty labels, a missing or
    undecodable image, a training split without a labeled image, an unknown
    ``net_type`` or an existing shuffle leave the disk as it was.

    Args:
        config: path to the project's ``config.yaml``.
        num_shuffles: how many new shuffles to create; they get the indices
            after the highest existing one (1, 2, ... in a new project).
        Shuffles: explicit shuffle indices instead of ``num_shuffles``.
        trainIndices, testIndices: explicit splits, one list of row indices
            (into the sorted merged labels) per shuffle.
        net_type: one of :func:`available_net_types` (``dekr_16``, ``dekr_32``,
            ``dekr_48``, ``token_pose_w16``, ...); defaults to config.yaml's
            ``default_net_type`` when that is one of them, else ``dekr_32``.
        overwrite: replace shuffles that already exist (their old model folder
            is kept, renamed with a ``-backup-<time>`` suffix).
        windows2linux, userfeedback, detector_type, augmenter_type,
            posecfg_template, superanimal_name, weight_init, ctd_conditions:
            accepted for compatibility with DeepLabCut's signature; the ones
            that would change the result raise if set.

    Returns:
        ``[(train_fraction, shuffle, (train_indices, test_indices)), ...]``.
    """
    _reject_unsupported(engine, detector_type, augmenter_type, posecfg_template, superanimal_name, weight_init, ctd_conditions)
    config_path = Path(config).resolve()
    cfg = read_config(config_path)
    project_path = Path(cfg["project_path"])
    net_type = _resolve_net_type(net_type, cfg)
    make_pytorch_config(cfg, net_type, "")  # raises early for unknown / incompatible net types

    merged = merge_labeled_data(cfg)
    num_images = len(merged.dataframe)
    shuffles = _shuffle_indices(project_path, cfg, num_shuffles, Shuffles, trainIndices, overwrite)
    fractions = [float(f) for f in cfg["TrainingFraction"]]
    if trainIndices is not None:
        given = check_given_indices(trainIndices, testIndices or [], num_images, len(shuffles))
        plan = [(fraction, shuffle, (train, test)) for shuffle, (fraction, train, test) in zip(shuffles, given)]
    else:
        plan = [(fraction, shuffle, split_indices(num_images, fraction, seed=shuffle)) for shuffle in shuffles for fraction in fractions]
    _check_merged_labels_unchanged(project_path, cfg, merged, shuffles)
    arrays = labels_to_arrays(
        merged.dataframe,
        get_bodyparts(cfg),
        get_individuals(cfg) if is_multianimal(cfg) else None,
        get_unique_bodyparts(cfg),
    )
    entries_of_plan = []
    for fraction, shuffle, (train, _) in plan:
        entries = training_entries(
            arrays.keypoints, arrays.unique_keypoints, arrays.image_paths, merged.image_sizes, train, is_multianimal(cfg)
        )
        if not entries:
            raise LabelError(
                f"Shuffle {shuffle} (TrainingFraction {fraction}) would train on {len(train)} image(s) none of "
                f"which has a labeled point, out of {num_images} labeled image(s) in total. Label more frames, "
                "raise TrainingFraction in config.yaml, or pass trainIndices that include labeled images."
            )
        entries_of_plan.append(entries)

    # Everything is checked; write.
    new_fractions = [fraction for fraction, _, _ in plan if fraction not in fractions]
    if new_fractions:
        cfg["TrainingFraction"] = fractions + sorted(set(new_fractions))
        write_config(config_path, cfg)
    dataset_folder = project_path / training_set_folder(cfg)
    dataset_folder.mkdir(parents=True, exist_ok=True)
    write_collected_data(merged.dataframe, dataset_folder / collected_data_filename(cfg["scorer"]))

    for (fraction, shuffle, (train, test)), entries in zip(plan, entries_of_plan):
        data_file, documentation = data_and_documentation_filenames(cfg, fraction, shuffle)
        write_documentation(project_path / documentation, entries, train, test, fraction)
        write_training_data_file(project_path / data_file, entries, is_multianimal(cfg))
        update_metadata(project_path, cfg, shuffle, fraction, train, test)
        _write_model_folder(project_path, cfg, fraction, shuffle, net_type, overwrite)
    return [(fraction, shuffle, (train, test)) for fraction, shuffle, (train, test) in plan]


def _reject_unsupported(engine, detector_type, augmenter_type, posecfg_template, superanimal_name, weight_init, ctd_conditions) -> None:
    if engine is not None and str(getattr(engine, "value", engine)).lower() in TENSORFLOW_ONLY_ENGINES:
        raise ConfigError("This package has only the PyTorch engine; call create_training_dataset without engine='tensorflow'.")
    unsupported = {
        "detector_type": detector_type,
        "posecfg_template": posecfg_template,
        "superanimal_name": superanimal_name,
        "weight_init": weight_init,
        "ctd_conditions": ctd_conditions,
    }
    given = [name for name, value in unsupported.items() if value not in (None, "")]
    if given:
        raise ConfigError(
            f"create_training_dataset argument(s) {given} are not supported by this package. "
            "Remove them; edit train/pytorch_config.yaml after creation to customise the model."
        )
    if augmenter_type not in (None, "albumentations", "default"):
        raise ConfigError(f"augmenter_type '{augmenter_type}' is not available; augmentation uses albumentations.")


def _resolve_net_type(net_type: str | None, cfg: dict[str, Any]) -> str:
    if net_type is not None:
        return net_type
    default = cfg.get("default_net_type")
    if default in available_net_types():
        return str(default)
    warnings.warn(
        f"config.yaml's default_net_type '{default}' is not available in this package; using "
        f"'{DEFAULT_NET_TYPE}'. Pass net_type=... to choose (one of {available_net_types()}).",
        stacklevel=3,
    )
    return DEFAULT_NET_TYPE


def _shuffle_indices(
    project_path: Path,
    cfg: dict[str, Any],
    num_shuffles: int,
    shuffles: list[int] | None,
    train_indices: list | None,
    overwrite: bool,
) -> list[int]:
    existing = existing_shuffles(project_path, cfg)
    if shuffles is None:
        if train_indices is not None and len(train_indices) and not np.isscalar(train_indices[0]):
            num_shuffles = len(train_indices)
        start = max(existing, default=0) + 1
        return list(range(start, start + num_shuffles))
    shuffles = [int(s) for s in shuffles]
    if any(s < 0 for s in shuffles):
        raise ConfigError(f"Shuffle indices must be non-negative integers, not {shuffles}.")
    clash = sorted(set(shuffles) & set(existing))
    if clash and not overwrite:
        raise ShuffleExistsError(
            f"Shuffle(s) {clash} already exist in '{project_path / training_set_folder(cfg)}'. "
            "Pick new indices (or leave Shuffles unset to get the next free ones), or pass "
            "overwrite=True to replace them (their model folders are kept as backups)."
        )
    return shuffles


def _check_merged_labels_unchanged(
    project_path: Path, cfg: dict[str, Any], merged: MergedLabels, shuffles: list[int]
) -> None:
    """Refuse to rewrite the merged labels under shuffles whose indices point into them."""
    others = sorted(set(existing_shuffles(project_path, cfg)) - set(shuffles))
    merged_file = project_path / training_set_folder(cfg) / collected_data_filename(cfg["scorer"])
    if not others or not merged_file.is_file():
        return
    previous = image_relative_paths(read_collected_data(merged_file).index)
    same_rows = previous == image_relative_paths(merged.dataframe.index)
    if not same_rows:
        raise ConfigError(
            f"The labeled images changed since shuffle(s) {others} of iteration {cfg['iteration']} were "
            f"created, and their train/test indices refer to '{merged_file}'. Increase 'iteration' in "
            "config.yaml to build a new training set from the current labels (DeepLabCut's "
            "active-learning workflow)."
        )


def _write_model_folder(
    project_path: Path, cfg: dict[str, Any], fraction: float, shuffle: int, net_type: str, overwrite: bool
) -> None:
    folder = project_path / model_folder(cfg, fraction, shuffle)
    if folder.exists() and overwrite:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        folder.rename(folder.with_name(f"{folder.name}-backup-{stamp}"))
    pose_config_path = folder / "train" / POSE_CONFIG_NAME
    write_pytorch_config(pose_config_path, make_pytorch_config(cfg, net_type, pose_config_path))
    bodyparts = get_bodyparts(cfg) + get_unique_bodyparts(cfg)
    write_yaml(
        folder / "test" / "pose_cfg.yaml",
        {
            "dataset": str(project_path),
            "num_joints": len(bodyparts),
            "all_joints": [[i] for i in range(len(bodyparts))],
            "all_joints_names": bodyparts,
            "net_type": dlc_net_type(net_type),
            "dataset_type": "multi-animal-imgaug",
            "global_scale": 1.0,
            "scoremap_dir": "test",
        },
    )
    if is_multianimal(cfg):
        inference_cfg = inference_cfg_for_project(
            load_template("inference_cfg"), len(get_bodyparts(cfg)), len(get_individuals(cfg)), cfg.get("identity")
        )
        write_inference_cfg(inference_cfg_path(folder), inference_cfg)
