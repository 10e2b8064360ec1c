"""extract_outlier_frames: each outlier algorithm on crafted trajectories, and the files it writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deeplabcut.errors import ConfigError, MissingFileError
from deeplabcut.formats.analysis import predictions_dataframe, write_analysis
from deeplabcut.formats.collected_data import read_collected_data
from deeplabcut.formats.machine_labels import read_machine_labels
from deeplabcut.formats.tracks import tracks_dataframe, write_tracks_h5
from deeplabcut.project.config import read_config, write_config
from deeplabcut.project.frames import frame_image_name
from deeplabcut.refine_training_dataset import outlier_frames
from deeplabcut.refine_training_dataset.outlier_frames import (
    compute_deviations,
    extract_outlier_frames,
    find_outliers,
    jump_outliers,
    uncertain_outliers,
)
from deeplabcut.synthetic import create_synthetic_project, load_ground_truth
from deeplabcut.utils.yaml_io import read_yaml

from refine_projects import SCORER, make_analysed_project, tree_digest



def smooth_walk(num_frames: int, num_keypoints: int, seed: int = 0) -> np.ndarray:
    """``(T, K, 3)``: keypoints moving at most ~1.5 px per frame, likelihood 0.9."""
    rng = np.random.default_rng(seed)
    t = np.arange(num_frames)[:, None]
    x = 100 + 30 * np.sin(t / 15 + np.arange(num_keypoints)) + rng.normal(0, 0.3, (num_frames, num_keypoints))
    y = 80 + 20 * np.cos(t / 20 + np.arange(num_keypoints)) + rng.normal(0, 0.3, (num_frames, num_keypoints))
    return np.stack([x, y, np.full_like(x, 0.9)], axis=-1)


def single_table(poses: np.ndarray, bodyparts=("snout", "tail", "paw")) -> pd.DataFrame:
    return predictions_dataframe(SCORER, list(bodyparts)[: poses.shape[1]], poses[:, None])


def test_jump_finds_the_frame_a_keypoint_jumps_to_and_the_frame_it_jumps_back():
    poses = smooth_walk(80, 3)
    poses[30, 1, :2] += [40, 0]  # tail jumps 40 px for one frame
    poses[55:, 2, :2] += [0, 25]  # paw jumps 25 px and stays
    flagged = jump_outliers(single_table(poses), epsilon=20)
    assert flagged.tolist() == [30, 31, 55]
    assert jump_outliers(single_table(poses), epsilon=30).tolist() == [30, 31]


def test_jump_ignores_missing_keypoints_and_compares_each_animal_on_its_own():
    poses = smooth_walk(40, 2)
    poses[10:12, 0, :] = np.nan  # a gap is not a jump
    animals = np.stack([poses, smooth_walk(40, 2, seed=1)], axis=1)  # (T, 2 animals, 2 bodyparts, 3)
    animals[20, 1, 0, :2] += [0, 30]
    df = tracks_dataframe(SCORER, ["snout", "tail"], animals, ["mouse1", "mouse2"])
    assert jump_outliers(df, epsilon=20).tolist() == [20, 21]


def test_uncertain_finds_frames_below_p_bound():
    poses = smooth_walk(50, 3)
    poses[[5, 17], 2, 2] = 0.005
    poses[40, 0, 2] = 0.02  # above the bound
    poses[44, 1, :] = np.nan  # missing is not uncertain
    assert uncertain_outliers(single_table(poses), p_bound=0.01).tolist() == [5, 17]


def test_fitting_finds_single_frame_spikes_off_the_arma_fit():
    poses = smooth_walk(80, 1)
    spikes = [30, 60]
    for frame in spikes:
        poses[frame, 0, :2] += [45, 45]
    poses[45, 0, 2] = 0.001  # below p_bound: missing for the fit, not an outlier
    df = single_table(poses)
    flagged = set(find_outliers(df, "fitting", epsilon=20).tolist())
    assert set(spikes) <= flagged
    # besides the spikes, only the frames right after them (the one-step prediction follows the spike) and the
    # first frames (before the fit has history) may be off
    assert flagged - set(spikes) <= {31, 61, 0, 1, 2}
    distance, outside = compute_deviations(df, 0.01, 0.01, 3, 1)
    assert distance.shape == (80,) and np.all(distance[spikes] > 40)
    assert np.median(distance[5:]) < 8.0 and outside[spikes].min() > 0


def test_list_takes_the_frames_given_and_refuses_anything_else():
    df = single_table(smooth_walk(20, 1))
    assert find_outliers(df, "list", frames2use=[7, 3, 7]).tolist() == [3, 7]
    for bad in (None, [1.5], [-2], ["a"]):
        with pytest.raises(ConfigError, match="frames2use"):
            find_outliers(df, "list", frames2use=bad)
    with pytest.raises(ConfigError, match="'manual'"):
        find_outliers(df, "manual")


# -- on a project ------------------------------------------------------------------------


@pytest.fixture
def analysed_project(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    monkeypatch.setattr(outlier_frames, "_scorer", lambda *args: SCORER)
    return make_analysed_project(tmp_path)


def test_jump_extracts_the_planted_frames_with_the_models_predictions(analysed_project):
    config, video = analysed_project
    cfg = read_config(config)
    written = extract_outlier_frames(config, [video], outlieralgorithm="jump", epsilon=20, automatic=True, extractionalgorithm="uniform", savelabeled=True)
    names = [frame_image_name(i, 40) for i in (12, 26, 27)]  # 11 is a labeled frame of the project already
    folder = config.parent / "labeled-data" / video.stem
    assert sorted(p.name for p in written) == sorted(names)
    assert all((folder / name.replace(".png", "labeled.png")).is_file() for name in names)
    machine = read_machine_labels(folder / "machinelabels-iter0.h5")
    assert [row[2] for row in machine.index] == names
    assert list(machine.columns.names) == ["scorer", "bodyparts", "coords"] and machine.columns[0][0] == SCORER
    analysis = pd.read_hdf(video.parent / f"{video.stem}{SCORER}.h5")
    np.testing.assert_array_equal(machine.to_numpy(), analysis.loc[[12, 26, 27]].to_numpy())
    assert (folder / "machinelabels.csv").is_file()
    assert cfg["iteration"] == 0


def test_frames_already_labeled_are_never_overwritten(analysed_project):
    config, video = analysed_project
    folder = config.parent / "labeled-data" / video.stem
    labels_before = read_collected_data(folder / "CollectedData_synthetic.h5")
    labeled = [int(row[2][3:-4]) for row in labels_before.index]
    before = tree_digest(folder)
    written = extract_outlier_frames(config, [video], outlieralgorithm="list", frames2use=[*labeled, 3], automatic=True)
    assert [p.name for p in written] == [frame_image_name(3, 40)]
    after = tree_digest(folder)
    assert {name: digest for name, digest in after.items() if name in before} == before  # images and labels unchanged
    machine = read_machine_labels(folder / "machinelabels-iter0.h5")
    assert [row[2] for row in machine.index] == [frame_image_name(3, 40)]
    # a second extraction adds rows, keeping the first ones
    extract_outlier_frames(config, [video], outlieralgorithm="list", frames2use=[3, 5], automatic=True)
    machine = read_machine_labels(folder / "machinelabels-iter0.h5")
    assert [row[2] for row in machine.index] == [frame_image_name(i, 40) for i in (3, 5)]


def test_kmeans_picks_numframes2pick_of_the_candidates(analysed_project):
    config, video = analysed_project
    cfg = read_yaml(config)
    cfg["numframes2pick"] = 3
    write_config(config, cfg)
    # every frame moves by more than 0.1 px: all 31 frames not labeled yet are candidates
    written = extract_outlier_frames(config, [video], outlieralgorithm="jump", epsilon=0.1, automatic=True, seed=0)
    assert len(written) == 3 and len({p.name for p in written}) == 3


def test_the_prompt_asks_and_no_means_nothing_is_written(analysed_project, monkeypatch):
    config, video = analysed_project
    before = tree_digest(config.parent)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    assert extract_outlier_frames(config, [video], outlieralgorithm="jump") == []
    assert tree_digest(config.parent) == before
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    assert len(extract_outlier_frames(config, [video], outlieralgorithm="jump", extractionalgorithm="uniform")) == 3


def test_bad_arguments_and_unanalysed_videos_are_refused_before_anything_is_written(analysed_project, tmp_path):
    config, video = analysed_project
    before = tree_digest(config.parent)
    with pytest.raises(ConfigError, match="outlieralgorithm"):
        extract_outlier_frames(config, [video], outlieralgorithm="spikes", automatic=True)
    with pytest.raises(ConfigError, match="extractionalgorithm"):
        extract_outlier_frames(config, [video], extractionalgorithm="random", automatic=True)
    with pytest.raises(ConfigError, match="comparisonbodyparts"):
        extract_outlier_frames(config, [video], comparisonbodyparts=["wing"], automatic=True)
    other = tmp_path / "other.mp4"
    other.write_bytes(video.read_bytes())
    with pytest.raises(MissingFileError, match="analyze_videos"):
        extract_outlier_frames(config, [video, other], automatic=True)
    assert tree_digest(config.parent) == before


def test_a_new_video_is_added_to_the_project(analysed_project, tmp_path):
    config, video = analysed_project
    other = tmp_path / "second.mp4"
    other.write_bytes(video.read_bytes())
    analysis = pd.read_hdf(video.parent / f"{video.stem}{SCORER}.h5")
    write_analysis(analysis, other.parent / f"{other.stem}{SCORER}.h5")
    written = extract_outlier_frames(config, [other], outlieralgorithm="list", frames2use=[4], automatic=True)
    assert [p.parent.name for p in written] == ["second"]
    assert any(Path(str(v)).stem == "second" for v in read_config(config)["video_sets"])


def test_multi_animal_tracks_give_multi_animal_machine_labels(tmp_path: Path, monkeypatch):
    config = Path(create_synthetic_project(
        tmp_path, multianimal=True, num_individuals=2, num_bodyparts=2, num_unique_bodyparts=1, num_frames=30,
        num_labeled_frames=5, frame_size=(64, 64), seed=1,
    ))  # fmt: skip
    monkeypatch.setattr(outlier_frames, "_scorer", lambda *args: SCORER)
    video = next((config.parent / "videos").glob("*.mp4"))
    truth = load_ground_truth(config)
    tracks = np.concatenate([truth.keypoints, np.full(truth.keypoints.shape[:-1] + (1,), 0.9)], axis=-1)
    tracks[9, 1, 0, :2] += [30, 0]
    unique = np.concatenate([truth.unique_keypoints, np.full(truth.unique_keypoints.shape[:-1] + (1,), 0.9)], axis=-1)
    df = tracks_dataframe(SCORER, truth.bodyparts, tracks, truth.individuals, truth.unique_bodyparts, unique)
    write_tracks_h5(df, video.parent / f"{video.stem}{SCORER}_el.h5")
    written = extract_outlier_frames(config, [video], outlieralgorithm="jump", automatic=True, extractionalgorithm="uniform")
    assert sorted(p.name for p in written) == [frame_image_name(9, 30), frame_image_name(10, 30)]
    machine = read_machine_labels(config.parent / "labeled-data" / video.stem / "machinelabels-iter0.h5")
    assert list(machine.columns.names) == ["scorer", "individuals", "bodyparts", "coords"]
    assert list(dict.fromkeys(machine.columns.get_level_values("individuals"))) == [*truth.individuals, "single"]
    with pytest.raises(MissingFileError, match="_bx.h5"):
        extract_outlier_frames(config, [video], track_method="box", automatic=True)


def test_from_the_command_line(analysed_project):
    from deeplabcut.cli import build_parser, main

    config, video = analysed_project
    command = ["extract-outlier-frames", str(config), str(video), "--outlieralgorithm", "list", "--frames2use", "3", "5", "--automatic"]
    args = build_parser().parse_args([*command, "--snapshotindex", "-1"])
    assert args.frames2use == [3, 5] and args.automatic and args.snapshotindex == -1 and args.epsilon == 20
    assert main(command) == 0
    folder = config.parent / "labeled-data" / video.stem
    assert (folder / frame_image_name(3, 40)).is_file() and (folder / frame_image_name(5, 40)).is_file()
    assert main(["extract-outlier-frames", str(config), str(video), "--outlieralgorithm", "list", "--automatic"]) == 1


def test_without_a_terminal_to_ask_on_it_says_to_pass_automatic(analysed_project, monkeypatch):
    config, video = analysed_project

    def no_terminal(prompt):
        raise EOFError

    monkeypatch.setattr("builtins.input", no_terminal)
    with pytest.raises(ConfigError, match="automatic=True"):
        extract_outlier_frames(config, [video], outlieralgorithm="jump")


def test_a_cropped_analysis_gives_machine_labels_in_full_frame_pixels(analysed_project):
    from deeplabcut.formats.video_pickles import VideoAnalysisMetadata, write_meta_pickle

    config, video = analysed_project
    meta = VideoAnalysisMetadata(
        scorer=SCORER, pytorch_config={}, fps=30.0, batch_size=1, frame_dimensions=(40, 40), nframes=40, iteration=0,
        train_fraction=0.8, cropping_parameters=[10, 50, 5, 45], individuals=["animal"], bodyparts=[], unique_bodyparts=[],
    )  # fmt: skip
    write_meta_pickle(video.parent / f"{video.stem}{SCORER}_meta.pickle", meta)
    extract_outlier_frames(config, [video], outlieralgorithm="list", frames2use=[3], automatic=True)
    machine = read_machine_labels(config.parent / "labeled-data" / video.stem / "machinelabels-iter0.h5")
    analysis = pd.read_hdf(video.parent / f"{video.stem}{SCORER}.h5")
    shift = {"x": 10, "y": 5, "likelihood": 0}
    expected = analysis.loc[3] + [shift[c] for c in analysis.columns.get_level_values("coords")]
    np.testing.assert_allclose(machine.iloc[0].to_numpy(), expected.to_numpy())


def test_a_folder_of_videos_with_deeplabcut_3s_video_extensions(analysed_project):
    config, video = analysed_project
    written = extract_outlier_frames(config, video.parent, video_extensions=".mp4", outlieralgorithm="list", frames2use=[7], automatic=True)
    assert [p.name for p in written] == [frame_image_name(7, 40)]
    with pytest.raises(ConfigError, match="unexpected argument"):
        extract_outlier_frames(config, [video], automatic=True, snapshot=3)
