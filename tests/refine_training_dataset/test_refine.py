"""merge_datasets and refine_labels: corrections folded in, hand labels kept, bad input refused with nothing written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deeplabcut.cli import main
from deeplabcut.errors import ConfigError, LabelError
from deeplabcut.formats.collected_data import normalize_collected_data, read_collected_data, write_collected_data
from deeplabcut.project.config import read_config
from deeplabcut.refine_training_dataset import outlier_frames
from deeplabcut.refine_training_dataset.outlier_frames import extract_outlier_frames
from deeplabcut.refine_training_dataset.refine import GUI_INSTALL_HINT, gui_available, merge_datasets, refine_labels
from deeplabcut.training_dataset.create import create_training_dataset

from napari_saves import save_corrections
from refine_projects import SCORER, make_analysed_project, tree_digest


@pytest.fixture
def extracted(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """The analysed project after extract_outlier_frames (jump): frames 12, 26, 27 wait for correction."""
    monkeypatch.setattr(outlier_frames, "_scorer", lambda *args: SCORER)
    config, video = make_analysed_project(tmp_path)
    extract_outlier_frames(config, [video], outlieralgorithm="jump", automatic=True, extractionalgorithm="uniform")
    return config, config.parent / "labeled-data" / video.stem


def labels(folder: Path) -> pd.DataFrame:
    return normalize_collected_data(read_collected_data(folder / "CollectedData_synthetic.h5"))


def test_merge_after_correction_keeps_hand_labels_and_starts_iteration_1(extracted):
    config, folder = extracted
    hand_labels = labels(folder)
    config.write_text(config.read_text().replace("iteration: 0", "iteration: 0  # refinement round"))
    text_before = config.read_text()
    save_corrections(folder, "synthetic", 0, correct=lambda image, xy: xy + 1.0)
    assert merge_datasets(config) == 1
    # only the iteration changed: comments, order and everything else as the user wrote it
    assert config.read_text() == text_before.replace("iteration: 0  # refinement round", "iteration: 1  # refinement round")
    merged = labels(folder)
    pd.testing.assert_frame_equal(merged.loc[hand_labels.index], hand_labels)  # hand labels untouched
    assert sorted(row[2] for row in merged.index.difference(hand_labels.index)) == ["img12.png", "img26.png", "img27.png"]
    create_training_dataset(config, net_type="dekr_16")
    root = config.parent
    assert (root / "training-datasets" / "iteration-1").is_dir() and (root / "dlc-models-pytorch" / "iteration-1").is_dir()
    assert not (root / "training-datasets" / "iteration-0").exists()
    documentation = next((root / "training-datasets" / "iteration-1").rglob("CollectedData_synthetic.h5"))
    assert len(pd.read_hdf(documentation)) == len(hand_labels) + 3


def test_forceiterate_sets_the_iteration(extracted):
    config, folder = extracted
    save_corrections(folder, "synthetic", 0)
    assert merge_datasets(config, forceiterate=5) == 5 and read_config(config)["iteration"] == 5
    with pytest.raises(ConfigError, match="forceiterate"):
        merge_datasets(config, forceiterate=-1)


def test_merge_refuses_uncorrected_machine_labels_and_writes_nothing(extracted):
    config, folder = extracted
    before = tree_digest(config.parent)
    with pytest.raises(LabelError, match=r"3 machine-labeled frame\(s\) of iteration 0 not corrected") as info:
        merge_datasets(config)
    assert "img12.png" in str(info.value) and "refine_labels" in str(info.value)
    assert tree_digest(config.parent) == before


def test_merge_refuses_a_folder_without_labels_and_wrong_labels(extracted):
    config, folder = extracted
    save_corrections(folder, "synthetic", 0)
    unlabeled = config.parent / "labeled-data" / "new-video"
    unlabeled.mkdir()
    (unlabeled / "img001.png").write_bytes(b"")
    (config.parent / "labeled-data" / "arena_labeled").mkdir()  # check_labels' output is not a folder to merge
    before = tree_digest(config.parent)
    with pytest.raises(LabelError, match="labeled-data/new-video has no labels"):
        merge_datasets(config)
    assert tree_digest(config.parent) == before
    unlabeled.joinpath("img001.png").unlink()
    unlabeled.rmdir()
    wrong = labels(folder).rename(columns={read_config(config)["bodyparts"][0]: "beak"}, level="bodyparts")
    write_collected_data(wrong, folder / "CollectedData_synthetic.h5")
    before = tree_digest(config.parent)
    with pytest.raises(LabelError, match="beak"):
        merge_datasets(config)
    assert tree_digest(config.parent) == before


def test_refined_labels_of_deeplabcut_2_are_folded_in_without_touching_hand_labels(extracted):
    config, folder = extracted
    hand_labels = labels(folder)
    machine = pd.read_hdf(folder / "machinelabels-iter0.h5")
    refined = machine.loc[:, machine.columns.get_level_values("coords") != "likelihood"].copy()
    # a refined copy of a hand-labeled frame too: it must not replace the hand label
    first_hand = hand_labels.iloc[[0]].copy()
    first_hand.columns = refined.columns
    refined = pd.concat([refined, first_hand + 7.0])
    refined.to_hdf(folder / "MachineLabelsRefine.h5", key="df_with_missing", mode="w")
    assert merge_datasets(config) == 1
    merged = labels(folder)
    pd.testing.assert_frame_equal(merged.loc[hand_labels.index], hand_labels)
    assert len(merged) == len(hand_labels) + 3
    np.testing.assert_allclose(
        merged.loc[("labeled-data", folder.name, "img12.png")].to_numpy(), refined.iloc[0].to_numpy()
    )


def test_refine_labels_without_napari_prints_how_to_install(extracted, capsys):
    if gui_available():
        pytest.skip("napari-deeplabcut is installed: refine_labels would open a window")
    config, _ = extracted
    assert refine_labels(config) is None
    assert capsys.readouterr().out.strip() == GUI_INSTALL_HINT
    assert main(["refine-labels", str(config)]) == 0
    assert 'pip install "deeplabcut-torch[gui]"' in capsys.readouterr().out


def test_merge_from_the_command_line(extracted, capsys):
    config, folder = extracted
    assert main(["merge-datasets", str(config)]) == 1
    assert "not corrected" in capsys.readouterr().err
    save_corrections(folder, "synthetic", 0)
    assert main(["merge-datasets", str(config)]) == 0
    assert read_config(config)["iteration"] == 1
