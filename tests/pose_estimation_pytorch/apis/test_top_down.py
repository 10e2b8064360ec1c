"""Top-down shuffles (TokenPose + detector) through every inference API, with DeepLabCut's files.

Two kinds of model stand in for trained ones:

* the shuffle's own tiny TokenPose and CenterDetector, untrained, saved as
  ``snapshot-005.pt`` and ``snapshot-detector-010.pt`` (see ``tiny_top_down.py``):
  the real loading and data flow, with meaningless numbers;
* oracles that plug into the real top-down pre-processor: a detector that
  returns each animal's true box (in a random order per frame) and a pose
  model that returns the true keypoints in each crop's pixels. Tracking,
  stitching and labeled videos then run on exact poses, and any error in
  cropping or mapping back would show as a pixel error.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from deeplabcut.formats import evaluation_results
from deeplabcut.formats.tracks import tracks_from_dataframe
from deeplabcut.geometry import box_to_xywh, crop_transform, from_original, keypoint_boxes
from deeplabcut.pose_estimation_pytorch.apis import (
    analyze_images,
    analyze_videos,
    convert_detections2tracklets,
    create_labeled_video,
    evaluate_network,
    stitch_tracklets,
)
from deeplabcut.pose_estimation_pytorch.apis.trained_model import TrainedModel
from deeplabcut.pose_estimation_pytorch.data import ShuffleData
from deeplabcut.pose_estimation_pytorch.data.normalization import IMAGENET
from deeplabcut.pose_estimation_pytorch.data.preprocessing import Preprocessing
from deeplabcut.pose_estimation_pytorch.inference.engines import Engine
from deeplabcut.pose_estimation_pytorch.inference.preprocessors import DetectorBoxes, ResizeAndPad, TopDownCrops
from deeplabcut.pose_estimation_pytorch.inference.runner import PoseInferenceRunner
from deeplabcut.synthetic import load_ground_truth
from deeplabcut.tracking.evaluation import count_identity_switches, per_frame_error
from deeplabcut.video import VideoReader
from pose_estimation_pytorch.apis.tiny_top_down import (
    CROP,
    DETECTOR_EPOCH,
    POSE_EPOCH,
    make_tiny_top_down_shuffle,
)

CPU = torch.device("cpu")
CROP_SIZE = (CROP["width"], CROP["height"])


def scorer_of(config: Path) -> str:
    date = ShuffleData(config).cfg["date"]
    return f"DLC_AnimaltokenposeBase_synthetic{date}shuffle1_detector_{DETECTOR_EPOCH}_snapshot_{POSE_EPOCH}"


@pytest.fixture(scope="module")
def multianimal_shuffle(tmp_path_factory) -> Path:
    return make_tiny_top_down_shuffle(tmp_path_factory.mktemp("td_multi"), multianimal=True)


# --------------------------------------------------------------------------------------------
# The shuffle's own (untrained) models
# --------------------------------------------------------------------------------------------


def test_the_factory_builds_a_top_down_runner_from_the_snapshots(multianimal_shuffle: Path):
    model = TrainedModel.resolve(multianimal_shuffle)
    assert model.top_down and model.detector_snapshot.path.name == "snapshot-detector-010.pt"
    runner = model.runner("cpu", batch_size=2)
    assert runner.top_down and runner.preprocessor.crop_size == CROP_SIZE
    assert runner.preprocessor.max_individuals == 3
    result = runner.predict_batch(np.zeros((2, 96, 128, 3), np.uint8))
    assert result["bodyparts"].shape == (2, 3, 4, 3)
    assert result["bboxes"].shape == (2, 3, 4) and result["bbox_scores"].shape == (2, 3)


def test_analyze_videos_writes_deeplabcuts_files_with_boxes(multianimal_shuffle: Path, tmp_path: Path):
    config = multianimal_shuffle
    video = next((config.parent / "videos").glob("*.mp4"))
    scorer = analyze_videos(config, [video], destfolder=tmp_path, save_as_df=True, auto_track=False, batch_size=4)
    assert scorer == scorer_of(config)
    prefix = tmp_path / f"{video.stem}{scorer}"

    full = pickle.loads(Path(f"{prefix}_full.pickle").read_bytes())
    assert full["metadata"]["nframes"] == 30 and full["metadata"]["key_str_width"] == 2
    assert full["metadata"]["all_joints_names"] == ShuffleData(config).bodyparts
    frame = full["frame00"]
    assert isinstance(frame["coordinates"], tuple) and len(frame["coordinates"][0]) == 4
    assert frame["coordinates"][0][0].shape == (3, 2) and frame["confidence"][0].shape == (3, 1)
    found = len(frame["bbox_scores"])
    assert frame["bboxes"].shape == (found, 4) and found <= 3
    assert (frame["bbox_scores"] >= 0.1).all()  # detector.inference.min_bbox_score (default)
    assert all("bboxes" in full[f"frame{i:02d}"] for i in range(30))

    assemblies = pickle.loads(Path(f"{prefix}_assemblies.pickle").read_bytes())
    assert set(assemblies) == set(range(30))
    assert all(a.shape[1:] == (4, 4) and len(a) <= 3 for a in assemblies.values())
    meta = pickle.loads(Path(f"{prefix}_meta.pickle").read_bytes())["data"]
    assert meta["nframes"] == 30 and meta["Scorer"] == scorer and meta["pytorch-config"]["method"] == "td"
    assert meta["individuals"] == ["animal0", "animal1", "animal2"]

    df = pd.read_hdf(f"{prefix}.h5", "df_with_missing")
    assert df.columns.names == ["scorer", "individuals", "bodyparts", "coords"]
    assert list(dict.fromkeys(df.columns.get_level_values("individuals"))) == meta["individuals"]
    assert list(df.index) == list(range(30))


def test_evaluate_network_scores_detected_and_labeled_boxes_and_the_detector(multianimal_shuffle: Path):
    config = multianimal_shuffle
    results = evaluate_network(config, plotting=True, show_errors=True)
    scorer = scorer_of(config)
    folder = ShuffleData(config).evaluation_folder
    assert list(results.index.names) == evaluation_results.RESULT_INDEX
    assert list(results.columns) == evaluation_results.RESULT_VALUES
    assert results.index[0] == (ShuffleData(config).train_fraction, 1, POSE_EPOCH, DETECTOR_EPOCH, 0.6)
    pd.testing.assert_frame_equal(evaluation_results.read_results(folder / f"{scorer}-results.csv"), results, check_dtype=False)

    on_labeled = evaluation_results.read_results(folder / f"{scorer}-gt-boxes-results.csv")
    assert list(on_labeled.columns) == evaluation_results.RESULT_VALUES
    detector = evaluation_results.read_results(folder / f"{scorer}-detector-results.csv")
    assert list(detector.columns) == evaluation_results.DETECTOR_VALUES
    assert detector.index[0] == results.index[0]
    assert ((detector.to_numpy() >= 0) & (detector.to_numpy() <= 100)).all()

    predictions = pd.read_hdf(folder / f"{scorer}.h5", "df_with_missing")
    assert predictions.columns.names == ["scorer", "individuals", "bodyparts", "coords"]
    assert (folder / f"{scorer}-keypoint-results.csv").is_file()
    plots = list((folder / f"LabeledImages_{scorer}").glob("*.png"))
    assert len(plots) == len(ShuffleData(config).labels)


class LabeledBoxDetector(nn.Module):
    """Finds, in each labeled image, the boxes evaluation makes from its labels (recognised by its pixels)."""

    def __init__(self, boxes_by_image: dict[str, np.ndarray], max_individuals: int) -> None:
        super().__init__()
        self.boxes_by_image = boxes_by_image
        self.max_individuals = max_individuals

    def forward(self, images):
        return {"heatmap": images}

    def predict(self, outputs, image_size=None):
        images = outputs["heatmap"]
        boxes = torch.full((len(images), self.max_individuals, 4), -1.0)
        scores = torch.full((len(images), self.max_individuals), -1.0)
        for number, image in enumerate(images):
            found = self.boxes_by_image[_pixels_key(image)]
            found = found[np.isfinite(found).all(axis=1)]
            boxes[number, : len(found)] = torch.tensor(found)
            scores[number, : len(found)] = 0.9
        return {"bboxes": boxes, "bbox_scores": scores}


def _pixels_key(image: torch.Tensor) -> str:
    import hashlib

    return hashlib.sha1(image.contiguous().numpy().tobytes()).hexdigest()


def test_a_detector_that_finds_the_labeled_boxes_scores_100(multianimal_shuffle: Path, monkeypatch):
    import deeplabcut.pose_estimation_pytorch.inference.runner as runner_module
    from deeplabcut.pose_estimation_pytorch.data import load_image

    config = multianimal_shuffle
    project = ShuffleData(config)
    pose_cfg = project.pytorch_config()
    detector_input = ResizeAndPad(Preprocessing.from_config(pose_cfg["detector"]["data"]["inference"]), IMAGENET)
    boxes_by_image = {}
    for path, animals in zip(project.labels.image_paths, project.labels.keypoints):
        image = load_image(project.path / path)
        key = _pixels_key(detector_input(image[None], CPU).images[0])
        boxes_by_image[key] = keypoint_boxes(animals, 20, image_size=(image.shape[1], image.shape[0]))
    detector = DetectorBoxes(LabeledBoxDetector(boxes_by_image, 3), detector_input.preprocessing, IMAGENET)
    monkeypatch.setattr(runner_module, "_load_detector", lambda *args, **kwargs: (detector, Engine("torch")))

    evaluate_network(config, show_errors=False)
    scores = evaluation_results.read_results(project.evaluation_folder / f"{scorer_of(config)}-detector-results.csv")
    np.testing.assert_allclose(scores.to_numpy(), 100.0)


def test_analyze_images_with_a_top_down_shuffle(multianimal_shuffle: Path, tmp_path: Path):
    folder = multianimal_shuffle.parent / "labeled-data" / "arena"
    (path, df), = analyze_images(multianimal_shuffle, folder, output_dir=tmp_path, plotting=True, batch_size=3).items()
    assert path.name == f"arena{scorer_of(multianimal_shuffle)}.h5"
    assert df.columns.names == ["scorer", "individuals", "bodyparts", "coords"]
    assert len(df) == len(list(folder.glob("*.png")))
    assert len(list((tmp_path / f"LabeledImages_{scorer_of(multianimal_shuffle)}").glob("*.png"))) == len(df)


def test_a_single_animal_top_down_project(tmp_path: Path):
    config = make_tiny_top_down_shuffle(tmp_path, multianimal=False, num_frames=12, num_labeled_frames=6)
    video = next((config.parent / "videos").glob("*.mp4"))
    scorer = analyze_videos(config, [video])
    df = pd.read_hdf(video.parent / f"{video.stem}{scorer}.h5", "df_with_missing")
    assert df.columns.names == ["scorer", "bodyparts", "coords"]  # one animal per frame
    assert df.shape == (12, 4 * 3)
    assert (video.parent / f"{video.stem}{scorer}_meta.pickle").is_file()
    results = evaluate_network(config)
    assert results.index[0][3] == DETECTOR_EPOCH
    assert np.isfinite(results["test rmse"].iloc[0])


def test_evaluation_without_a_detector_snapshot_uses_the_labeled_boxes(tmp_path: Path):
    config = make_tiny_top_down_shuffle(tmp_path, num_frames=12, num_labeled_frames=6)
    project = ShuffleData(config)
    (project.train_folder / f"snapshot-detector-{DETECTOR_EPOCH:03d}.pt").unlink()
    results = evaluate_network(config)
    assert results.index[0][3] == -1  # no detector epochs
    scorer = f"DLC_AnimaltokenposeBase_synthetic{project.cfg['date']}shuffle1_snapshot_{POSE_EPOCH}"
    assert (project.evaluation_folder / f"{scorer}-results.csv").is_file()
    assert not (project.evaluation_folder / f"{scorer}-detector-results.csv").exists()


# --------------------------------------------------------------------------------------------
# Oracles inside the real top-down pre-processor
# --------------------------------------------------------------------------------------------


class OracleDetector(nn.Module):
    """Returns each animal's true box (keypoints + 20 px, clipped), animals in a random order per frame.

    For every box it queues the animal's true keypoints in that box's crop pixels,
    which :class:`OracleCropPose` hands back: the crops are posed in the same order.
    """

    def __init__(self, keypoints: np.ndarray, frame_size: tuple[int, int], seed: int = 0) -> None:
        super().__init__()
        self.keypoints = keypoints  # (F, A, K, 2)
        self.frame_size = frame_size  # (width, height)
        self.rng = np.random.default_rng(seed)
        self.next_frame = 0
        self.queue: list[np.ndarray] = []

    def forward(self, images):
        return {"heatmap": images[:, :1]}

    def predict(self, outputs, image_size=None):
        batch = outputs["heatmap"].shape[0]
        truth = self.keypoints[self.next_frame : self.next_frame + batch]
        self.next_frame += batch
        num_animals = truth.shape[1]
        boxes = torch.full((batch, num_animals, 4), -1.0)
        scores = torch.full((batch, num_animals), -1.0)
        for frame, animals in enumerate(truth):
            for row, animal in enumerate(self.rng.permutation(num_animals)):
                box = keypoint_boxes(animals[animal], 20, image_size=self.frame_size)
                boxes[frame, row] = torch.tensor(box)
                scores[frame, row] = 0.9 - 0.1 * row
                _, scale, offset = crop_transform(box, CROP_SIZE)
                self.queue.append(from_original(animals[animal], scale, offset))
        return {"bboxes": boxes, "bbox_scores": scores}


class OracleCropPose(nn.Module):
    """Returns, for each crop, the keypoints the detector queued for it (crop pixels), score 0.9."""

    def __init__(self, detector: OracleDetector) -> None:
        super().__init__()
        self.detector = detector

    def forward(self, images):
        return {"bodypart": {"count": torch.zeros(len(images))}}

    def predict(self, outputs):
        count = len(outputs["bodypart"]["count"])
        poses = [self.detector.queue.pop(0) for _ in range(count)]
        if not poses:
            return {"bodyparts": torch.zeros((0, 1, self.detector.keypoints.shape[2], 3))}
        xy = torch.tensor(np.stack(poses), dtype=torch.float32)
        return {"bodyparts": torch.cat([xy, torch.full((*xy.shape[:2], 1), 0.9)], dim=-1)[:, None]}


def oracle_runner(config: Path, batch_size: int = 8) -> PoseInferenceRunner:
    truth = load_ground_truth(config)
    with VideoReader(next((config.parent / "videos").glob("*.mp4"))) as reader:
        frame_size = (reader.width, reader.height)
    detector = OracleDetector(truth.keypoints, frame_size)
    boxes = DetectorBoxes(detector, Preprocessing(pad_divisors=(32, 32)), IMAGENET)
    crops = TopDownCrops(boxes, CROP_SIZE, ResizeAndPad(Preprocessing(), IMAGENET), max_individuals=truth.keypoints.shape[1])
    return PoseInferenceRunner(OracleCropPose(detector), CPU, crops, batch_size=batch_size)


def test_top_down_video_to_tracks_and_labeled_video(tmp_path: Path, monkeypatch):
    """analyze_videos -> convert_detections2tracklets -> stitch_tracklets -> create_labeled_video, unchanged."""
    config = make_tiny_top_down_shuffle(tmp_path, num_frames=60, num_labeled_frames=6)
    runner = oracle_runner(config)
    monkeypatch.setattr(PoseInferenceRunner, "from_snapshot", staticmethod(lambda *a, **k: runner))
    video = next((config.parent / "videos").glob("*.mp4"))
    scorer = analyze_videos(config, [video], auto_track=False)
    prefix = video.parent / f"{video.stem}{scorer}"
    truth = load_ground_truth(config).keypoints

    # crop -> pose -> map back is exact on every animal of every frame
    assemblies = pickle.loads(Path(f"{prefix}_assemblies.pickle").read_bytes())
    for frame in (0, 17, 59):
        found = assemblies[frame][..., :2]
        assert found.shape == truth[frame].shape
        for animal in truth[frame]:
            assert np.abs(found - animal).max(axis=(1, 2)).min() < 1e-3
    full = pickle.loads(Path(f"{prefix}_full.pickle").read_bytes())
    true_boxes = keypoint_boxes(truth[5], 20, image_size=(128, 96))
    found_boxes = full["frame05"]["bboxes"]
    for box in box_to_xywh(true_boxes):
        assert np.abs(found_boxes - box).max(axis=1).min() < 1e-4  # COCO [x, y, w, h], as DeepLabCut 3

    tracklets = convert_detections2tracklets(config, [video])
    assert tracklets[0].name == f"{video.stem}{scorer}_el.pickle"
    stitch_tracklets(config, [video])
    tracks = pd.read_hdf(f"{prefix}_el.h5", "tracks")
    array, _, _ = tracks_from_dataframe(tracks)
    assert count_identity_switches(array[..., :2], truth) == 0
    errors = per_frame_error(array[..., :2], truth)
    assert np.isfinite(errors).mean() > 0.95 and np.nanmean(errors) < 1e-3

    labeled = create_labeled_video(config, [video], color_by="individual")
    assert labeled[0].name == f"{video.stem}{scorer}_el_id_p60_labeled.mp4"
    with VideoReader(labeled[0]) as reader:
        assert reader.num_frames == 60
