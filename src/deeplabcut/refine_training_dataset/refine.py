"""``refine_labels`` (correct machine labels in napari-deeplabcut) and ``merge_datasets`` (start the next iteration).

After ``extract_outlier_frames`` a folder ``labeled-data/<video>/`` holds the
outlier images and ``machinelabels-iter<N>.h5``. napari-deeplabcut opens both;
when the user saves, it writes the corrected points to
``CollectedData_<scorer>.h5`` (config scorer, merged with the hand labels
already there) and leaves the machine file as it was. ``merge_datasets`` then
checks that every folder is labeled and every machine-labeled frame of this
iteration was corrected, folds the refined labels of DeepLabCut 2's
refinement GUI (``MachineLabelsRefine.h5``) into ``CollectedData_<scorer>.h5``
where a folder has them, and raises config.yaml's ``iteration`` by one, so
that the next ``create_training_dataset`` writes ``iteration-<N+1>`` folders.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from deeplabcut.errors import ConfigError, LabelError, MissingFileError
from deeplabcut.formats.collected_data import (
    check_labels_match,
    normalize_collected_data,
    read_collected_data,
    three_level_index,
    write_collected_data,
)
from deeplabcut.formats.machine_labels import read_machine_labels
from deeplabcut.project.config import get_bodyparts, get_individuals, get_unique_bodyparts, is_multianimal, read_config, write_config
from deeplabcut.project.paths import REFINED_MACHINE_LABELS_FILENAME, collected_data_filename, machine_labels_filename
from deeplabcut.utils.hdf import read_hdf
from deeplabcut.utils.yaml_io import read_yaml

#: The one line ``refine_labels`` prints when napari-deeplabcut is not installed.
GUI_INSTALL_HINT = 'refine_labels needs napari and napari-deeplabcut: pip install "deeplabcut-torch[gui]"'


def gui_available() -> bool:
    """Whether napari and the napari-deeplabcut plugin are installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("napari", "napari_deeplabcut"))


def labeled_data_folders(project_path: str | Path) -> list[Path]:
    """``labeled-data/<video>`` folders, sorted, without ``check_labels``' ``*_labeled`` folders and hidden ones."""
    root = Path(project_path) / "labeled-data"
    if not root.is_dir():
        return []
    return sorted(
        path for path in root.iterdir() if path.is_dir() and not path.name.endswith("_labeled") and not path.name.startswith(".")
    )


def refine_labels(config: str | Path, image_folder: str | None = None) -> object | None:
    """Open napari with napari-deeplabcut on a folder of machine labels to correct.

    Without ``image_folder``, opens the first folder of ``labeled-data`` whose
    machine labels of this iteration are not all corrected yet (else the first
    folder). In napari, move the points that are wrong and save (Ctrl+S): the
    corrections go to ``CollectedData_<scorer>.h5`` of that folder. Then run
    ``merge_datasets``.

    When napari-deeplabcut is not installed, prints one line saying how to
    install it and returns None.

    Returns:
        The napari viewer (after its window is closed), or None.
    """
    cfg = read_config(config)
    config_path = Path(cfg["project_path"]) / "config.yaml"
    folders = labeled_data_folders(cfg["project_path"])
    if image_folder is not None:
        folder = Path(cfg["project_path"]) / "labeled-data" / image_folder
        if not folder.is_dir():
            raise MissingFileError(f"No folder '{folder}'. Pass the name of a folder of labeled-data ({[f.name for f in folders]}).")
    elif not folders:
        raise MissingFileError(
            f"'{Path(cfg['project_path']) / 'labeled-data'}' holds no folder of images. Run "
            "deeplabcut.extract_outlier_frames (or extract_frames) first."
        )
    else:
        waiting = [f for f in folders if _uncorrected_frames(f, cfg)]
        folder = (waiting or folders)[0]
    if not gui_available():
        print(GUI_INSTALL_HINT)
        return None
    import napari

    viewer = napari.Viewer()
    viewer.window.add_plugin_dock_widget("napari-deeplabcut", "Keypoint controls")
    viewer.open([str(folder), str(config_path)], plugin="napari-deeplabcut", stack=False)
    napari.run()
    return viewer


@dataclass
class _FolderState:
    folder: Path
    labels_file: Path
    labels: pd.DataFrame | None
    refined_rows: pd.DataFrame | None  # rows of MachineLabelsRefine.h5 not yet in CollectedData
    problem: str | None


def _uncorrected_frames(folder: Path, cfg: dict, labeled_rows: set[tuple[str, ...]] | None = None) -> list[str]:
    """Images of this iteration's machine labels that have no row in the folder's labels."""
    machine_file = folder / machine_labels_filename(cfg["iteration"])
    if not machine_file.is_file():
        return []
    if labeled_rows is None:
        labels_file = folder / collected_data_filename(cfg["scorer"])
        exists = labels_file.is_file() or labels_file.with_suffix(".csv").is_file()
        labeled_rows = set(three_level_index(read_collected_data(labels_file).index)) if exists else set()
    return [row[2] for row in read_machine_labels(machine_file).index if tuple(row) not in labeled_rows]


