"""``analyze_videos_converth5_to_csv`` and ``analyze_videos_converth5_to_nwb``: analysis files to other formats.

Both look, for each video, at the ``.h5`` files beside it whose name is the
video's stem followed by a DeepLabCut scorer (``<video>DLC_...h5``: poses,
tracks, filtered, skeleton files) and convert each of them:

* csv: ``<file stem>.csv`` beside it, as ``pandas.DataFrame.to_csv`` writes it
  (one header row per column level), as DeepLabCut does;
* NWB: one ``<file stem>_<individual>.nwb`` per animal of each pose or tracks
  file (skeleton tables are not poses and are skipped), in DLC2NWB's layout
  (:mod:`deeplabcut.formats.nwb`), frame times from the video's fps.

Neither needs torch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from deeplabcut.errors import ConfigError, MissingFileError
from deeplabcut.formats import analysis
from deeplabcut.formats.nwb import animals_of_dataframe, require_nwb, write_pose_nwb
from deeplabcut.project.config import read_config
from deeplabcut.project.paths import is_analysis_file_of, nwb_path
from deeplabcut.utils.atomic import write_text_atomic
from deeplabcut.video.reader import VideoReader

log = logging.getLogger("deeplabcut")

#: Labeled videos are outputs, not videos to convert the analysis of.
LABELED_VIDEO_MARK = "_labeled"


def videos_and_analysis_files(
    video_folder: str | Path | Sequence[str | Path], videotype: str = ".mp4", listofvideos: bool = False
) -> list[tuple[Path, list[Path]]]:
    """Each video with the DeepLabCut ``.h5`` files written for it, as DeepLabCut's converters find them.

    Args:
        video_folder: a folder of videos and their analysis files, or (with
            ``listofvideos``) a list of videos, whose ``.h5`` files are looked
            for in the folder of the first.
        videotype: the videos' extension in a folder (e.g. ``.mp4``).

    Raises:
        MissingFileError: the folder (or a listed video) does not exist.
    """
    if listofvideos:
        videos = [Path(video) for video in ([video_folder] if isinstance(video_folder, (str, Path)) else video_folder)]
        missing = [str(video) for video in videos if not video.is_file()]
        if missing:
            raise MissingFileError(f"Video(s) {missing} do not exist. Check the paths.")
        folder = videos[0].parent if videos else None
    else:
        folder = Path(video_folder)
        if not folder.is_dir():
            raise MissingFileError(f"'{folder}' is not a folder. Pass the folder holding the videos and their .h5 files.")
        extension = videotype if videotype.startswith(".") or not videotype else f".{videotype}"
        videos = sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(extension.lower()))
    if folder is None:
        return []
    h5_files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".h5")
    found = []
    for video in videos:
        if LABELED_VIDEO_MARK in video.stem:
            continue
        found.append((video, [h5 for h5 in h5_files if is_analysis_file_of(h5, video.stem)]))
    return found


def analyze_videos_converth5_to_csv(
    video_folder: str | Path | Sequence[str | Path], videotype: str = ".mp4", listofvideos: bool = False
) -> list[Path]:
    """Write a ``.csv`` beside every DeepLabCut ``.h5`` of the videos in ``video_folder``.

    Args:
        video_folder: folder of the videos and their ``.h5`` files (or a list of
            videos with ``listofvideos=True``).
        videotype: only videos with this extension are looked at.

    Returns:
        The ``.csv`` files written (existing ones are replaced: they are copies of the ``.h5``).
    """
    written = []
    for video, h5_files in videos_and_analysis_files(video_folder, videotype, listofvideos):
        for h5 in h5_files:
            csv = h5.with_suffix(".csv")
            write_text_atomic(csv, analysis.read_analysis(h5).to_csv())
            log.info("Converted %s -> %s", h5.name, csv.name)
            written.append(csv)
    if not written:
        log.info("No DeepLabCut .h5 files found for %s videos in %s.", videotype or "any", video_folder)
    return written


def analyze_videos_converth5_to_nwb(
    config: str | Path,
    video_folder: str | Path | Sequence[str | Path],
    videotype: str = ".mp4",
    listofvideos: bool = False,
) -> list[Path]:
    """Write NWB files (ndx-pose) for every DeepLabCut pose or tracks ``.h5`` of the videos in ``video_folder``.

    One ``<h5 stem>_<individual>.nwb`` per animal (``ind1`` for single-animal
    files), with the config's ``skeleton`` as edges, frame times from the
    video's fps, and the video linked as the source video.

    Args:
        config: the project's ``config.yaml`` (Task, scorer, skeleton).
        video_folder: folder of the videos and their ``.h5`` files (or a list of
            videos with ``listofvideos=True``).
        videotype: only videos with this extension are looked at.

    Returns:
        The NWB files written.

    Raises:
        MissingDependencyError: pynwb or ndx-pose is not installed (checked before anything is written).
    """
    require_nwb()
    cfg = read_config(config)
    skeleton = cfg.get("skeleton") or []
    if any(len(pair) != 2 for pair in skeleton):
        raise ConfigError(f"'{config}': 'skeleton' must be a list of bodypart pairs; got {skeleton!r}.")
    try:
        software_version = version("deeplabcut-torch")
    except PackageNotFoundError:
        software_version = None
    written = []
    for video, h5_files in videos_and_analysis_files(video_folder, videotype, listofvideos):
        pose_files = []
        for h5 in h5_files:
            df = analysis.read_analysis(h5)
            if "coords" in (df.columns.names or []):
                pose_files.append((h5, df))
        if not pose_files:
            continue
        with VideoReader(video) as reader:
            fps, frame_size = reader.fps, reader.frame_size
        for h5, df in pose_files:
            scorer = h5.stem[len(video.stem) :]
            for animal in animals_of_dataframe(df, skeleton):
                path = write_pose_nwb(
                    nwb_path(h5, animal.individual),
                    animal,
                    scorer=scorer,
                    fps=fps,
                    session_description=str(cfg.get("Task", "")),
                    experimenter=cfg.get("scorer"),
                    video=video,
                    frame_size=frame_size,
                    source_software_version=software_version,
                )
                log.info("Converted %s -> %s", h5.name, path.name)
                written.append(path)
    if not written:
        log.info("No DeepLabCut pose .h5 files found for %s videos in %s.", videotype or "any", video_folder)
    return written
