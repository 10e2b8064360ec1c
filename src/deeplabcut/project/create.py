"""Creating a project and adding videos to it."""

from __future__ import annotations

import datetime as dt
import shutil
import warnings
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from deeplabcut.errors import ConfigError, MissingFileError, VideoError
from deeplabcut.project.config import DEFAULTS, check_name, format_crop, read_config, write_config
from deeplabcut.utils.yaml_io import round_trip_yaml
from deeplabcut.video.reader import VIDEO_EXTENSIONS, VideoReader

MONTHS_3LETTER = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

CONFIG_TEMPLATE = """\
# Project definitions (do not edit)
Task:
scorer:
date:
multianimalproject:
identity:

# Project path (change when moving around)
project_path:

# Default DeepLabCut engine to use for shuffle creation (either pytorch or tensorflow)
engine: pytorch

# Annotation data set configuration (and individual video cropping parameters)
video_sets:
bodyparts:

# Fraction of video to start/stop when extracting frames for labeling/refinement
start:
stop:
numframes2pick:

# Plotting configuration
skeleton:
skeleton_color:
pcutoff:
dotsize:
alphavalue:
colormap:

# Training,Evaluation and Analysis configuration
TrainingFraction:
iteration:
default_net_type:
default_augmenter:
snapshotindex:
detector_snapshotindex:
batch_size:
detector_batch_size:

# Cropping Parameters (for analysis and outlier frame detection)
cropping:
#if cropping is true for analysis, then set the values here:
x1:
x2:
y1:
y2:

# Refinement configuration (parameters from annotation dataset configuration also relevant in this stage)
corner2move2:
move2corner:
"""

MULTIANIMAL_TEMPLATE_KEYS = ("individuals", "uniquebodyparts", "multianimalbodyparts")


def config_date(day: dt.date) -> str:
    """DeepLabCut's ``date`` value: 3-letter month and unpadded day, ``Nov24``."""
    return f"{MONTHS_3LETTER[day.month - 1]}{day.day}"


def find_videos(videos: list[str | Path] | str | Path, videotype: str = "") -> list[Path]:
    """Expand files and folders into a sorted list of video files.

    Folders contribute their files whose extension is ``videotype`` (e.g.
    ``".mp4"``) or, when it is empty, any of DeepLabCut's video extensions.

    Raises:
        MissingFileError: a path does not exist, or a folder holds no video.
    """
    if isinstance(videos, (str, Path)):
        videos = [videos]
    if videotype:
        extensions = {videotype.lower() if videotype.startswith(".") else f".{videotype.lower()}"}
    else:
        extensions = {f".{extension}" for extension in VIDEO_EXTENSIONS}
    found: list[Path] = []
    for entry in videos:
        path = Path(entry).expanduser()
        if path.is_dir():
            in_folder = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in extensions)
            if not in_folder:
                raise MissingFileError(
                    f"Folder '{path}' holds no video with extension {sorted(extensions)}. "
                    "Pass the video files themselves or set videotype."
                )
            found.extend(in_folder)
        elif path.is_file():
            found.append(path)
        else:
            raise MissingFileError(f"Video '{path}' does not exist. Check the path.")
    return found