def _inspect_folder(folder: Path, cfg: dict) -> _FolderState:
    scorer = cfg["scorer"]
    bodyparts = get_bodyparts(cfg)
    individuals = get_individuals(cfg) if is_multianimal(cfg) else None
    unique = get_unique_bodyparts(cfg)
    labels_file = folder / collected_data_filename(scorer)
    labels = None
    if labels_file.is_file() or labels_file.with_suffix(".csv").is_file():
        labels = read_collected_data(labels_file)
        check_labels_match(labels, labels_file, scorer, bodyparts, individuals, unique)
        labels = normalize_collected_data(labels)
    refined_file = folder / REFINED_MACHINE_LABELS_FILENAME
    refined_rows = None
    if refined_file.is_file():
        refined = read_hdf(refined_file, "df_with_missing", first_key_if_missing=True)
        refined.columns = refined.columns.set_levels([scorer], level="scorer") if "scorer" in refined.columns.names else refined.columns
        check_labels_match(refined, refined_file, scorer, bodyparts, individuals, unique)
        refined = normalize_collected_data(refined)
        known = labels.index if labels is not None else pd.MultiIndex.from_tuples([], names=refined.index.names)
        refined_rows = refined[~refined.index.isin(known)]
    if labels is None and refined_rows is None:
        return _FolderState(folder, labels_file, None, None, "has no labels (no CollectedData file): label it or remove the folder")
    labeled_rows = set(labels.index) if labels is not None else set()
    if refined_rows is not None:
        labeled_rows |= set(refined_rows.index)
    uncorrected = _uncorrected_frames(folder, cfg, {tuple(row) for row in labeled_rows})
    if uncorrected:
        return _FolderState(
            folder, labels_file, labels, refined_rows,
            f"has {len(uncorrected)} machine-labeled frame(s) of iteration {cfg['iteration']} not corrected yet "
            f"(e.g. {uncorrected[:3]}): correct and save them with deeplabcut.refine_labels, or delete those images "
            f"and {machine_labels_filename(cfg['iteration'])}",
        )  # fmt: skip
    return _FolderState(folder, labels_file, labels, refined_rows, None)


def merge_datasets(config: str | Path, forceiterate: int | None = None) -> int:
    """Check the refined labels, fold them into the training data and start the next iteration.

    Every folder of ``labeled-data`` must hold labels (``CollectedData_<scorer>.h5``
    or DeepLabCut 2's ``MachineLabelsRefine.h5``), and every frame of this
    iteration's ``machinelabels-iter<N>.h5`` must have been corrected (saved
    in napari-deeplabcut, which writes it into ``CollectedData_<scorer>.h5``).
    Rows of ``MachineLabelsRefine.h5`` that ``CollectedData_<scorer>.h5`` lacks
    are added to it; rows it has (the user's hand labels) are kept as they are.
    Then config.yaml's ``iteration`` becomes ``iteration + 1`` (or
    ``forceiterate``), and the next ``create_training_dataset`` writes
    ``training-datasets/iteration-<N>`` and ``dlc-models-pytorch/iteration-<N>``.

    Args:
        config: path to the project's ``config.yaml``.
        forceiterate: set ``iteration`` to this value instead of adding one.

    Returns:
        The new iteration.

    Raises:
        LabelError: a folder is not labeled or not fully corrected, or its labels
            do not match config.yaml; nothing is written.
        MissingFileError: the project has no ``labeled-data`` folder.
    """
    if forceiterate is not None and (isinstance(forceiterate, bool) or not isinstance(forceiterate, int) or forceiterate < 0):
        raise ConfigError(f"forceiterate must be a whole number >= 0 (or None to add one), not {forceiterate!r}.")
    cfg = read_config(config)
    config_path = Path(cfg["project_path"]) / "config.yaml"
    folders = labeled_data_folders(cfg["project_path"])
    if not folders:
        raise MissingFileError(
            f"'{Path(cfg['project_path']) / 'labeled-data'}' holds no folder of labeled frames; there is nothing to merge."
        )
    states = [_inspect_folder(folder, cfg) for folder in folders]
    problems = [f"labeled-data/{state.folder.name} {state.problem}" for state in states if state.problem]
    if problems:
        raise LabelError(
            f"merge_datasets changed nothing in '{cfg['project_path']}': " + "; ".join(problems) + "."
        )
    for state in states:
        if state.refined_rows is not None and len(state.refined_rows):
            parts = [state.labels] if state.labels is not None else []
            merged = pd.concat([*parts, state.refined_rows]).sort_index()
            write_collected_data(merged, state.labels_file)
    raw = read_yaml(config_path)
    iteration = forceiterate if forceiterate is not None else int(cfg["iteration"]) + 1
    raw["iteration"] = iteration
    write_config(config_path, raw)
    print(
        f"Merged the labels of {len(states)} folder(s); iteration is now {iteration}. Create the training "
        "dataset of this iteration with deeplabcut.create_training_dataset, then train."
    )
    return iteration
