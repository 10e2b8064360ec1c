"""Writing a complete DeepLabCut project from a synthetic scene, and reading its ground truth back.

The project is laid out exactly as a user's (``create_new_project`` makes it):

* ``config.yaml`` with meaningful bodypart names, a skeleton along the body,
  ``TrainingFraction: [0.8]`` and ``default_net_type: dekr_16``;
* ``videos/<video>.mp4`` (OpenCV ``mp4v``);
* ``labeled-data/<video>/img<index>.png``: frames spread evenly over the video,
  saved losslessly from the renderer (not decoded from the lossy video), with
  ``CollectedData_<scorer>.h5``/``.csv`` in DeepLabCut's layout; about
  ``missing_label_fraction`` of the keypoints are left unlabeled (NaN), as a
  labeler skips occluded parts (never a whole frame);
* plus ``ground-truth/<video>.h5``: exact keypoints of every frame, in the
  layout of DeepLabCut's analysis output (multi-animal: key ``tracks``,
  columns ``scorer/individuals/bodyparts/coords`` with ``single`` for unique
  bodyparts; single-animal: key ``df_with_missing``, ``scorer/bodyparts/coords``),
  coords ``x, y, likelihood`` (likelihood 1).
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from deeplabcut.errors import ConfigError, DLCError, MissingFileError, VideoError
from deeplabcut.formats import analysis, tracks
from deeplabcut.formats.collected_data import LabeledFrames, arrays_to_labels, write_collected_data
from deeplabcut.formats.pose_table import (
    LABEL_COORDS,
    SINGLE_ANIMAL,
    SINGLE_INDIVIDUAL,
    poses_to_dataframe,
    select_poses,
)
from deeplabcut.project.config import (
    get_bodyparts,
    get_individuals,
    get_unique_bodyparts,
    is_multianimal,
    read_config,
    video_stems,
    write_config,
)
from deeplabcut.project.create import create_new_project
from deeplabcut.project.paths import collected_data_filename, labeled_data_folder
from deeplabcut.synthetic.body import CANONICAL_BODYPARTS
from deeplabcut.synthetic.motion import OBJECT_NAMES
from deeplabcut.synthetic.scene import SyntheticScene, make_scene

#: Folder of the project that holds the ground-truth files.
GROUND_TRUTH_FOLDER = "ground-truth"
#: HDF keys of the ground-truth file, as DeepLabCut's analysis output uses them.
MULTI_ANIMAL_TRACKS_KEY = tracks.HDF_KEY
SINGLE_ANIMAL_KEY = analysis.HDF_KEY
#: Seed stream (next to the scene's) that picks the deliberately missing labels.
_MISSING_LABELS_STREAM = 100

#: Which spine bodypart each appendage hangs off in the skeleton, by preference.
_SKELETON_SPINE = ("snout", "neck", "spine1", "spine2", "tailbase", "tail1", "tailtip")
_SKELETON_ANCHORS = {
    "leftear": ("snout", "neck"),
    "rightear": ("snout", "neck"),
    "leftpaw": ("neck", "spine1", "snout", "spine2"),
    "rightpaw": ("neck", "spine1", "snout", "spine2"),
    "lefthindpaw": ("spine2", "tailbase", "spine1", "neck"),
    "righthindpaw": ("spine2", "tailbase", "spine1", "neck"),
}


class SyntheticProjectExistsError(DLCError, FileExistsError):
    """The synthetic project's folder already exists (pass ``overwrite=True`` to replace it)."""


@dataclass
class GroundTruth:
    """Exact keypoints of every frame of a synthetic video.

    Attributes:
        video_stem: the video's file name without extension.
        keypoints: ``(frames, individuals, bodyparts, 2)`` pixel coordinates
            (pixel centres at integer coordinates, as in the labels).
        unique_keypoints: ``(frames, unique bodyparts, 2)``; zero-width without unique bodyparts.
        bodyparts, unique_bodyparts, individuals: names in array order (single-animal
            projects have one individual, ``"animal"``).
    """

    video_stem: str
    keypoints: np.ndarray
    unique_keypoints: np.ndarray
    bodyparts: list[str]
    unique_bodyparts: list[str]
    individuals: list[str]

    @property
    def num_frames(self) -> int:
        return int(self.keypoints.shape[0])


def skeleton_for(bodyparts: list[str]) -> list[list[str]]:
    """Skeleton edges along the body for a subset of :data:`CANONICAL_BODYPARTS`.

    The spine bodyparts present are chained from the snout to the tail tip; ears
    and paws connect to the nearest spine bodypart present.
    """
    present = set(bodyparts)
    spine = [name for name in _SKELETON_SPINE if name in present]
    edges = [[a, b] for a, b in zip(spine, spine[1:])]
    for name in bodyparts:
        if name in _SKELETON_ANCHORS:
            anchor = next((a for a in _SKELETON_ANCHORS[name] if a in present), None)
            if anchor is not None:
                edges.append([anchor, name])
    return edges


