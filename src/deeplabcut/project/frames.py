"""``extract_frames``: pick frames of each video to label, write them as PNG into ``labeled-data``."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from scipy.cluster.vq import kmeans2

from deeplabcut.errors import ConfigError, VideoError
from deeplabcut.project.config import parse_crop, read_config
from deeplabcut.project.paths import labeled_data_folder
from deeplabcut.video.reader import TruncatedVideoError, VideoReader


def frame_image_name(index: int, num_frames: int) -> str:
    """DeepLabCut's name of an extracted frame: ``img`` + index zero-padded to ``ceil(log10(n))`` digits."""
    width = max(1, int(math.ceil(math.log10(max(num_frames, 2)))))
    return f"img{index:0{width}d}.png"


def select_frames_uniform(first: int, last: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct frame indices drawn uniformly at random from ``[first, last)``, sorted."""
    available = max(0, last - first)
    count = min(count, available)
    return np.sort(rng.choice(np.arange(first, last), size=count, replace=False))


def select_frames_kmeans(
    reader: VideoReader,
    first: int,
    last: int,
    count: int,
    rng: np.random.Generator,
    step: int = 1,
    resize_width: int = 30,
    color: bool = False,
    candidates: np.ndarray | None = None,
) -> np.ndarray:
    """One frame per k-means cluster of downsampled frames (visually diverse frames).

    Frames ``first, first + step, ...`` (or the sorted ``candidates`` in
    ``[first, last)``, e.g. outlier frames) are shrunk to ``resize_width``
    pixels wide (grayscale unless ``color``) and clustered into ``count``
    groups; a random member of each cluster is picked.
    """
    if candidates is None:
        candidates = np.arange(first, last, max(1, step))
    else:
        candidates = np.unique(np.asarray(candidates, dtype=int))
        candidates = candidates[(candidates >= first) & (candidates < last)]
    if len(candidates) <= count:
        return candidates
    wanted = set(candidates.tolist())
    features = []
    for index, frame in enumerate(_frames_until_truncation(reader, first, last)):
        if first + index not in wanted:
            continue
        height = max(1, round(frame.shape[0] * resize_width / frame.shape[1]))
        small = cv2.resize(frame, (resize_width, height), interpolation=cv2.INTER_AREA)
        if not color:
            small = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
        features.append(small.reshape(-1).astype(np.float32) / 255.0)
    data = np.stack(features)
    data -= data.mean(axis=0)
    _, labels = kmeans2(data, count, minit="++", seed=rng)
    picked = [rng.choice(candidates[: len(data)][labels == cluster]) for cluster in np.unique(labels)]
    return np.sort(np.asarray(picked, dtype=int))


def _frames_until_truncation(reader: VideoReader, first: int, last: int):
    """Frames ``first..last-1``; a video that ends early yields what it has (with a warning)."""
    try:
        yield from reader.iter_frames(first, last)
    except TruncatedVideoError as err:
        warnings.warn(str(err), stacklevel=3)


def extract_frames(
    config: str | Path,
    mode: Literal["automatic", "manual"] = "automatic",
    algo: Literal["uniform", "kmeans"] = "kmeans",
    crop: bool = False,
    userfeedback: bool = False,
    cluster_step: int = 1,
    cluster_resizewidth: int = 30,
    cluster_color: bool = False,
    videos_list: list[str | Path] | None = None,
    seed: int | None = None,
) -> list[Path]:
    """Extract ``numframes2pick`` frames of each video into ``labeled-data/<video stem>/``.

    Frames come from the part of each video between ``start`` and ``stop``
    (fractions of its length, from config.yaml). Existing images are never
    overwritten: frames already extracted keep their labels, new ones are added.

    Args:
        config: path to the project's ``config.yaml``.
        mode: ``"automatic"`` (``"manual"`` needs DeepLabCut's GUI and is not available).
        algo: ``"uniform"`` (random frames, uniformly over time) or ``"kmeans"``
            (one frame per cluster of visually similar frames).
        crop: crop frames to each video's ``crop`` in ``video_sets``.
        userfeedback: accepted for compatibility; nothing is asked.
        cluster_step, cluster_resizewidth, cluster_color: k-means settings.
        videos_list: extract only from these videos (default: all of ``video_sets``).
        seed: makes the choice reproducible.

    Returns:
        The image files written.
    """
    if mode != "automatic":
        raise ConfigError("extract_frames(mode='manual') needs DeepLabCut's GUI; use mode='automatic'.")
    if algo not in ("uniform", "kmeans"):
        raise ConfigError(f"algo must be 'uniform' or 'kmeans', not {algo!r}.")
    cfg = read_config(config)
    start, stop = float(cfg.get("start", 0)), float(cfg.get("stop", 1))
    if not 0 <= start < stop <= 1:
        raise ConfigError(f"config.yaml needs 0 <= start < stop <= 1 (fractions of each video), not start={start}, stop={stop}.")
    count = int(cfg.get("numframes2pick", 20))
    rng = np.random.default_rng(seed)
    wanted = {Path(str(v)).resolve() for v in videos_list} if videos_list else None
    written: list[Path] = []
    for video, entry in cfg["video_sets"].items():
        video = Path(str(video))
        if wanted is not None and video.resolve() not in wanted:
            continue
        cropping = parse_crop(entry["crop"], f"video_sets['{video}'].crop") if crop else None
        with VideoReader(video, cropping=cropping) as reader:
            total = reader.num_frames
            first, last = int(start * total), max(int(start * total) + 1, int(stop * total))
            if algo == "uniform":
                indices = select_frames_uniform(first, last, count, rng)
            else:
                indices = select_frames_kmeans(
                    reader, first, last, count, rng, cluster_step, cluster_resizewidth, cluster_color
                )
            folder = labeled_data_folder(cfg["project_path"], video.stem)
            written.extend(path for _, _, path in write_new_frames(reader, indices, folder, total))
    return written


def write_new_frames(
    reader: VideoReader, indices: Sequence[int], folder: Path, total: int
) -> Iterator[tuple[int, np.ndarray, Path]]:
    """Write frames ``indices`` of ``reader`` as ``folder/img<N>.png``; yield ``(index, RGB frame, path)`` of each.

    An image that exists is never rewritten (it is someone's labeled frame); a
    frame that cannot be decoded is skipped with a warning. ``total`` (the
    video's frame count) sets the zero padding of the names.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for index in indices:
        path = folder / frame_image_name(int(index), total)
        if path.exists():
            continue
        try:
            frame = reader.read_frame(int(index))
        except VideoError as err:  # a damaged frame: skip it, keep the others
            warnings.warn(f"Skipped frame {index} of '{reader.path}': {err}", stacklevel=2)
            continue
        cv2.imwrite(str(path), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        yield int(index), frame, path
