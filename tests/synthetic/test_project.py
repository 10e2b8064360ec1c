"""The synthetic project on disk: a real DeepLabCut project plus exact ground truth."""

import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from deeplabcut.errors import ConfigError
from deeplabcut.formats.collected_data import read_collected_csv
from deeplabcut.project.config import read_config
from deeplabcut.synthetic import (
    CANONICAL_BODYPARTS,
    OBJECT_NAMES,
    SyntheticProjectExistsError,
    create_synthetic_project,
    load_ground_truth,
)
from deeplabcut.synthetic.project import image_name, labeled_frame_indices, skeleton_for
from deeplabcut.synthetic.render import EAR_RGB, NOSE_RGB

MULTI = dict(
    num_individuals=3, num_bodyparts=5, num_unique_bodyparts=2, num_frames=60, num_labeled_frames=20,
    frame_size=(128, 128), seed=1,
)
SINGLE = dict(multianimal=False, num_bodyparts=9, num_frames=30, num_labeled_frames=10, frame_size=(96, 128), seed=2)


@pytest.fixture(scope="module")
def multi(tmp_path_factory) -> Path:
    return Path(create_synthetic_project(tmp_path_factory.mktemp("multi"), **MULTI))


@pytest.fixture(scope="module")
def single(tmp_path_factory) -> Path:
    return Path(create_synthetic_project(tmp_path_factory.mktemp("single"), **SINGLE))


def labels_of(config_path: Path) -> pd.DataFrame:
    path = config_path.parent / "labeled-data" / "arena" / "CollectedData_synthetic.h5"
    return pd.read_hdf(path, key="df_with_missing")


def frame_of(image: str) -> int:
    return int(image[len("img") : -len(".png")])


def test_project_layout_and_config(multi):
    project = multi.parent
    assert project.name.startswith("synthetic-synthetic-")
    for folder in ("videos", "labeled-data", "training-datasets", "dlc-models", "ground-truth"):
        assert (project / folder).is_dir()
    assert not list(project.parent.glob(".synthetic-*"))  # the staging folder is gone
    cfg = read_config(multi)
    assert cfg["multianimalproject"] is True and cfg["bodyparts"] == "MULTI!"
    assert cfg["multianimalbodyparts"] == list(CANONICAL_BODYPARTS[:5])
    assert cfg["uniquebodyparts"] == ["food", "toy"]
    assert cfg["individuals"] == ["animal0", "animal1", "animal2"]
    assert cfg["skeleton"] == [["snout", "neck"], ["neck", "spine1"], ["snout", "leftear"], ["snout", "rightear"]]
    assert cfg["TrainingFraction"] == [0.8]
    assert cfg["numframes2pick"] == 20
    assert cfg["pcutoff"] == 0.6
    assert cfg["default_net_type"] == "dekr_16"
    assert 2 <= cfg["dotsize"] <= 6
    assert list(cfg["video_sets"]) == [str(project / "videos" / "arena.mp4")]
    assert cfg["video_sets"][str(project / "videos" / "arena.mp4")]["crop"] == "0, 128, 0, 128"


def test_collected_data_has_deeplabcuts_exact_layout(multi):
    df = labels_of(multi)
    assert list(df.columns.names) == ["scorer", "individuals", "bodyparts", "coords"]
    bodyparts = list(CANONICAL_BODYPARTS[:5])
    expected = [("synthetic", f"animal{i}", bp, c) for i in range(3) for bp in bodyparts for c in "xy"]
    expected += [("synthetic", "single", bp, c) for bp in ("food", "toy") for c in "xy"]
    assert list(df.columns) == expected
    assert df.index.nlevels == 3
    frames = labeled_frame_indices(60, 20)
    assert list(df.index) == [("labeled-data", "arena", f"img{f:02d}.png") for f in frames]
    assert df.dtypes.unique().tolist() == [np.float64]
    # The csv twin holds the same numbers.
    csv = read_collected_csv(multi.parent / "labeled-data" / "arena" / "CollectedData_synthetic.csv")
    pd.testing.assert_frame_equal(csv, df, check_exact=False, rtol=1e-12)


