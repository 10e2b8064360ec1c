"""Poses as Neurodata Without Borders (NWB) files with the ``ndx-pose`` extension.

The layout DLC2NWB (DeepLabCut's converter) writes, on ndx-pose >= 0.2:
one file per animal, ``<analysis file stem>_<individual>.nwb``, holding

* an ``NWBFile`` (``session_description``: the project's Task,
  ``experimenter``: its scorer, ``identifier``: ``<scorer>_<individual>``);
* a processing module ``behavior`` with a ``Skeletons`` container holding one
  ``Skeleton`` named after the individual (nodes ``<individual>_<bodypart>``,
  edges: the config's ``skeleton`` pairs as node indices), and a
  ``PoseEstimation`` named ``PoseEstimation`` (``scorer``, ``source_software``
  ``DeepLabCut``) whose ``PoseEstimationSeries`` are named like the nodes:
  ``data`` ``(frames, 2)`` x, y in pixels, ``confidence`` ``(frames,)`` the
  likelihood, and the frame times in seconds (``rate`` = the video's fps from
  ``starting_time`` 0, or explicit ``timestamps`` when the frames are not
  ``0..n-1``);
* the analysed video, when known, as an external ``ImageSeries`` linked as
  the ``source_video``.

Missing points are NaN in ``data`` and ``confidence``. Single-animal tables are
written as the individual ``ind1`` (DLC2NWB's default). ``pynwb`` and
``ndx-pose`` are optional: ``pip install 'deeplabcut-torch[nwb]'``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from deeplabcut.errors import CorruptFileError, MissingDependencyError, MissingFileError
from deeplabcut.formats.pose_table import MULTI_ANIMAL_LEVELS, PREDICTION_COORDS
from deeplabcut.utils.atomic import atomic_path

#: The individual of a single-animal table (DLC2NWB's ``individual_name`` default).
SINGLE_ANIMAL_NWB_NAME = "ind1"
PROCESSING_MODULE = "behavior"
POSE_ESTIMATION_NAME = "PoseEstimation"
REFERENCE_FRAME = "(0,0) is the top-left corner of the analysed video frame; x points right, y points down, in pixels."
CONFIDENCE_DEFINITION = "Likelihood of the keypoint predicted by the DeepLabCut model (0 to 1)."
INSTALL_HINT = "Install the optional NWB support: pip install 'deeplabcut-torch[nwb]' (pynwb and ndx-pose)."


def require_nwb() -> tuple[Any, Any]:
    """Import ``pynwb`` and ``ndx_pose``.

    Raises:
        MissingDependencyError: one is missing, with the command that installs both.
    """
    try:
        import ndx_pose
        import pynwb
    except ImportError as err:
        raise MissingDependencyError(f"Writing or reading NWB files needs {err.name!r}. {INSTALL_HINT}") from err
    return pynwb, ndx_pose


@dataclass
class AnimalPoses:
    """One animal's poses, as one NWB file holds them.

    Attributes:
        individual: the animal's name.
        bodyparts: ``K`` names.
        poses: ``(frames, K, 3)`` x, y, likelihood in pixels, NaN where missing.
        frame_indices: ``(frames,)`` video frame of each row.
        edges: skeleton pairs as indices into ``bodyparts``.
    """

    individual: str
    bodyparts: list[str]
    poses: np.ndarray
    frame_indices: np.ndarray
    edges: list[tuple[int, int]] = field(default_factory=list)


def animals_of_dataframe(df: pd.DataFrame, skeleton: Sequence[Sequence[str]] = ()) -> list[AnimalPoses]:
    """Split a pose table into one :class:`AnimalPoses` per individual (``single`` included, as DLC2NWB does).

    The rows must be frame indices. ``skeleton`` pairs whose bodyparts an
    animal has become its edges.

    Raises:
        CorruptFileError: not a pose table with ``x, y, likelihood``, or rows that are not frame numbers.
    """
    columns = df.columns
    if not isinstance(columns, pd.MultiIndex) or columns.nlevels not in (3, 4) or "coords" not in columns.names:
        raise CorruptFileError(f"Expected a pose table (scorer/[individuals/]bodyparts/coords); got columns {list(getattr(columns, 'names', []))}.")
    if set(PREDICTION_COORDS) - set(columns.get_level_values("coords")):
        raise CorruptFileError(f"Expected coords {list(PREDICTION_COORDS)}; got {sorted(set(columns.get_level_values('coords')))}.")
    try:
        frame_indices = np.asarray(df.index, dtype=np.int64)
    except (TypeError, ValueError) as err:
        raise CorruptFileError("The rows of a video analysis are frame numbers; this table's are not.") from err
    frame = df.xs(columns.get_level_values(0)[0], axis=1, level=0)
    if columns.nlevels == 3:
        frame = pd.concat({SINGLE_ANIMAL_NWB_NAME: frame}, axis=1)
    animals = []
    for individual in dict.fromkeys(frame.columns.get_level_values(0)):
        own = frame[individual]
        bodyparts = list(dict.fromkeys(own.columns.get_level_values(0)))
        wanted = pd.MultiIndex.from_product([bodyparts, list(PREDICTION_COORDS)])
        poses = own.reindex(columns=wanted).to_numpy(dtype=np.float64, na_value=np.nan).reshape(len(df), len(bodyparts), 3)
        edges = [(bodyparts.index(a), bodyparts.index(b)) for a, b in skeleton if a in bodyparts and b in bodyparts]
        animals.append(AnimalPoses(str(individual), bodyparts, poses, frame_indices, edges))
    return animals


def write_pose_nwb(
    path: str | Path,
    animal: AnimalPoses,
    scorer: str,
    fps: float,
    session_description: str,
    experimenter: str | None = None,
    video: str | Path | None = None,
    frame_size: tuple[int, int] | None = None,
    source_software_version: str | None = None,
) -> Path:
    """Write one animal's poses as an NWB file (layout in the module docstring), atomically.

    Args:
        fps: frames per second of the video; frame ``i`` is at ``i / fps`` seconds.
        video: the analysed video, linked as an external ``ImageSeries``.
        frame_size: ``(width, height)`` of the video in pixels.

    Raises:
        MissingDependencyError: pynwb or ndx-pose is not installed.
    """
    pynwb, ndx_pose = require_nwb()
    from pynwb.image import ImageSeries

    if not fps or not np.isfinite(fps) or fps <= 0:
        raise CorruptFileError(f"Cannot write '{path}': the video's frame rate {fps!r} is not a positive number.")
    nwbfile = pynwb.NWBFile(
        session_description=session_description or "DeepLabCut pose estimation",
        identifier=f"{scorer}_{animal.individual}",
        session_start_time=datetime.now(timezone.utc),
        experimenter=[experimenter] if experimenter else None,
    )
    nodes = [f"{animal.individual}_{bodypart}" for bodypart in animal.bodyparts]
    edges = np.array(animal.edges, dtype=np.uint8 if len(nodes) < 256 else np.uint16).reshape(-1, 2)
    skeleton = ndx_pose.Skeleton(name=animal.individual, nodes=nodes, edges=edges)
    frames = np.asarray(animal.frame_indices)
    contiguous = len(frames) > 0 and np.array_equal(frames, np.arange(frames[0], frames[0] + len(frames)))
    timing: dict[str, Any] = (
        {"rate": float(fps), "starting_time": float(frames[0]) / fps} if contiguous else {"timestamps": frames / float(fps)}
    )
    series = []
    for k, node in enumerate(nodes):
        series.append(
            ndx_pose.PoseEstimationSeries(
                name=node,
                description=f"Keypoint {animal.bodyparts[k]} of individual {animal.individual}.",
                data=animal.poses[:, k, :2],
                unit="pixels",
                reference_frame=REFERENCE_FRAME,
                confidence=animal.poses[:, k, 2],
                confidence_definition=CONFIDENCE_DEFINITION,
                **timing,
            )
        )
    source_video = None
    if video is not None:
        source_video = ImageSeries(
            name="video",
            description="The analysed video.",
            external_file=[str(video)],
            format="external",
            starting_frame=[0],
            rate=float(fps),
            num_samples=len(frames),
            dimension=list(frame_size) if frame_size is not None else None,
        )
        nwbfile.add_acquisition(source_video)
    pose_estimation = ndx_pose.PoseEstimation(
        name=POSE_ESTIMATION_NAME,
        pose_estimation_series=series,
        description="2D keypoint coordinates estimated with DeepLabCut.",
        scorer=scorer,
        source_software="DeepLabCut",
        source_software_version=source_software_version,
        skeleton=skeleton,
        source_video=source_video,
    )
    behavior = nwbfile.create_processing_module(name=PROCESSING_MODULE, description="processed behavioral data")
    behavior.add(ndx_pose.Skeletons(skeletons=[skeleton]))
    behavior.add(pose_estimation)
    path = Path(path)
    with atomic_path(path) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pynwb.NWBHDF5IO(str(tmp), mode="w") as io:
            io.write(nwbfile)
    return path


@dataclass
class NWBPoses:
    """What :func:`read_pose_nwb` reads back: one animal, its scorer and its frame times in seconds."""

    animal: AnimalPoses
    scorer: str | None
    timestamps: np.ndarray
    fps: float | None

    def dataframe(self) -> pd.DataFrame:
        """The poses as a multi-animal pose table (``scorer/individuals/bodyparts/coords``), rows = frames."""
        columns = pd.MultiIndex.from_product(
            [[self.scorer or "scorer"], [self.animal.individual], self.animal.bodyparts, list(PREDICTION_COORDS)],
            names=MULTI_ANIMAL_LEVELS,
        )
        values = self.animal.poses.reshape(len(self.animal.poses), -1)
        return pd.DataFrame(values, index=pd.Index(self.animal.frame_indices), columns=columns)


def read_pose_nwb(path: str | Path) -> NWBPoses:
    """Read a file :func:`write_pose_nwb` (or DLC2NWB) wrote: the ``PoseEstimation`` of module ``behavior``.

    Frame numbers are the frame times times the frame rate: the series' ``rate``,
    else the source video's, else the median spacing of the timestamps.

    Raises:
        MissingFileError: no file at ``path``.
        CorruptFileError: the file has no ``behavior/PoseEstimation``.
        MissingDependencyError: pynwb or ndx-pose is not installed.
    """
    pynwb, _ = require_nwb()
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"'{path}' does not exist.")
    with pynwb.NWBHDF5IO(str(path), mode="r", load_namespaces=True) as io:
        nwbfile = io.read()
        try:
            pose_estimation = nwbfile.processing[PROCESSING_MODULE][POSE_ESTIMATION_NAME]
        except KeyError as err:
            raise CorruptFileError(f"'{path}' has no {PROCESSING_MODULE}/{POSE_ESTIMATION_NAME}: not a DeepLabCut NWB file.") from err
        skeleton = pose_estimation.skeleton
        nodes = list(skeleton.nodes[:]) if skeleton is not None else list(pose_estimation.pose_estimation_series)
        individual = _individual_of(nodes, skeleton.name if skeleton is not None else None)
        prefix = f"{individual}_"
        bodyparts = [node[len(prefix) :] if node.startswith(prefix) else node for node in nodes]
        first = pose_estimation.pose_estimation_series[nodes[0]]
        poses = np.stack(
            [
                np.column_stack([np.asarray(s.data[:], dtype=np.float64), np.asarray(s.confidence[:], dtype=np.float64)])
                for s in (pose_estimation.pose_estimation_series[node] for node in nodes)
            ],
            axis=1,
        )
        video = pose_estimation.source_video
        if first.rate is not None:
            fps = float(first.rate)
            timestamps = (first.starting_time or 0.0) + np.arange(len(poses)) / fps
        else:
            timestamps = np.asarray(first.timestamps[:], dtype=np.float64)
            if video is not None and video.rate:
                fps = float(video.rate)
            else:  # DLC2NWB's files: the frame rate is the typical spacing of the frame times
                fps = float(1.0 / np.median(np.diff(timestamps))) if len(timestamps) > 1 else None
        frame_indices = np.rint(timestamps * fps).astype(np.int64) if fps else np.arange(len(poses))
        edges = [tuple(int(i) for i in edge) for edge in skeleton.edges[:]] if skeleton is not None and skeleton.edges is not None else []
        animal = AnimalPoses(individual, bodyparts, poses, frame_indices, edges)
        return NWBPoses(animal, pose_estimation.scorer, timestamps, fps)


def _individual_of(nodes: list[str], skeleton_name: str | None) -> str:
    """The individual of nodes named ``<individual>_<bodypart>``.

    The skeleton's name when every node starts with it (files written here);
    else the nodes' common prefix up to its last ``_`` (DLC2NWB's files before
    ndx-pose 0.2, whose skeleton ndx-pose names ``subject``).
    """
    if skeleton_name and all(node.startswith(f"{skeleton_name}_") for node in nodes):
        return skeleton_name
    common = os.path.commonprefix(nodes) if len(nodes) > 1 else nodes[0].split("_")[0] + "_"
    return common[: common.rfind("_")] if "_" in common else (skeleton_name or SINGLE_ANIMAL_NWB_NAME)
