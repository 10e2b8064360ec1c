"""Reading, checking and writing a project's ``config.yaml``.

The file is read with ruamel.yaml in round-trip mode, so a later write keeps the
user's comments and key order. Reading never changes the file on disk: the
``project_path`` of a moved project and DeepLabCut's demo placeholders are
repaired in the returned mapping only.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from deeplabcut.errors import ConfigError, MissingFileError
from deeplabcut.utils.yaml_io import read_yaml, write_yaml

#: Text that DeepLabCut's demo projects hold in place of real paths.
PLACEHOLDER_TEXT = "WILL BE AUTOMATICALLY UPDATED"
#: The ``bodyparts`` value of multi-animal projects.
MULTI_BODYPARTS = "MULTI!"

REQUIRED_KEYS = ("Task", "scorer", "date", "video_sets", "bodyparts", "TrainingFraction")
MULTIANIMAL_KEYS = ("individuals", "multianimalbodyparts")

#: Defaults of optional keys, as ``create_new_project`` writes them.
DEFAULTS: dict[str, Any] = {
    "iteration": 0,
    "multianimalproject": False,
    "identity": None,
    "engine": "pytorch",
    "uniquebodyparts": [],
    "start": 0,
    "stop": 1,
    "numframes2pick": 20,
    "skeleton": [],
    "skeleton_color": "black",
    "pcutoff": 0.6,
    "dotsize": 12,
    "alphavalue": 0.7,
    "colormap": "rainbow",
    "default_net_type": "dekr_32",
    "default_augmenter": "albumentations",
    "default_track_method": "ellipse",
    "snapshotindex": -1,
    "detector_snapshotindex": -1,
    "batch_size": 8,
    "detector_batch_size": 1,
    "cropping": False,
    "x1": 0,
    "x2": 640,
    "y1": 277,
    "y2": 624,
    "corner2move2": [50, 50],
    "move2corner": True,
}


def read_config(config_path: str | Path) -> CommentedMap:
    """Read and check a project's ``config.yaml``.

    The returned mapping keeps comments and key order (pass it to
    :func:`write_config` to save edits). Missing optional keys are filled with
    DeepLabCut's defaults, ``project_path`` is set to the folder that holds the
    file, and DeepLabCut's demo placeholders in ``video_sets`` become one entry
    ``<project>/videos/<name>.mp4`` per folder of ``labeled-data/``. Reading
    never writes; functions that change the config on purpose
    (``add_new_videos``, or ``create_training_dataset`` adding a training
    fraction) save it with these repairs and filled-in defaults.

    Raises:
        MissingFileError: the file does not exist.
        ConfigError: a required key is missing or a value is malformed.
    """
    config_path = Path(config_path).resolve()
    if config_path.is_dir():
        config_path = config_path / "config.yaml"
    if not config_path.is_file():
        raise MissingFileError(
            f"Project config '{config_path}' does not exist. Pass the path of the "
            "config.yaml that create_new_project returned."
        )
    cfg = read_yaml(config_path)
    if not isinstance(cfg, dict):
        raise ConfigError(
            f"'{config_path}' does not hold a mapping of keys to values; it is not a "
            "DeepLabCut project config."
        )
    for key, value in DEFAULTS.items():
        if cfg.get(key) is None and not (key == "identity" and key in cfg):
            cfg[key] = value
    cfg["project_path"] = str(config_path.parent)
    _replace_video_placeholders(cfg, config_path.parent)
    validate_config(cfg, config_path)
    return cfg


def write_config(config_path: str | Path, cfg: dict[str, Any]) -> None:
    """Write ``cfg`` to ``config_path`` atomically, keeping comments if ``cfg`` came from :func:`read_config`."""
    write_yaml(config_path, cfg)


def validate_config(cfg: dict[str, Any], config_path: str | Path) -> None:
    """Check the keys and values that the workflow relies on.

    Raises:
        ConfigError: naming the file, the key, what was expected and how to fix it.
    """
    where = f"'{config_path}'"
    missing = [key for key in REQUIRED_KEYS if key not in cfg or cfg[key] is None]
    if is_multianimal(cfg):
        missing += [key for key in MULTIANIMAL_KEYS if not cfg.get(key)]
    if missing:
        raise ConfigError(
            f"{where} is missing the key(s) {', '.join(missing)}. Add them (see a config.yaml "
            "written by deeplabcut.create_new_project for the layout)."
        )
    for key in ("Task", "scorer"):
        if not isinstance(cfg[key], str) or not cfg[key].strip():
            raise ConfigError(f"{where}: '{key}' must be a non-empty text, not {cfg[key]!r}.")
    for key in ("Task", "scorer", "date"):
        check_name(cfg[key], key, where)
    if not isinstance(cfg["video_sets"], dict):
        raise ConfigError(
            f"{where}: 'video_sets' must map each video path to {{crop: 'x1, x2, y1, y2'}}, "
            f"not {type(cfg['video_sets']).__name__}."
        )
    for video, entry in cfg["video_sets"].items():
        if not isinstance(entry, dict) or "crop" not in entry:
            raise ConfigError(
                f"{where}: video_sets entry '{video}' needs a 'crop' value such as "
                "'0, 640, 0, 480' (x1, x2, y1, y2)."
            )
        parse_crop(entry["crop"], f"{where} video_sets['{video}'].crop")

    fractions = cfg["TrainingFraction"]
    if not isinstance(fractions, list) or not fractions:
        raise ConfigError(f"{where}: 'TrainingFraction' must be a list such as [0.95], not {fractions!r}.")
    for fraction in fractions:
        if not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
            raise ConfigError(
                f"{where}: TrainingFraction value {fraction!r} must be a number between 0 and 1 "
                "(exclusive), e.g. 0.95."
            )
        if not math.isclose(round(fraction, 2), fraction, abs_tol=1e-9):
            raise ConfigError(
                f"{where}: TrainingFraction value {fraction!r} has more than 2 decimals; "
                "DeepLabCut names folders by int(100 * fraction). Use e.g. 0.95."
            )
    for key in ("iteration",):
        if not isinstance(cfg[key], int) or cfg[key] < 0:
            raise ConfigError(f"{where}: '{key}' must be a non-negative integer, not {cfg[key]!r}.")
    pcutoff = cfg["pcutoff"]
    if not isinstance(pcutoff, (int, float)) or not 0 <= pcutoff <= 1:
        raise ConfigError(f"{where}: 'pcutoff' must be a number in [0, 1], not {pcutoff!r}.")

    names: dict[str, list[str]] = {}
    if is_multianimal(cfg):
        names["multianimalbodyparts"] = _name_list(cfg, "multianimalbodyparts", where)
        names["uniquebodyparts"] = _name_list(cfg, "uniquebodyparts", where, allow_empty=True)
        names["individuals"] = _name_list(cfg, "individuals", where)
        if "single" in names["individuals"]:
            raise ConfigError(
                f"{where}: 'single' cannot be an individual's name; DeepLabCut uses it for unique "
                "bodyparts. Rename that individual."
            )
        overlap = set(names["multianimalbodyparts"]) & set(names["uniquebodyparts"])
        if overlap:
            raise ConfigError(
                f"{where}: bodypart(s) {sorted(overlap)} are listed both in multianimalbodyparts "
                "and uniquebodyparts; keep each in one list."
            )
    else:
        names["bodyparts"] = _name_list(cfg, "bodyparts", where)
    all_bodyparts = get_bodyparts(cfg) + get_unique_bodyparts(cfg)
    skeleton = cfg.get("skeleton") or []
    if not isinstance(skeleton, list):
        raise ConfigError(f"{where}: 'skeleton' must be a list of pairs [bodypart1, bodypart2], not {skeleton!r}.")
    for pair in skeleton:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ConfigError(f"{where}: skeleton entries must be pairs [bodypart1, bodypart2], not {pair!r}.")
        unknown = [name for name in pair if name not in all_bodyparts]
        if unknown:
            raise ConfigError(
                f"{where}: skeleton pair {list(pair)} names {unknown}, which are not bodyparts of "
                f"this project ({all_bodyparts}). Fix the name or remove the pair."
            )


#: Characters no file name may hold on some system DeepLabCut runs on (Windows' list, plus both separators).
FORBIDDEN_NAME_CHARACTERS = frozenset('/\\:*?"<>|')


def check_name(value: Any, key: str, where: str = "config.yaml") -> str:
    """Check that a project name (``Task``, ``scorer``, ``date``, a bodypart or individual) can be part of a file name.

    DeepLabCut builds paths from these names (``training-datasets/iteration-0/
    UnaugmentedDataSet_<Task><date>/``, ``CollectedData_<scorer>.h5``...), so a
    name holding a path separator, ``..``, NUL or another character that a file
    name cannot hold would write outside the project or fail on some systems.

    Returns:
        The name as text.

    Raises:
        ConfigError: naming ``where``, the key and the value.
    """
    text = str(value)
    bad = sorted({ch for ch in text if ch in FORBIDDEN_NAME_CHARACTERS or ord(ch) < 32})
    if bad or ".." in text or not text.strip():
        shown = ", ".join(repr(ch) for ch in bad) if bad else ("'..'" if ".." in text else "only spaces")
        raise ConfigError(
            f"{where}: '{key}' value {text!r} cannot be used in file and folder names (it holds {shown}). "
            "DeepLabCut builds paths from it; use letters, digits, spaces, '-', '_' or single dots, "
            "without '/', '\\', '..', ':' or control characters."
        )
    return text


def _name_list(cfg: dict[str, Any], key: str, where: str, allow_empty: bool = False) -> list[str]:
    value = cfg.get(key)
    if value is None and allow_empty:
        return []
    if not isinstance(value, list) or (not value and not allow_empty):
        raise ConfigError(f"{where}: '{key}' must be a list of names, not {value!r}.")
    names = [str(name) for name in value]
    for name in names:
        check_name(name, key, where)
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"{where}: '{key}' lists {duplicates} more than once; names must be unique.")
    return names


def is_multianimal(cfg: dict[str, Any]) -> bool:
    """Whether the project is a multi-animal (maDLC) project."""
    return bool(cfg.get("multianimalproject"))


def get_bodyparts(cfg: dict[str, Any]) -> list[str]:
    """The bodyparts every individual has (``multianimalbodyparts`` or ``bodyparts``)."""
    if is_multianimal(cfg):
        return [str(name) for name in cfg["multianimalbodyparts"]]
    return [str(name) for name in cfg["bodyparts"]]


def get_unique_bodyparts(cfg: dict[str, Any]) -> list[str]:
    """Bodyparts that exist once per frame (multi-animal projects only)."""
    if not is_multianimal(cfg):
        return []
    return [str(name) for name in cfg.get("uniquebodyparts") or []]


def get_individuals(cfg: dict[str, Any]) -> list[str]:
    """Names of the individuals; ``["animal"]`` for single-animal projects."""
    if not is_multianimal(cfg):
        return ["animal"]
    return [str(name) for name in cfg["individuals"]]


#: The trackers this package runs (DeepLabCut's files also name ``skeleton`` and ``transformer``).
TRACKERS = ("ellipse", "box")


def get_track_method(cfg: dict[str, Any], track_method: str = "", allowed: tuple[str, ...] = TRACKERS) -> str:
    """The tracker of a multi-animal step: ``track_method``, else config.yaml's ``default_track_method``, else ellipse.

    Raises:
        ConfigError: the method is not one of ``allowed``.
    """
    method = track_method or cfg.get("default_track_method") or "ellipse"
    if method not in allowed:
        raise ConfigError(f"track_method must be one of {', '.join(repr(m) for m in allowed)}, not {method!r}.")
    return method


def parse_crop(crop: Any, where: str = "crop") -> tuple[int, int, int, int]:
    """Parse DeepLabCut's crop string ``"x1, x2, y1, y2"`` (or a list) into integers."""
    try:
        if isinstance(crop, str):
            values = [int(round(float(part))) for part in crop.split(",")]
        else:
            values = [int(round(float(part))) for part in crop]
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{where}: {crop!r} is not 'x1, x2, y1, y2' (four numbers).") from err
    if len(values) != 4:
        raise ConfigError(f"{where}: {crop!r} must hold four numbers 'x1, x2, y1, y2'.")
    x1, x2, y1, y2 = values
    if x2 <= x1 or y2 <= y1:
        raise ConfigError(f"{where}: {crop!r} must have x1 < x2 and y1 < y2.")
    return x1, x2, y1, y2