def test_labels_are_the_ground_truth_with_a_few_missing(multi):
    df = labels_of(multi)
    truth = load_ground_truth(multi)
    frames = [frame_of(image) for image in df.index.get_level_values(2)]
    labels = df.drop(columns="single", level="individuals").to_numpy().reshape(len(df), 3, 5, 2)
    expected = truth.keypoints[frames]
    missing = np.isnan(labels).any(-1)
    assert np.array_equal(np.isnan(labels[..., 0]), np.isnan(labels[..., 1]))  # x and y go missing together
    np.testing.assert_allclose(labels[~missing], expected[~missing], atol=1e-9)
    assert missing.sum() == round(0.02 * missing.size)
    assert not missing.reshape(len(df), -1).all(-1).any()  # never a whole frame
    unique = df.xs("single", level="individuals", axis=1).to_numpy().reshape(len(df), 2, 2)
    np.testing.assert_allclose(unique, truth.unique_keypoints[frames], atol=1e-9)


def test_ground_truth_file_is_in_the_tracks_layout(multi):
    path = multi.parent / "ground-truth" / "arena.h5"
    with pd.HDFStore(path, mode="r") as store:
        assert store.keys() == ["/tracks"]
        assert store.get_storer("tracks").is_table
    df = pd.read_hdf(path, key="tracks")
    assert list(df.columns.names) == ["scorer", "individuals", "bodyparts", "coords"]
    individuals = list(dict.fromkeys(df.columns.get_level_values("individuals")))
    assert individuals == ["animal0", "animal1", "animal2", "single"]
    assert list(dict.fromkeys(df.columns.get_level_values("coords"))) == ["x", "y", "likelihood"]
    assert list(df.index) == list(range(60))
    assert (df.xs("likelihood", level="coords", axis=1) == 1).all().all()
    truth = load_ground_truth(multi, "arena")
    assert truth.keypoints.shape == (60, 3, 5, 2) and truth.unique_keypoints.shape == (60, 2, 2)
    assert truth.bodyparts == list(CANONICAL_BODYPARTS[:5]) and truth.unique_bodyparts == ["food", "toy"]
    assert truth.individuals == ["animal0", "animal1", "animal2"] and truth.num_frames == 60


def test_animals_stay_inside_the_frame_and_apart(multi):
    truth = load_ground_truth(multi)
    points = truth.keypoints
    assert points[..., 0].min() > 0 and points[..., 0].max() < 127
    assert points[..., 1].min() > 0 and points[..., 1].max() < 127
    # Keypoints of different animals are never on top of each other.
    for a in range(3):
        for b in range(a + 1, 3):
            distance = np.linalg.norm(points[:, a, :, None] - points[:, b, None, :], axis=-1)
            assert distance.min() > 2.0


def test_labeled_png_shows_the_parts_at_the_keypoints(multi):
    folder = multi.parent / "labeled-data" / "arena"
    truth = load_ground_truth(multi)
    background_far = []
    for frame in labeled_frame_indices(60, 20)[:5]:
        image = cv2.cvtColor(cv2.imread(str(folder / image_name(frame, 60))), cv2.COLOR_BGR2RGB).astype(int)
        assert image.shape == (128, 128, 3)
        for animal in range(3):
            x, y = np.round(truth.keypoints[frame, animal, 0]).astype(int)  # snout: the pink nose
            assert np.abs(image[y, x] - NOSE_RGB).max() < 40
            x, y = np.round(truth.keypoints[frame, animal, 1]).astype(int)  # left ear: a dark disc
            assert np.abs(image[y, x] - EAR_RGB).max() < 40
        background_far.append(image[64, 5])
    # The wall pixel is neither pink nor dark-ear coloured.
    assert all(np.abs(p - NOSE_RGB).max() > 60 for p in background_far)


def test_video_has_every_frame_and_matches_the_pngs(multi):
    project = multi.parent
    capture = cv2.VideoCapture(str(project / "videos" / "arena.mp4"))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    assert len(frames) == 60
    assert frames[0].shape == (128, 128, 3)
    frame = int(labeled_frame_indices(60, 20)[7])
    png = cv2.imread(str(project / "labeled-data" / "arena" / image_name(frame, 60)))
    assert np.abs(frames[frame].astype(int) - png).mean() < 4  # lossy, but the same picture