def image_name(frame: int, num_frames: int) -> str:
    """DeepLabCut's labeled-frame name: ``img`` + index zero-padded to ``ceil(log10(num_frames))`` digits."""
    width = int(math.ceil(math.log10(num_frames))) if num_frames > 1 else 1
    return f"img{str(frame).zfill(width)}.png"


def labeled_frame_indices(num_frames: int, num_labeled_frames: int) -> np.ndarray:
    """``num_labeled_frames`` distinct frame indices spread evenly from the first to the last frame."""
    return np.round(np.linspace(0, num_frames - 1, num_labeled_frames)).astype(int)


def _missing_label_mask(shape: tuple[int, ...], fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean ``(frames, individuals, bodyparts)`` mask of labels to leave out; every frame keeps at least one."""
    mask = np.zeros(shape, dtype=bool)
    per_frame = int(np.prod(shape[1:]))
    target = int(round(fraction * mask.size))
    if target == 0 or per_frame < 2:
        return mask
    removed_in_frame = np.zeros(shape[0], dtype=int)
    flat = mask.reshape(shape[0], per_frame)
    for entry in rng.permutation(mask.size):
        frame, position = divmod(int(entry), per_frame)
        if removed_in_frame[frame] < per_frame - 1:
            flat[frame, position] = True
            removed_in_frame[frame] += 1
            target -= 1
            if target == 0:
                break
    return mask


def _check_arguments(
    multianimal: bool,
    num_individuals: int,
    num_bodyparts: int,
    num_unique_bodyparts: int,
    num_frames: int,
    num_labeled_frames: int,
    frame_size: tuple[int, int],
    missing_label_fraction: float,
) -> None:
    if not 1 <= num_bodyparts <= len(CANONICAL_BODYPARTS):
        raise ConfigError(
            f"num_bodyparts must be between 1 and {len(CANONICAL_BODYPARTS)} ({', '.join(CANONICAL_BODYPARTS)}), "
            f"not {num_bodyparts}."
        )
    if num_unique_bodyparts and not multianimal:
        raise ConfigError(
            "Unique bodyparts exist only in multi-animal projects; set multianimal=True or num_unique_bodyparts=0."
        )
    if multianimal and num_individuals < 1:
        raise ConfigError(f"num_individuals must be at least 1, not {num_individuals}.")
    if not 1 <= num_labeled_frames <= num_frames:
        raise ConfigError(
            f"num_labeled_frames must be between 1 and num_frames ({num_frames}), not {num_labeled_frames}."
        )
    if len(tuple(frame_size)) != 2:
        raise ConfigError(f"frame_size must be (height, width), not {frame_size!r}.")
    if not 0 <= missing_label_fraction < 1:
        raise ConfigError(f"missing_label_fraction must be in [0, 1), not {missing_label_fraction}.")
    if num_unique_bodyparts > len(OBJECT_NAMES):
        raise ConfigError(
            f"num_unique_bodyparts must be at most {len(OBJECT_NAMES)} ({', '.join(OBJECT_NAMES)}), "
            f"not {num_unique_bodyparts}."
        )


def create_synthetic_project(
    working_directory: str | Path,
    *,
    multianimal: bool = True,
    num_individuals: int = 3,
    num_bodyparts: int = 4,
    num_unique_bodyparts: int = 0,
    num_frames: int = 300,
    num_labeled_frames: int = 60,
    frame_size: tuple[int, int] = (256, 256),
    fps: float = 30,
    seed: int = 0,
    task: str = "synthetic",
    experimenter: str = "synthetic",
    video_name: str = "arena",
    missing_label_fraction: float = 0.02,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> str:
    """Create a complete DeepLabCut project of walking synthetic animals, with exact ground truth.

    Args:
        working_directory: where the project folder ``<task>-<experimenter>-<YYYY-MM-DD>`` is made.
        multianimal: multi-animal (maDLC) project; ``False`` gives a single-animal project with one animal.
        num_individuals: animals in the video (multi-animal only), named ``animal0..``.
        num_bodyparts: bodyparts per animal, the first of :data:`CANONICAL_BODYPARTS`.
        num_unique_bodyparts: arena objects labeled as unique bodyparts, the first of
            :data:`OBJECT_NAMES` (multi-animal only).
        num_frames: frames in the video.
        num_labeled_frames: labeled frames, spread evenly over the video.
        frame_size: ``(height, width)`` of the video, pixels.
        fps: frames per second of the video.
        seed: fixes everything drawn (motion, sizes, floor, noise, missing labels).
        task, experimenter: the project's ``Task`` and ``scorer``.
        video_name: stem of the video file.
        missing_label_fraction: fraction of the labeled keypoints left unlabeled (NaN).
        overwrite: replace an existing project folder of the same name.
        progress: called as ``progress(frames_rendered, num_frames)`` while the video is written.

    Returns:
        The path of the project's ``config.yaml``.

    Raises:
        ConfigError: an argument is out of range or the animals do not fit in the frame.
        SyntheticProjectExistsError: the project folder exists and ``overwrite`` is false.
        VideoError: OpenCV cannot write the video.
    """
    num_individuals = num_individuals if multianimal else 1
    _check_arguments(
        multianimal, num_individuals, num_bodyparts, num_unique_bodyparts, num_frames,
        num_labeled_frames, frame_size, missing_label_fraction,
    )
    scene = make_scene(
        num_animals=num_individuals,
        num_frames=num_frames,
        frame_size=tuple(frame_size),
        fps=fps,
        seed=seed,
        num_objects=num_unique_bodyparts,
    )
    working_directory = Path(working_directory).expanduser().resolve()
    working_directory.mkdir(parents=True, exist_ok=True)
    project_path = working_directory / f"{task}-{experimenter}-{dt.date.today().isoformat()}"
    if project_path.exists():
        if not overwrite:
            raise SyntheticProjectExistsError(
                f"Project folder '{project_path}' already exists. Pass overwrite=True to replace it, "
                "or use another working_directory or task."
            )
        shutil.rmtree(project_path)

    frames_to_label = labeled_frame_indices(num_frames, num_labeled_frames)
    labeled_images: dict[int, np.ndarray] = {}
    staging = Path(tempfile.mkdtemp(prefix=".synthetic-", dir=working_directory))
    try:
        video_path = staging / f"{video_name}.mp4"
        _write_video(scene, video_path, set(frames_to_label.tolist()), labeled_images, progress)
        individuals = [f"animal{i}" for i in range(num_individuals)]
        config_path = create_new_project(
            task,
            experimenter,
            [video_path],
            working_directory=working_directory,
            copy_videos=True,
            multianimal=multianimal,
            individuals=individuals if multianimal else None,
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    bodyparts = list(CANONICAL_BODYPARTS[:num_bodyparts])
    unique_bodyparts = list(OBJECT_NAMES[:num_unique_bodyparts])
    _update_config(config_path, multianimal, bodyparts, unique_bodyparts, individuals, num_labeled_frames, scene)

    scorer = experimenter
    frame_names = [image_name(int(frame), num_frames) for frame in frames_to_label]
    label_folder = labeled_data_folder(project_path, video_name)
    for frame, name in zip(frames_to_label, frame_names):
        _write_png(label_folder / name, labeled_images[int(frame)])

    keypoints = scene.keypoints[:, :, :num_bodyparts]
    unique_keypoints = scene.objects.positions
    labels = keypoints[frames_to_label].copy()
    missing_rng = np.random.default_rng([seed, _MISSING_LABELS_STREAM])
    missing = _missing_label_mask(labels.shape[:3], missing_label_fraction, missing_rng)
    labels[missing] = np.nan
    labeled = LabeledFrames(
        image_paths=[f"labeled-data/{video_name}/{name}" for name in frame_names],
        keypoints=labels,
        unique_keypoints=unique_keypoints[frames_to_label].copy(),
        bodyparts=bodyparts,
        unique_bodyparts=unique_bodyparts,
        individuals=individuals,
        scorer=scorer,
    )
    write_collected_data(arrays_to_labels(labeled, multianimal), label_folder / collected_data_filename(scorer))
    write_ground_truth(
        project_path / GROUND_TRUTH_FOLDER / f"{video_name}.h5",
        keypoints,
        unique_keypoints,
        scorer=scorer,
        bodyparts=bodyparts,
        unique_bodyparts=unique_bodyparts,
        individuals=individuals if multianimal else None,
    )
    return config_path


def _write_video(
    scene: SyntheticScene,
    path: Path,
    keep: set[int],
    kept: dict[int, np.ndarray],
    progress: Callable[[int, int], None] | None,
) -> None:
    """Render every frame into an ``mp4v`` video at ``path``; frames in ``keep`` are also stored in ``kept`` (RGB)."""
    height, width = scene.frame_size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), scene.fps, (width, height))
    if not writer.isOpened():
        raise VideoError(
            f"OpenCV cannot write the mp4v video '{path}'. Check that this OpenCV build has video "
            "writing (FFmpeg) support."
        )
    try:
        for frame, image in enumerate(scene.frames()):
            writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            if frame in keep:
                kept[frame] = image
            if progress is not None:
                progress(frame + 1, scene.num_frames)
    finally:
        writer.release()


def _write_png(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise VideoError(f"OpenCV could not write the labeled frame '{path}'. Check the folder is writable.")


def _update_config(
    config_path: str,
    multianimal: bool,
    bodyparts: list[str],
    unique_bodyparts: list[str],
    individuals: list[str],
    num_labeled_frames: int,
    scene: SyntheticScene,
) -> None:
    cfg = read_config(config_path)
    if multianimal:
        cfg["multianimalbodyparts"] = bodyparts
        cfg["uniquebodyparts"] = unique_bodyparts
        cfg["individuals"] = individuals
    else:
        cfg["bodyparts"] = bodyparts
    cfg["skeleton"] = skeleton_for(bodyparts)
    cfg["TrainingFraction"] = [0.8]
    cfg["numframes2pick"] = num_labeled_frames
    cfg["dotsize"] = max(2, round(min(scene.frame_size) / 48))
    cfg["pcutoff"] = 0.6
    cfg["default_net_type"] = "dekr_16"
    write_config(config_path, cfg)


def write_ground_truth(
    path: str | Path,
    keypoints: np.ndarray,
    unique_keypoints: np.ndarray,
    *,
    scorer: str,
    bodyparts: list[str],
    unique_bodyparts: list[str],
    individuals: list[str] | None,
) -> None:
    """Write exact keypoints of every frame in DeepLabCut's analysis-output layout (likelihood 1).

    Args:
        path: the ``.h5`` file.
        keypoints: ``(frames, individuals, bodyparts, 2)`` pixels.
        unique_keypoints: ``(frames, unique bodyparts, 2)`` pixels.
        individuals: names for a multi-animal file (key ``tracks``); ``None`` for a
            single-animal file (key ``df_with_missing``, the one animal's keypoints).
    """
    num_frames = keypoints.shape[0]
    poses = np.concatenate([keypoints, np.ones(keypoints.shape[:-1] + (1,))], axis=-1)
    unique = np.concatenate([unique_keypoints, np.ones(unique_keypoints.shape[:-1] + (1,))], axis=-1)
    df = poses_to_dataframe(
        scorer, bodyparts, poses, individuals, unique_bodyparts, unique, index=pd.Index(np.arange(num_frames))
    )
    if individuals is None:
        analysis.write_analysis(df, path)
    else:
        tracks.write_tracks_h5(df, path)


def load_ground_truth(config_path: str | Path, video_stem: str | None = None) -> GroundTruth:
    """Read ``<project>/ground-truth/<video_stem>.h5`` as arrays ordered as the config lists names.

    Args:
        config_path: the project's ``config.yaml``.
        video_stem: which video; may be left out when the project has one ground-truth file.

    Raises:
        MissingFileError: there is no such ground-truth file.
        ConfigError: ``video_stem`` is left out but several videos have ground truth.
    """
    cfg = read_config(config_path)
    folder = Path(cfg["project_path"]) / GROUND_TRUTH_FOLDER
    if video_stem is None:
        available = sorted(path.stem for path in folder.glob("*.h5")) if folder.is_dir() else []
        if len(available) != 1:
            if not available:
                raise MissingFileError(
                    f"No ground truth in '{folder}'. Only projects made by create_synthetic_project have one."
                )
            raise ConfigError(f"'{folder}' has ground truth for videos {available}; pass video_stem to choose one.")
        video_stem = available[0]
    path = folder / f"{video_stem}.h5"
    if not path.is_file():
        raise MissingFileError(
            f"No ground truth for video '{video_stem}' at '{path}'. The project's videos are {video_stems(cfg)}."
        )
    values = analysis.read_analysis(path)
    bodyparts = get_bodyparts(cfg)
    unique_bodyparts = get_unique_bodyparts(cfg)
    individuals = get_individuals(cfg)
    if is_multianimal(cfg):
        keypoints = select_poses(values, individuals, bodyparts, LABEL_COORDS)
        unique = select_poses(values, [SINGLE_INDIVIDUAL], unique_bodyparts, LABEL_COORDS)[:, 0]
    else:
        keypoints = select_poses(values, [SINGLE_ANIMAL], bodyparts, LABEL_COORDS)
        unique = np.zeros((len(values), 0, 2))
    return GroundTruth(
        video_stem=video_stem,
        keypoints=keypoints,
        unique_keypoints=unique,
        bodyparts=bodyparts,
        unique_bodyparts=unique_bodyparts,
        individuals=individuals,
    )