def format_crop(x1: int, x2: int, y1: int, y2: int) -> str:
    """DeepLabCut's crop string for ``video_sets``: ``"0, 640, 0, 480"``."""
    return f"{x1}, {x2}, {y1}, {y2}"


def video_stems(cfg: dict[str, Any]) -> list[str]:
    """Stems of the videos in ``video_sets``, duplicates removed, in config order.

    Labeled frames of video ``<path>/<stem>.<ext>`` live in ``labeled-data/<stem>``.
    """
    stems: list[str] = []
    for video in cfg["video_sets"]:
        stem = Path(str(video).replace("\\", "/")).stem
        if stem not in stems:
            stems.append(stem)
    return stems


def _replace_video_placeholders(cfg: dict[str, Any], project_path: Path) -> None:
    video_sets = cfg.get("video_sets")
    if not isinstance(video_sets, dict):
        return
    placeholders = [video for video in video_sets if PLACEHOLDER_TEXT in str(video)]
    if not placeholders:
        return
    crop = video_sets[placeholders[0]].get("crop") if isinstance(video_sets[placeholders[0]], dict) else None
    for video in placeholders:
        del video_sets[video]
    labeled = project_path / "labeled-data"
    folders = sorted(p.name for p in labeled.iterdir() if p.is_dir()) if labeled.is_dir() else []
    for folder in folders:
        if folder.endswith("_labeled"):
            continue
        entry = CommentedMap()
        entry["crop"] = crop if crop is not None else "0, 640, 0, 480"
        video_sets[str(project_path / "videos" / f"{folder}.mp4")] = entry