def test_single_animal_project(single):
    cfg = read_config(single)
    assert cfg["multianimalproject"] is False
    assert cfg["bodyparts"] == list(CANONICAL_BODYPARTS[:9])
    assert ["tail1", "tailtip"] in cfg["skeleton"]
    df = labels_of(single)
    assert list(df.columns.names) == ["scorer", "bodyparts", "coords"]
    assert list(df.columns) == [("synthetic", bp, c) for bp in CANONICAL_BODYPARTS[:9] for c in "xy"]
    assert list(df.index.get_level_values(2)) == [image_name(f, 30) for f in labeled_frame_indices(30, 10)]
    with pd.HDFStore(single.parent / "ground-truth" / "arena.h5", mode="r") as store:
        assert store.keys() == ["/df_with_missing"]
    gt = pd.read_hdf(single.parent / "ground-truth" / "arena.h5")
    assert list(gt.columns.names) == ["scorer", "bodyparts", "coords"]
    truth = load_ground_truth(single)
    assert truth.keypoints.shape == (30, 1, 9, 2) and truth.unique_keypoints.shape == (30, 0, 2)
    frames = [frame_of(image) for image in df.index.get_level_values(2)]
    labels = df.to_numpy().reshape(len(df), 1, 9, 2)
    known = ~np.isnan(labels)
    np.testing.assert_allclose(labels[known], truth.keypoints[frames][known])


def test_same_seed_same_project_other_seed_other_project(tmp_path, multi):
    again = Path(create_synthetic_project(tmp_path / "again", **MULTI))
    pd.testing.assert_frame_equal(labels_of(again), labels_of(multi))
    np.testing.assert_array_equal(load_ground_truth(again).keypoints, load_ground_truth(multi).keypoints)
    name = image_name(labeled_frame_indices(60, 20)[3], 60)
    np.testing.assert_array_equal(
        cv2.imread(str(again.parent / "labeled-data" / "arena" / name)),
        cv2.imread(str(multi.parent / "labeled-data" / "arena" / name)),
    )
    other = Path(create_synthetic_project(tmp_path / "other", **{**MULTI, "seed": 2}))
    assert np.abs(load_ground_truth(other).keypoints - load_ground_truth(multi).keypoints).max() > 5


def test_existing_project_is_kept_unless_overwrite(tmp_path):
    small = dict(num_individuals=1, num_frames=4, num_labeled_frames=2, frame_size=(64, 64))
    config = create_synthetic_project(tmp_path, **small)
    with pytest.raises(SyntheticProjectExistsError, match="overwrite=True"):
        create_synthetic_project(tmp_path, **small)
    assert create_synthetic_project(tmp_path, **small, overwrite=True, seed=9) == config
    assert load_ground_truth(config).num_frames == 4


def test_progress_is_reported_per_frame(tmp_path):
    seen = []
    create_synthetic_project(tmp_path, num_individuals=1, num_frames=5, num_labeled_frames=2, frame_size=(64, 64),
                             progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 5) for i in range(1, 6)]


def test_small_project_is_generated_in_about_a_second(tmp_path):
    start = time.perf_counter()
    create_synthetic_project(tmp_path, num_frames=60, num_labeled_frames=12, frame_size=(128, 128))
    assert time.perf_counter() - start < 3.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(num_bodyparts=0), "num_bodyparts"),
        (dict(num_bodyparts=len(CANONICAL_BODYPARTS) + 1), "num_bodyparts"),
        (dict(multianimal=False, num_unique_bodyparts=1), "multi-animal"),
        (dict(num_unique_bodyparts=len(OBJECT_NAMES) + 1), "num_unique_bodyparts"),
        (dict(num_frames=10, num_labeled_frames=11), "num_labeled_frames"),
        (dict(missing_label_fraction=1.0), "missing_label_fraction"),
    ],
)
def test_bad_arguments_are_named(tmp_path, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        create_synthetic_project(tmp_path, **kwargs)
    assert not list(tmp_path.iterdir())  # nothing written


def test_image_names_follow_deeplabcut():
    assert image_name(42, 300) == "img042.png"
    assert image_name(5, 1000) == "img005.png"
    assert image_name(5, 1001) == "img0005.png"
    assert image_name(0, 1) == "img0.png"
    assert list(labeled_frame_indices(300, 4)) == [0, 100, 199, 299]
    assert len(set(labeled_frame_indices(50, 50))) == 50


def test_skeleton_follows_the_body_for_any_subset():
    assert skeleton_for(["snout"]) == []
    assert skeleton_for(["snout", "leftear"]) == [["snout", "leftear"]]
    full = skeleton_for(list(CANONICAL_BODYPARTS))
    assert full[:6] == [["snout", "neck"], ["neck", "spine1"], ["spine1", "spine2"], ["spine2", "tailbase"],
                        ["tailbase", "tail1"], ["tail1", "tailtip"]]
    assert ["neck", "leftpaw"] in full and ["spine2", "righthindpaw"] in full
    assert {name for edge in full for name in edge} == set(CANONICAL_BODYPARTS)
