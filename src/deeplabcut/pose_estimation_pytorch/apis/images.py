"""``analyze_images``: predict folders of frames, with the same output layout as video analysis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from deeplabcut.errors import MissingFileError
from deeplabcut.formats.analysis import predictions_dataframe, write_analysis
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel, snapshot_index_argument
from deeplabcut.pose_estimation_pytorch.apis.utils import get_logger, progress_bar
from deeplabcut.pose_estimation_pytorch.config.schema import check_inference_arguments
from deeplabcut.pose_estimation_pytorch.data import ShuffleData, load_image
from deeplabcut.project.paths import image_analysis_path, labeled_images_folder_name

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def find_images(images: list[str | Path] | str | Path, frame_type: str | None = None) -> dict[Path, list[Path]]:
    """Group image files by folder; folders contribute their images (of ``frame_type``, e.g. ``.png``).

    Raises:
        MissingFileError: a path does not exist or a folder holds no image.
    """
    if isinstance(images, (str, Path)):
        images = [images]
    extensions = (frame_type.lower() if frame_type.startswith(".") else f".{frame_type.lower()}",) if frame_type else IMAGE_EXTENSIONS
    groups: dict[Path, list[Path]] = {}
    for entry in images:
        path = Path(entry)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in extensions)
            if not found:
                raise MissingFileError(f"Folder '{path}' holds no image with extension {list(extensions)}.")
            groups.setdefault(path, []).extend(found)
        elif path.is_file():
            groups.setdefault(path.parent, []).append(path)
        else:
            raise MissingFileError(f"Image '{path}' does not exist.")
    return groups


def analyze_images(
    config: str | Path,
    images: list[str | Path] | str | Path,
    frame_type: str | None = None,
    output_dir: str | Path | None = None,
    shuffle: int = 1,
    trainingsetindex: int = 0,
    snapshotindex: int | str | None = None,
    modelprefix: str = "",
    device: str | None = None,
    batch_size: int = 1,
    save_as_csv: bool = False,
    plotting: bool = False,
    pcutoff: float | None = None,
    snapshot_index: int | str | None = None,
    detector_snapshot_index: int | str | None = None,
    bbox_pcutoff: float = 0.6,
    engine: str | None = None,
) -> dict[Path, pd.DataFrame]:
    """Predict poses in image files or folders of images.

    Per folder, writes ``<output_dir or folder>/<folder name><scorer>.h5`` (key
    ``df_with_missing``): one row per image (its file name), columns
    ``scorer/bodyparts/coords`` (single-animal) or
    ``scorer/individuals/bodyparts/coords`` (multi-animal) with x, y, likelihood.
    With ``plotting``, labeled copies go to ``LabeledImages_<scorer>/`` beside it.

    Top-down models (TokenPose) detect the animals, crop and pose each one;
    ``detector_snapshot_index`` chooses their detector snapshot (default:
    config.yaml's ``detector_snapshotindex``), and the plots show the boxes
    (dashed when scored below ``bbox_pcutoff``).

    ``engine`` chooses what runs the network: ``auto``, ``torch``, ``openvino`` or
    ``onnxruntime`` (default: ``inference.engine`` of ``pytorch_config.yaml``, else
    ``auto``: PyTorch where it runs in bf16, else OpenVINO on the CPU); see ``docs/user-guide.md``.

    Returns:
        The written files and their DataFrames.
    """
    check_inference_arguments("analyze_images", batch_size, device, engine)
    log = get_logger()
    model = TrainedModel.resolve(
        config, shuffle, trainingsetindex, modelprefix, snapshot_index_argument(snapshotindex, snapshot_index),
        detector_snapshotindex=detector_snapshot_index,
    )
    project, scorer = model.shuffle, model.scorer
    runner = model.runner(device, batch_size=batch_size, engine=engine)
    pcutoff = float(project.cfg.get("pcutoff", 0.6) if pcutoff is None else pcutoff)
    results: dict[Path, pd.DataFrame] = {}
    for folder, files in find_images(images, frame_type).items():
        bar = progress_bar(len(files), f"Analyzing images in {folder.name}", unit="img")
        poses, unique, boxes = [], [], []
        for prediction in runner.predict(load_image(path) for path in files):
            poses.append(prediction["bodyparts"])
            unique.append(prediction.get("unique_bodyparts", np.zeros((0, 3))))
            if "bboxes" in prediction:
                boxes.append((prediction["bboxes"], prediction["bbox_scores"]))
            bar.update(1)
        bar.close()
        df = predictions_dataframe(
            scorer,
            project.bodyparts,
            np.asarray(poses),
            project.individuals if project.multianimal else None,
            project.unique_bodyparts,
            np.asarray(unique),
            index=[path.name for path in files],
        )
        out_folder = Path(output_dir) if output_dir is not None else folder
        output = image_analysis_path(out_folder, folder, scorer)
        write_analysis(df, output, save_as_csv)
        if plotting:
            folder_out = out_folder / labeled_images_folder_name(scorer)
            _plot(project, scorer, files, df, folder_out, pcutoff, boxes or None, bbox_pcutoff)
        log.info("%d images -> %s", len(files), output)
        results[output] = df
    return results


def _plot(
    project: ShuffleData,
    scorer: str,
    files: list[Path],
    df: pd.DataFrame,
    folder: Path,
    pcutoff: float,
    boxes: list[tuple[np.ndarray, np.ndarray]] | None = None,
    bbox_pcutoff: float = 0.6,
) -> None:
    from deeplabcut.formats.pose_table import poses_from_dataframe
    from deeplabcut.visualization import LabeledFramePlotter

    folder.mkdir(parents=True, exist_ok=True)
    table = poses_from_dataframe(df)
    plotter = LabeledFramePlotter()
    for number, (path, poses) in enumerate(zip(files, table.poses)):
        bboxes, bbox_scores = boxes[number] if boxes else (None, None)
        plotter.plot(
            load_image(path),
            predictions=poses,
            bodyparts=table.bodyparts,
            pcutoff=pcutoff,
            mode="individual" if project.multianimal else "bodypart",
            output_path=folder / path.name,
            individuals=table.individuals,
            cmap=project.cfg.get("colormap", "rainbow"),
            dot_size=project.cfg.get("dotsize", 12),
            bboxes=bboxes,
            bbox_scores=bbox_scores,
            bbox_pcutoff=bbox_pcutoff,
        )
