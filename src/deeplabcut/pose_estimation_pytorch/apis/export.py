"""``export_model``: DeepLabCut 3's exported models (for DeepLabCut-Live), plus TorchScript and ONNX graphs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel
from deeplabcut.pose_estimation_pytorch.apis.utils import get_logger
from deeplabcut.pose_estimation_pytorch.config.dlc_layout import dlc_net_type
from deeplabcut.pose_estimation_pytorch.inference.export import check_formats, export_trained_model, wipe_paths as wipe_config_paths
from deeplabcut.project.config import read_config
from deeplabcut.project.paths import EXPORTED_MODELS_FOLDER, exported_model_filename, exported_model_folder_name


def export_model(
    config: str | Path,
    shuffle: int = 1,
    trainingsetindex: int = 0,
    snapshotindex: int | str | None = None,
    detector_snapshot_index: int | str | None = None,
    iteration: int | None = None,
    overwrite: bool = False,
    wipe_paths: bool = False,
    without_detector: bool = False,
    modelprefix: str = "",
    formats: Sequence[str] | str = ("pt",),
) -> list[Path]:
    """Export a trained model for live inference (DeepLabCut-Live) and other runtimes.

    Writes ``exported-models-pytorch/DLC_<Task>_<net_type>_iteration-<N>_shuffle-<k>/``
    in the project folder, and in it, per exported snapshot,
    ``DLC_..._shuffle-<k>[_snapshot-detector<d>]_snapshot-<s>.pt``: DeepLabCut 3's
    exported model (``{"config": pytorch_config, "pose": weights, "detector":
    weights}``), which DeepLabCut-Live's PyTorch runner loads. With ``formats``
    it also writes, beside it, the networks as TorchScript
    (``<file stem>_pose.torchscript``, ``_detector.torchscript``) and ONNX
    (``_pose.onnx``, ``_detector.onnx``) graphs; their outputs are decoded in
    Python (``PoseInferenceRunner.from_exported``), see docs/export.md.

    Args:
        config: path to the project's ``config.yaml``.
        shuffle, trainingsetindex, modelprefix: which model folder.
        snapshotindex: which snapshot(s): an index (-1: the best, else the last), ``"best"``
            or ``"all"`` (each exported); None takes config.yaml's ``snapshotindex``.
        detector_snapshot_index: top-down models: which ``snapshot-detector-*.pt``; None takes
            config.yaml's ``detector_snapshotindex``.
        iteration: the project iteration to export (default: config.yaml's ``iteration``).
        overwrite: replace exported files that exist (else they are kept and skipped).
        wipe_paths: remove the project path, ``pose_config_path``, ``weight_init`` and
            ``resume_training_from`` from the exported config.
        without_detector: top-down models: export the pose model alone.
        formats: among ``"pt"`` (DeepLabCut-Live's file, the default), ``"torchscript"``
            and ``"onnx"`` (needs ``pip install "deeplabcut-torch[onnx]"``).

    Returns:
        The files written.

    Raises:
        MissingFileError: the shuffle has no snapshot (or, top-down, no detector snapshot
            while ``without_detector`` is False).
        ConfigError: a bad index or format, or ONNX asked without its packages.

    Example::

        deeplabcut.export_model("/analysis/reaching/config.yaml", shuffle=3, formats=("pt", "onnx"))
    """
    formats = check_formats(formats)
    cfg = read_config(config)
    if iteration is not None:
        if not isinstance(iteration, int) or iteration < 0:
            raise ConfigError(f"iteration must be a non-negative integer (a dlc-models-pytorch/iteration-<N> folder), not {iteration!r}.")
        cfg["iteration"] = iteration
    model = TrainedModel.resolve(
        config,
        shuffle=shuffle,
        trainingsetindex=trainingsetindex,
        modelprefix=modelprefix,
        snapshotindex=snapshotindex,
        select="all",
        cfg=cfg,
        detector_snapshotindex=detector_snapshot_index,
        require_detector=not without_detector,
    )
    detector = None if without_detector else model.detector_snapshot
    pytorch_config = model.pytorch_config
    if wipe_paths:
        pytorch_config = wipe_config_paths(pytorch_config)
    folder_name = exported_model_folder_name(cfg, dlc_net_type(model.pytorch_config["net_type"]), shuffle)
    folder = model.shuffle.path / EXPORTED_MODELS_FOLDER / folder_name
    log = get_logger()
    written: list[Path] = []
    for snapshot in model.snapshots:
        path = folder / exported_model_filename(folder_name, snapshot.path, None if detector is None else detector.path)
        files = export_trained_model(
            pytorch_config,
            path,
            snapshot.path,
            None if detector is None else detector.path,
            formats=formats,
            overwrite=overwrite,
        )
        if not files:
            log.info("%s is already exported (pass overwrite=True to write it again).", path.name)
        for file in files:
            log.info("Exported %s", file)
        written.extend(files)
    return written