def create_new_project(
    project: str,
    experimenter: str,
    videos: list[str | Path] | str | Path,
    working_directory: str | Path | None = None,
    copy_videos: bool = False,
    videotype: str = "",
    multianimal: bool = False,
    individuals: list[str] | None = None,
) -> str:
    """Create ``<project>-<experimenter>-<YYYY-MM-DD>/`` with its ``config.yaml``.

    The project gets ``videos/`` (links to the videos, or copies with
    ``copy_videos=True``), ``labeled-data/<video stem>/`` per video,
    ``training-datasets/`` and ``dlc-models/``. Every video is opened first;
    nothing is created if one cannot be read.

    Returns:
        The path of the new ``config.yaml``. If the project folder already
        exists, it is left untouched and its config path is returned (with a
        warning).

    Raises:
        MissingFileError: a video path does not exist.
        VideoError: a video cannot be opened.
        ConfigError: the project or experimenter name (or an individual) cannot be part of a folder name.
    """
    for name, value in (("project", project), ("experimenter", experimenter)):
        check_name(value, name, "create_new_project")
    for individual in individuals or []:
        check_name(individual, "individuals", "create_new_project")
    today = dt.date.today()
    working_directory = Path(working_directory or ".").expanduser().resolve()
    project_path = working_directory / f"{project}-{experimenter}-{today.isoformat()}"
    config_path = project_path / "config.yaml"
    if project_path.exists():
        warnings.warn(f"Project '{project_path}' already exists; it was left unchanged.", stacklevel=2)
        return str(config_path)

    video_files = find_videos(videos, videotype)
    sizes = {video: _video_size(video) for video in video_files}  # opens every video first

    for folder in ("videos", "labeled-data", "training-datasets", "dlc-models"):
        (project_path / folder).mkdir(parents=True, exist_ok=True)
    video_sets = _place_videos(project_path, sizes, copy_videos)

    cfg = round_trip_yaml().load(CONFIG_TEMPLATE)
    template_keys = set(cfg) - {"Task", "scorer", "date", "project_path", "video_sets", "bodyparts", "skeleton"}
    values: dict[str, Any] = {key: DEFAULTS[key] for key in cfg if key in template_keys and key in DEFAULTS}
    values.update(
        {
            "Task": project,
            "scorer": experimenter,
            "date": config_date(today),
            "multianimalproject": multianimal,
            "identity": False if multianimal else None,
            "project_path": str(project_path),
            "video_sets": video_sets,
            "TrainingFraction": [0.95],
        }
    )
    if multianimal:
        values["bodyparts"] = "MULTI!"
        values["individuals"] = individuals or ["individual1", "individual2", "individual3"]
        values["uniquebodyparts"] = []
        values["multianimalbodyparts"] = ["bodypart1", "bodypart2", "bodypart3"]
        values["skeleton"] = [["bodypart1", "bodypart2"], ["bodypart2", "bodypart3"], ["bodypart1", "bodypart3"]]
        values["default_track_method"] = "ellipse"
    else:
        values["bodyparts"] = ["bodypart1", "bodypart2", "bodypart3", "objectA"]
        values["skeleton"] = [["bodypart1", "bodypart2"], ["objectA", "bodypart3"]]
    _fill_template(cfg, values)
    write_config(config_path, cfg)
    return str(config_path)


def _fill_template(cfg: CommentedMap, values: dict[str, Any]) -> None:
    """Set template keys in place (keeping their comments); insert extra keys after ``bodyparts``."""
    insert_at = list(cfg.keys()).index("bodyparts") + 1
    for key, value in values.items():
        if key in cfg:
            cfg[key] = value
        else:
            cfg.insert(insert_at, key, value)
            insert_at += 1


def _video_size(video: Path) -> tuple[int, int]:
    """``(width, height)`` of a video whose first frame decodes.

    Raises:
        VideoError: the video cannot be opened or holds no readable frame.
    """
    with VideoReader(video) as reader:
        try:
            reader.read_frame(0)
        except (VideoError, IndexError) as err:
            raise VideoError(
                f"Video '{video}' holds no readable frame. Check the file, or re-encode it "
                "(e.g. ffmpeg -i in.avi -c:v libx264 out.mp4)."
            ) from err
        return reader.width, reader.height


def _place_videos(project_path: Path, sizes: dict[Path, tuple[int, int]], copy_videos: bool) -> CommentedMap:
    video_sets = CommentedMap()
    for video, (width, height) in sizes.items():
        target = project_path / "videos" / video.name
        if not target.exists():
            if copy_videos:
                shutil.copy2(video, target)
            else:
                try:
                    target.symlink_to(video.resolve())
                except OSError:  # file systems without symlinks (e.g. some Windows setups)
                    shutil.copy2(video, target)
        (project_path / "labeled-data" / video.stem).mkdir(parents=True, exist_ok=True)
        entry = CommentedMap()
        entry["crop"] = format_crop(0, width, 0, height)
        video_sets[str(target)] = entry
    return video_sets


def add_new_videos(
    config: str | Path,
    videos: list[str | Path] | str | Path,
    copy_videos: bool = False,
    coords: list[tuple[int, int, int, int]] | None = None,
    videotype: str = "",
) -> list[str]:
    """Add videos to an existing project: link/copy them into ``videos/`` and list them in ``video_sets``.

    ``coords`` optionally gives one crop ``(x1, x2, y1, y2)`` per video.
    Videos already in the project are skipped. Returns the added video paths.
    """
    cfg = read_config(config)
    project_path = Path(cfg["project_path"])
    video_files = find_videos(videos, videotype)
    if coords is not None and len(coords) != len(video_files):
        raise ConfigError(f"Got {len(coords)} crop coords for {len(video_files)} videos; give one per video.")
    known = {Path(str(v)).name for v in cfg["video_sets"]}
    new = [video for video in video_files if video.name not in known]
    sizes = {video: _video_size(video) for video in new}
    added = _place_videos(project_path, sizes, copy_videos)
    for i, (path, entry) in enumerate(added.items()):
        if coords is not None:
            entry["crop"] = format_crop(*coords[video_files.index(new[i])])
        cfg["video_sets"][path] = entry
    write_config(Path(cfg["project_path"]) / "config.yaml", cfg)
    return list(added.keys())
