"""The pickles ``analyze_videos`` writes beside a video: ``_full``, ``_assemblies``, ``_meta``.

For ``<prefix> = <video stem><scorer>`` (see :class:`deeplabcut.project.paths.AnalysisFiles`):

* ``<prefix>_full.pickle`` (multi-animal): every candidate of every frame::

      {"metadata": {"nms radius", "minimal confidence", "sigma", "PAFgraph",
                    "PAFinds", "all_joints", "all_joints_names", "nframes",
                    "key_str_width"},
       "frame0000": {"coordinates": ([(n, 2) per joint],),   # a 1-tuple
                     "confidence": [(n, 1) per joint],
                     "costs": None,
                     "bboxes": (d, 4), "bbox_scores": (d,)},  # top-down models only
       ...}

  joints are the bodyparts then the unique bodyparts; frame keys are padded
  to ``key_str_width = ceil(log10(nframes))`` digits; -1 marks padding.
  ``bboxes`` are the ``d`` animal boxes the detector found in the frame (the
  ones that were cropped), in COCO's ``[x, y, width, height]`` pixels as
  DeepLabCut 3 writes them, with their ``bbox_scores``.
* ``<prefix>_assemblies.pickle`` (multi-animal): ``{frame: (n, bodyparts, 4)
  [x, y, score, id]}`` with the animals that are not all padding (``id`` -1
  without an identity head), plus ``"single": {frame: (unique bodyparts, 3)}``
  when there are unique bodyparts.
* ``<prefix>_meta.pickle`` (always, written last): ``{"data": {...}}``, see
  :class:`VideoAnalysisMetadata`.

Coordinates are pixels of the analysed (cropped, when cropping) frame. The
two large pickles are written as streams (:func:`~deeplabcut.utils.pickles.write_dict_stream`),
frame by frame, so memory stays flat with video length.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from deeplabcut.formats.pose_table import SINGLE_INDIVIDUAL
from deeplabcut.formats.tracklets import frame_key, frame_key_width
from deeplabcut.geometry import box_to_xywh
from deeplabcut.utils.pickles import read_pickle, write_dict_stream, write_pickle

#: Key of the unique bodyparts in ``_assemblies.pickle``.
ASSEMBLIES_SINGLE_KEY = SINGLE_INDIVIDUAL


def full_pickle_items(
    poses: np.ndarray,
    unique_poses: np.ndarray,
    joint_names: Sequence[str],
    bboxes: np.ndarray | None = None,
    bbox_scores: np.ndarray | None = None,
) -> Iterator[tuple[str, Any]]:
    """``(key, value)`` pairs of ``_full.pickle``, frame by frame.

    Args:
        poses: ``(frames, individuals, bodyparts, 3)`` x, y, score; -1 where nothing was found.
        unique_poses: ``(frames, unique bodyparts, 3)``.
        joint_names: the bodyparts then the unique bodyparts.
        bboxes: top-down models: ``(frames, N, 4)`` ``[x1, y1, x2, y2]`` pixels, rows
            with a score < 0 are padding; written per frame as ``bboxes`` ``(d, 4)``
            ``[x, y, width, height]`` and ``bbox_scores`` ``(d,)``.
        bbox_scores: ``(frames, N)``, with ``bboxes``.
    """
    nframes = len(poses)
    width = frame_key_width(max(nframes, 1))
    yield "metadata", {
        "nms radius": None,
        "minimal confidence": None,
        "sigma": 1,
        "PAFgraph": None,
        "PAFinds": None,
        "all_joints": [[i] for i in range(len(joint_names))],
        "all_joints_names": list(joint_names),
        "nframes": nframes,
        "key_str_width": width,
    }
    for frame in range(nframes):
        animals = poses[frame]  # (A, K, 3)
        coordinates = [animals[:, k, :2].astype(np.float64) for k in range(animals.shape[1])]
        confidence = [animals[:, k, 2:3].astype(np.float64) for k in range(animals.shape[1])]
        for point in unique_poses[frame]:
            coordinates.append(point[None, :2].astype(np.float64))
            confidence.append(point[None, 2:3].astype(np.float64))
        entry = {"coordinates": (coordinates,), "confidence": confidence, "costs": None}
        if bboxes is not None and bbox_scores is not None:
            found = np.asarray(bbox_scores[frame]) >= 0
            entry["bboxes"] = box_to_xywh(np.asarray(bboxes[frame])[found]).reshape(-1, 4)
            entry["bbox_scores"] = np.asarray(bbox_scores[frame], dtype=np.float64)[found]
        yield frame_key(frame, width), entry


def write_full_pickle(
    path: str | Path,
    poses: np.ndarray,
    unique_poses: np.ndarray,
    joint_names: Sequence[str],
    bboxes: np.ndarray | None = None,
    bbox_scores: np.ndarray | None = None,
) -> None:
    """Stream ``_full.pickle`` to ``path`` atomically (arguments as :func:`full_pickle_items`)."""
    write_dict_stream(path, full_pickle_items(poses, unique_poses, joint_names, bboxes, bbox_scores))


def read_full_pickle(path: str | Path) -> dict[str, Any]:
    """Load a ``_full.pickle`` (plain data only; see :func:`deeplabcut.utils.pickles.read_pickle`)."""
    return read_pickle(path)


def assemblies_items(poses: np.ndarray, unique_poses: np.ndarray) -> Iterator[tuple[int | str, Any]]:
    """``(key, value)`` pairs of ``_assemblies.pickle``, frame by frame.

    Args:
        poses: ``(frames, individuals, bodyparts, 3)`` x, y, score; -1 where nothing was found.
        unique_poses: ``(frames, unique bodyparts, 3)``.
    """
    for frame in range(len(poses)):
        animals = poses[frame]
        kept = animals[~(animals < 0).all(axis=(1, 2))]
        identity = np.full((*kept.shape[:2], 1), -1.0, np.float32)
        yield frame, np.concatenate([kept, identity], axis=2).astype(np.float64)
    if unique_poses.shape[1]:
        yield ASSEMBLIES_SINGLE_KEY, {frame: unique_poses[frame].astype(np.float64) for frame in range(len(poses))}


def write_assemblies_pickle(path: str | Path, poses: np.ndarray, unique_poses: np.ndarray) -> None:
    """Stream ``_assemblies.pickle`` to ``path`` atomically (arguments as :func:`assemblies_items`)."""
    write_dict_stream(path, assemblies_items(poses, unique_poses))


def read_assemblies_pickle(path: str | Path) -> dict[int | str, Any]:
    """Load an ``_assemblies.pickle`` (plain data only; see :func:`deeplabcut.utils.pickles.read_pickle`)."""
    return read_pickle(path)


@dataclass
class VideoAnalysisMetadata:
    """The contents of ``_meta.pickle``: how a video was analysed.

    Attributes:
        scorer: the scorer name (``Scorer``).
        pytorch_config: the shuffle's ``pytorch_config.yaml`` as a dict (``pytorch-config``).
        fps: frames per second of the video.
        batch_size: frames per forward pass.
        frame_dimensions: ``(width, height)`` in pixels of the analysed (cropped) frame.
        nframes: frames analysed.
        iteration: ``iteration (active-learning)`` of config.yaml.
        train_fraction: ``training set fraction`` of the shuffle.
        cropping_parameters: ``[x1, x2, y1, y2]`` when the video was cropped, else None
            (written as DeepLabCut 3 writes it then: ``[0, width, 0, height]``).
        individuals, bodyparts, unique_bodyparts: the config's names.
        start, stop: seconds since the epoch; run_duration: seconds.
    """

    scorer: str
    pytorch_config: dict[str, Any]
    fps: float
    batch_size: int
    frame_dimensions: tuple[int, int]
    nframes: int
    iteration: int
    train_fraction: float
    cropping_parameters: list[int] | None
    individuals: list[str]
    bodyparts: list[str]
    unique_bodyparts: list[str]
    start: float = 0.0
    stop: float = 0.0
    run_duration: float = 0.0

    @property
    def cropping(self) -> bool:
        return self.cropping_parameters is not None

    def written_cropping_parameters(self) -> list[int]:
        """``[x1, x2, y1, y2]`` as the file holds it: the crop, or the whole frame ``[0, w, 0, h]``.

        DeepLabCut 3's ``create_labeled_video`` reads the four numbers whether or
        not ``cropping`` is true, so None is never written.
        """
        if self.cropping_parameters is not None:
            return [int(value) for value in self.cropping_parameters]
        width, height = self.frame_dimensions
        return [0, int(width), 0, int(height)]

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """DeepLabCut's ``{"data": {...}}``, keys in DeepLabCut's order and values of its plain types.

        NumPy scalars become Python ``int``/``float`` and ``frame_dimensions`` a
        tuple of two ints, as DeepLabCut 3 writes them.
        """
        width, height = self.frame_dimensions
        return {
            "data": {
                "start": float(self.start),
                "stop": float(self.stop),
                "run_duration": float(self.run_duration),
                "Scorer": str(self.scorer),
                "pytorch-config": self.pytorch_config,
                "fps": float(self.fps),
                "batch_size": int(self.batch_size),
                "frame_dimensions": (int(width), int(height)),
                "nframes": int(self.nframes),
                "iteration (active-learning)": int(self.iteration),
                "training set fraction": float(self.train_fraction),
                "cropping": self.cropping,
                "cropping_parameters": self.written_cropping_parameters(),
                "individuals": list(self.individuals),
                "bodyparts": list(self.bodyparts),
                "unique_bodyparts": list(self.unique_bodyparts),
            }
        }

    @classmethod
    def from_dict(cls, meta: dict[str, Any]) -> VideoAnalysisMetadata:
        """Read DeepLabCut's ``{"data": {...}}``; only ``nframes`` is required."""
        data = meta["data"]
        return cls(
            scorer=data.get("Scorer"),
            pytorch_config=data.get("pytorch-config"),
            fps=data.get("fps"),
            batch_size=data.get("batch_size"),
            frame_dimensions=data.get("frame_dimensions"),
            nframes=int(data["nframes"]),
            iteration=data.get("iteration (active-learning)"),
            train_fraction=data.get("training set fraction"),
            cropping_parameters=list(data["cropping_parameters"]) if data.get("cropping") else None,
            individuals=data.get("individuals"),
            bodyparts=data.get("bodyparts"),
            unique_bodyparts=data.get("unique_bodyparts"),
            start=data.get("start", 0.0),
            stop=data.get("stop", 0.0),
            run_duration=data.get("run_duration", 0.0),
        )


def write_meta_pickle(path: str | Path, meta: VideoAnalysisMetadata) -> None:
    """Pickle ``meta`` as DeepLabCut's ``_meta.pickle`` to ``path`` atomically."""
    write_pickle(path, meta.to_dict())


def read_meta_pickle(path: str | Path) -> VideoAnalysisMetadata:
    """Load a ``_meta.pickle`` written by DeepLabCut or :func:`write_meta_pickle`.

    Raises:
        MissingFileError: there is no file at ``path``.
    """
    return VideoAnalysisMetadata.from_dict(read_pickle(path))
