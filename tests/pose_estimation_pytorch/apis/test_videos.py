"""Video analysis -> tracklets -> stitching, on synthetic videos whose identities are known.

The model is replaced by an oracle that returns the ground truth plus noise, in
a random animal order per frame (as a bottom-up model would), so these tests
check the data flow, the file layouts and the tracking itself exactly; the
tests in test_end_to_end.py use a trained model.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import deeplabcut.pose_estimation_pytorch.apis.videos as videos_module
from deeplabcut.formats.tracks import tracks_from_dataframe
from deeplabcut.pose_estimation_pytorch.apis import analyze_videos, create_labeled_video, plot_trajectories
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.synthetic import create_synthetic_project, load_ground_truth
from deeplabcut.tracking.evaluation import count_identity_switches, per_frame_error
from deeplabcut.training_dataset.create import create_training_dataset
from deeplabcut.video import VideoReader


class OracleRunner:
    """Stands in for the model: ground truth + Gaussian noise, animals shuffled in each frame."""

    def __init__(self, keypoints: np.ndarray, noise: float = 0.7, seed: int = 0, batch_size: int = 8):
        self.keypoints = keypoints  # (F, A, K, 2)
        self.noise = noise
        self.rng = np.random.default_rng(seed)
        self.batch_size = batch_size
        self.next_frame = 0

    def predict_batch(self, frames: np.ndarray) -> dict[str, np.ndarray]:
        first = self.next_frame
        self.next_frame += len(frames)
        truth = self.keypoints[first : first + len(frames)]
        noisy = truth + self.rng.normal(0, self.noise, truth.shape)
        order = np.stack([self.rng.permutation(truth.shape[1]) for _ in range(len(frames))])
        noisy = np.take_along_axis(noisy, order[:, :, None, None], axis=1)
        scores = np.full((*noisy.shape[:3], 1), 0.9)
        return {"bodyparts": np.concatenate([noisy, scores], axis=-1).astype(np.float32)}


def make_project(root: Path, multianimal: bool, num_frames: int = 90) -> Path:
    config = create_synthetic_project(
        root, multianimal=multianimal, num_individuals=3 if multianimal else 1, num_bodyparts=5,
        num_frames=num_frames, num_labeled_frames=10, frame_size=(128, 128), seed=5,
    )
    create_training_dataset(config, net_type="dekr_16")
    project = ShuffleData(config)
    project.train_folder.mkdir(parents=True, exist_ok=True)
    torch.save({"metadata": {"epoch": 7}, "model": {}}, project.train_folder / "snapshot-007.pt")
    return Path(config)


@pytest.fixture
def oracle(monkeypatch):
    def install(config: Path, **kwargs) -> OracleRunner:
        runner = OracleRunner(load_ground_truth(config).keypoints, **kwargs)
        monkeypatch.setattr(videos_module.PoseInferenceRunner, "from_snapshot", staticmethod(lambda *a, **k: runner))
        return runner

    return install


def test_multianimal_video_to_identities(tmp_path: Path, oracle):
    config = make_project(tmp_path, multianimal=True)
    oracle(config)
    video = next((config.parent / "videos").glob("*.mp4"))
    scorer = analyze_videos(config, [video], videotype=".mp4")
    assert scorer == f"DLC_DekrW18_synthetic{ShuffleData(config).cfg['date']}shuffle1_snapshot_7"

    prefix = video.parent / f"{video.stem}{scorer}"
    full = pickle.loads(Path(f"{prefix}_full.pickle").read_bytes())
    assert full["metadata"]["nframes"] == 90 and full["metadata"]["key_str_width"] == 2
    assert isinstance(full["frame00"]["coordinates"], tuple) and len(full["frame00"]["coordinates"][0]) == 5
    assert full["frame00"]["coordinates"][0][0].shape == (3, 2) and full["frame00"]["confidence"][0].shape == (3, 1)
    assemblies = pickle.loads(Path(f"{prefix}_assemblies.pickle").read_bytes())
    assert assemblies[0].shape == (3, 5, 4) and (assemblies[0][..., 3] == -1).all()
    meta = pickle.loads(Path(f"{prefix}_meta.pickle").read_bytes())["data"]
    assert meta["nframes"] == 90 and meta["individuals"] == ["animal0", "animal1", "animal2"]
    assert Path(f"{prefix}_el.pickle").is_file()

    tracks = pd.read_hdf(f"{prefix}_el.h5", "tracks")
    assert tracks.columns.names == ["scorer", "individuals", "bodyparts", "coords"]
    assert list(dict.fromkeys(tracks.columns.get_level_values("individuals"))) == ["animal0", "animal1", "animal2"]
    assert list(tracks.index) == list(range(90))
    array, _, _ = tracks_from_dataframe(tracks)
    truth = load_ground_truth(config).keypoints
    assert count_identity_switches(array[..., :2], truth) == 0
    errors = per_frame_error(array[..., :2], truth)
    assert np.isfinite(errors).mean() > 0.95
    assert np.nanmean(errors) < 1.5  # the oracle's noise is 0.7 px per axis

    labeled = create_labeled_video(config, [video], color_by="individual", trailpoints=2)
    assert labeled[0].name == f"{video.stem}{scorer}_el_id_p60_labeled.mp4"
    with VideoReader(labeled[0]) as reader:
        assert reader.num_frames == 90
    assert plot_trajectories(config, [video])


def test_existing_results_are_reused_unless_overwrite(tmp_path: Path, oracle):
    config = make_project(tmp_path, multianimal=True, num_frames=30)
    runner = oracle(config)
    video = next((config.parent / "videos").glob("*.mp4"))
    analyze_videos(config, [video], auto_track=False)
    assert runner.next_frame == 30
    analyze_videos(config, [video], auto_track=False)
    assert runner.next_frame == 30  # not analyzed again
    runner.next_frame = 0
    analyze_videos(config, [video], auto_track=False, overwrite=True)
    assert runner.next_frame == 30


def test_single_animal_h5_has_deeplabcuts_layout(tmp_path: Path, oracle):
    config = make_project(tmp_path, multianimal=False, num_frames=40)
    oracle(config, noise=0.0)
    video = next((config.parent / "videos").glob("*.mp4"))
    scorer = analyze_videos(config, [video], save_as_csv=True, destfolder=tmp_path / "out")
    path = tmp_path / "out" / f"{video.stem}{scorer}.h5"
    df = pd.read_hdf(path, "df_with_missing")
    with pd.HDFStore(path, "r") as store:
        assert store.get_storer("df_with_missing").is_table  # format="table", as DeepLabCut writes it
    assert df.columns.names == ["scorer", "bodyparts", "coords"]
    bodyparts = load_ground_truth(config).bodyparts
    assert list(df.columns) == [(scorer, bp, c) for bp in bodyparts for c in ("x", "y", "likelihood")]
    assert list(df.index) == list(range(40))
    np.testing.assert_allclose(df.xs("x", level="coords", axis=1).to_numpy(), load_ground_truth(config).keypoints[:, 0, :, 0], atol=1e-4)
    assert (tmp_path / "out" / f"{video.stem}{scorer}.csv").is_file()


def test_a_crash_leaves_no_partial_file(tmp_path: Path, oracle, monkeypatch):
    config = make_project(tmp_path, multianimal=False, num_frames=40)
    runner = oracle(config)
    real = runner.predict_batch

    def crash_later(frames):
        if runner.next_frame >= 16:
            raise RuntimeError("power cut")
        return real(frames)

    runner.predict_batch = crash_later
    video = next((config.parent / "videos").glob("*.mp4"))
    with pytest.raises(RuntimeError, match="power cut"):
        analyze_videos(config, [video])
    assert not [p for p in video.parent.iterdir() if p.name.startswith(video.stem + "DLC")]
    assert not list(video.parent.glob(".*tmp*"))


def test_a_broken_video_keeps_what_was_analyzed(tmp_path: Path, oracle, monkeypatch):
    config = make_project(tmp_path, multianimal=False, num_frames=40)
    oracle(config)
    video = next((config.parent / "videos").glob("*.mp4"))
    from deeplabcut.video.reader import TruncatedVideoError

    real_batches = VideoReader.iter_batches

    def breaking(self, batch_size, prefetch=4):
        for first, frames in real_batches(self, batch_size, prefetch):
            if first >= 24:
                raise TruncatedVideoError(self.path, first, self.num_frames)
            yield first, frames

    monkeypatch.setattr(VideoReader, "iter_batches", breaking)
    scorer = analyze_videos(config, [video])
    df = pd.read_hdf(video.parent / f"{video.stem}{scorer}.h5")
    assert len(df) == 24


def test_dots_in_video_names_are_kept(tmp_path: Path, oracle):
    config = make_project(tmp_path, multianimal=False, num_frames=20)
    runner = oracle(config)
    original = next((config.parent / "videos").glob("*.mp4"))
    dotted = original.with_name("arena.day1.mp4")
    dotted.write_bytes(original.read_bytes())
    scorer = analyze_videos(config, [dotted], snapshot_index=-1)  # DeepLabCut 3's spelling works too
    assert (dotted.parent / f"arena.day1{scorer}.h5").is_file()
    runner.next_frame = 0
    analyze_videos(config, [dotted])
    assert runner.next_frame == 0  # found and reused
    assert create_labeled_video(config, [dotted])[0].name.startswith(f"arena.day1{scorer}")


def test_an_analysis_without_its_meta_file_is_done_again(tmp_path: Path, oracle, monkeypatch):
    config = make_project(tmp_path, multianimal=True, num_frames=20)
    runner = oracle(config)
    video = next((config.parent / "videos").glob("*.mp4"))

    def power_cut(*args, **kwargs):
        raise KeyboardInterrupt("power cut before _meta.pickle")

    monkeypatch.setattr(videos_module, "write_meta_pickle", power_cut)
    with pytest.raises(KeyboardInterrupt):
        analyze_videos(config, [video], auto_track=False)
    assert list(video.parent.glob("*_full.pickle")) and not list(video.parent.glob("*_meta.pickle"))
    monkeypatch.undo()  # power back (this also undid the oracle)
    runner = oracle(config)
    analyze_videos(config, [video], auto_track=False)
    assert runner.next_frame == 20 and list(video.parent.glob("*_meta.pickle"))


def test_auto_track_parses_each_file_once(tmp_path: Path, monkeypatch):
    """analyze_videos with auto_track on 2 videos: config.yaml, pytorch_config.yaml and
    inference_cfg.yaml are parsed once, the snapshots listed once, each video opened once."""
    from collections import Counter

    import ruamel.yaml

    import deeplabcut.pose_estimation_pytorch.runtime.checkpoints as checkpoints_module

    config = make_project(tmp_path, multianimal=True, num_frames=20)
    first = next((config.parent / "videos").glob("*.mp4"))
    second = first.with_name("second.mp4")
    second.write_bytes(first.read_bytes())
    keypoints = load_ground_truth(config).keypoints
    runner = OracleRunner(np.concatenate([keypoints, keypoints]))
    monkeypatch.setattr(videos_module.PoseInferenceRunner, "from_snapshot", staticmethod(lambda *a, **k: runner))

    parsed: Counter[str] = Counter()
    real_load = ruamel.yaml.YAML.load

    def counting_load(self, stream):
        parsed[Path(getattr(stream, "name", "<text>")).name] += 1
        return real_load(self, stream)

    monkeypatch.setattr(ruamel.yaml.YAML, "load", counting_load)
    real_list = checkpoints_module.list_snapshots

    def counting_list(*args, **kwargs):
        parsed["snapshot listing"] += 1
        return real_list(*args, **kwargs)

    monkeypatch.setattr(checkpoints_module, "list_snapshots", counting_list)
    real_init = VideoReader.__init__

    def counting_init(self, path, *args, **kwargs):
        parsed[Path(path).name] += 1
        real_init(self, path, *args, **kwargs)

    monkeypatch.setattr(VideoReader, "__init__", counting_init)

    analyze_videos(config, [first, second], auto_track=True)
    print(dict(parsed))
    assert len(list(first.parent.glob("*_el.h5"))) == 2
    assert parsed == {
        "config.yaml": 1,
        "pytorch_config.yaml": 1,
        "pytorch_config_extras.yaml": 1,
        "inference_cfg.yaml": 1,
        "snapshot listing": 1,
        first.name: 1,
        second.name: 1,
    }
