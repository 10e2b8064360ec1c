"""``check_labels``: draw every labeled frame with its keypoints, to look over before training."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2

from deeplabcut.formats.collected_data import labels_to_arrays, read_collected_data
from deeplabcut.project.config import (
    get_bodyparts,
    get_individuals,
    get_unique_bodyparts,
    is_multianimal,
    read_config,
    video_stems,
)
from deeplabcut.project.paths import collected_data_filename, labeled_data_folder
from deeplabcut.visualization.labeled_frames import LabeledFramePlotter, with_unique_row


def check_labels(
    config: str | Path,
    draw_skeleton: bool = True,
    visualizeindividuals: bool = True,
    progress: Callable[[int], object] | None = None,
) -> list[Path]:
    """Draw each labeled image with its labels into ``labeled-data/<video>_labeled/``.

    Args:
        config: path to the project's ``config.yaml``.
        draw_skeleton: draw the config's ``skeleton`` between labeled points.
        visualizeindividuals: multi-animal projects: one colour per individual
            (else one per bodypart).
        progress: called with 1 after each image (e.g. a progress bar's ``update``).

    Returns:
        The folders written.
    """
    cfg = read_config(config)
    project_path = Path(cfg["project_path"])
    multi = is_multianimal(cfg)
    bodyparts = get_bodyparts(cfg)
    unique = get_unique_bodyparts(cfg)
    names = bodyparts + unique
    mode = "individual" if multi and visualizeindividuals else "bodypart"
    plotter = LabeledFramePlotter()
    folders = []
    for stem in video_stems(cfg):
        labels_path = labeled_data_folder(project_path, stem) / collected_data_filename(cfg["scorer"])
        if not labels_path.is_file() and not labels_path.with_suffix(".csv").is_file():
            continue
        frames = labels_to_arrays(read_collected_data(labels_path), bodyparts, get_individuals(cfg) if multi else None, unique)
        out = labeled_data_folder(project_path, f"{stem}_labeled")
        out.mkdir(parents=True, exist_ok=True)
        for index, relative in enumerate(frames.image_paths):
            image = cv2.imread(str(project_path / relative), cv2.IMREAD_COLOR)
            if image is None:
                continue
            points = frames.keypoints[index]
            if unique:
                points = with_unique_row(points, frames.unique_keypoints[index])
            plotter.plot(
                cv2.cvtColor(image, cv2.COLOR_BGR2RGB),
                ground_truth=points,
                bodyparts=names,
                mode=mode,
                output_path=out / Path(relative).name,
                individuals=(frames.individuals + ["single"]) if unique else frames.individuals,
                cmap=cfg.get("colormap", "rainbow"),
                dot_size=cfg.get("dotsize", 12),
                alpha=cfg.get("alphavalue", 0.7),
                skeleton=cfg.get("skeleton") if draw_skeleton else None,
                skeleton_color=cfg.get("skeleton_color", "black"),
            )
            if progress:
                progress(1)
        folders.append(out)
    return folders

