"""Top-down inference: detect, crop every box of a batch of frames, pose each crop, map each crop back.

A stub detector returns known boxes and a stub pose model reports the
brightest pixel of each crop, so the frame-pixel result must equal the
known dot positions exactly: crop -> pose -> map back loses nothing.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from conftest import BrightestPixel
from deeplabcut.errors import ConfigError, ModelError
from deeplabcut.pose_estimation_pytorch.data.normalization import IMAGENET
from deeplabcut.pose_estimation_pytorch.data.preprocessing import Preprocessing
from deeplabcut.pose_estimation_pytorch.inference.preprocessors import (
    DetectorBoxes,
    ItemTransforms,
    ResizeAndPad,
    TopDownCrops,
)
from deeplabcut.pose_estimation_pytorch.data import top_down_crop_size
from deeplabcut.pose_estimation_pytorch.inference.runner import PoseInferenceRunner, min_bbox_score

CPU = torch.device("cpu")
CROP = (32, 32)  # (width, height)
FRAME_SIZE = (120, 160)  # (height, width)

# Three frames in one batch with 0, 1 and 3 animals. Each animal is one bright pixel; its box
# is chosen so that the crop samples the frame exactly on that pixel (scale 1, 2, and 2 after the
# box is widened to the crop's aspect ratio).
DOTS = {0: [], 1: [(50, 60)], 2: [(20, 17), (78, 62), (128, 60)]}
BOXES = {
    0: [],
    1: [(40, 50, 72, 82), (100, 10, 132, 42)],  # the second one is scored below min_bbox_score
    2: [(10, 10, 42, 42), (60, 40, 124, 104), (120, 50, 152, 114)],  # 32x32, 64x64, 32x64 (-> 64x64)
}
SCORES = {0: [], 1: [0.8, 0.05], 2: [0.9, 0.7, 0.8]}


def dot_frames() -> np.ndarray:
    frames = np.zeros((3, *FRAME_SIZE, 3), np.uint8)
    for frame, dots in DOTS.items():
        for x, y in dots:
            frames[frame, y, x] = 255
    return frames


class KnownBoxes(nn.Module):
    """A detector that 'finds' the boxes of :data:`BOXES` in inputs ``input_scale`` times the frame size."""

    def __init__(self, input_scale: float = 1.0, max_individuals: int = 3) -> None:
        super().__init__()
        self.input_scale = input_scale
        self.max_individuals = max_individuals
        self.seen: list[tuple[int, ...]] = []

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        self.seen.append(tuple(images.shape))
        return {"heatmap": images[:, :1]}

    def predict(self, outputs, image_size=None):
        batch = outputs["heatmap"].shape[0]
        boxes = torch.full((batch, self.max_individuals, 4), -1.0)
        scores = torch.full((batch, self.max_individuals), -1.0)
        for frame in range(batch):
            for row, (box, score) in enumerate(zip(BOXES[frame], SCORES[frame])):
                boxes[frame, row] = torch.tensor(box, dtype=torch.float32) * self.input_scale
                scores[frame, row] = score
        return {"bboxes": boxes, "bbox_scores": scores}


def top_down_runner(detector_resize: dict | None = None, input_scale: float = 1.0, with_detector: bool = True):
    pose = BrightestPixel(score=0.5)
    detector = KnownBoxes(input_scale)
    boxes = DetectorBoxes(detector, Preprocessing(resize=detector_resize, pad_divisors=(32, 32)), IMAGENET)
    crops = TopDownCrops(
        boxes if with_detector else None,
        CROP,
        ResizeAndPad(Preprocessing(pad_divisors=None), IMAGENET),
        max_individuals=3,
        min_bbox_score=0.1,
    )
    return PoseInferenceRunner(pose, CPU, crops, batch_size=3), pose, detector


def expected_bodyparts() -> np.ndarray:
    expected = np.full((3, 3, 1, 3), -1.0)
    for frame, dots in DOTS.items():
        for row, (x, y) in enumerate(dots):
            expected[frame, row, 0] = (x, y, 0.5)
    return expected


def test_crop_pose_map_back_is_exact_for_frames_with_0_1_and_3_animals():
    runner, pose, detector = top_down_runner()
    result = runner.predict_batch(dot_frames())

    assert runner.top_down
    assert detector.seen == [(3, 3, 128, 160)]  # the whole frames, padded to 32
    assert pose.seen == [(4, 3, 32, 32)]  # all crops of the batch in one pass: 0 + 1 + 3
    # the third animal of frame 2 is scored below the second: rows follow the scores
    order = [0, 2, 1]
    expected = expected_bodyparts()
    expected[2] = expected[2, order]
    np.testing.assert_array_equal(result["bodyparts"], expected)

    assert result["bboxes"].shape == (3, 3, 4) and result["bbox_scores"].shape == (3, 3)
    assert (result["bboxes"][0] == -1).all() and (result["bbox_scores"][0] == -1).all()
    np.testing.assert_array_equal(result["bboxes"][1, 0], BOXES[1][0])
    assert (result["bboxes"][1, 1:] == -1).all()  # the 0.05 box is not an animal
    np.testing.assert_array_equal(result["bboxes"][2], np.asarray(BOXES[2])[order])
    np.testing.assert_allclose(result["bbox_scores"][2], [0.9, 0.8, 0.7])


def test_the_detector_input_size_is_mapped_back():
    """With ``detector.data.inference.resize`` the detector sees half-size frames; its boxes come back in frame pixels."""
    runner, _, detector = top_down_runner(detector_resize={"height": 60, "width": 80}, input_scale=0.5)
    result = runner.predict_batch(dot_frames())
    assert detector.seen == [(3, 3, 64, 96)]
    np.testing.assert_array_equal(result["bboxes"][1, 0], BOXES[1][0])
    expected = expected_bodyparts()
    expected[2] = expected[2, [0, 2, 1]]
    np.testing.assert_array_equal(result["bodyparts"], expected)


def test_given_boxes_replace_the_detector():
    """Ground-truth boxes (evaluation): no detector is run, NaN rows are skipped, order is kept."""
    runner, pose, _ = top_down_runner(with_detector=False)
    boxes = [np.zeros((0, 4)), np.array([BOXES[1][0], [np.nan] * 4]), np.array(BOXES[2])]
    result = runner.predict_batch(dot_frames(), boxes=boxes)
    np.testing.assert_array_equal(result["bodyparts"], expected_bodyparts())
    assert pose.seen == [(4, 3, 32, 32)]
    with pytest.raises(ModelError, match="no detector"):
        runner.predict_batch(dot_frames())


def test_predict_passes_boxes_image_by_image():
    runner, _, _ = top_down_runner(with_detector=False)
    frames = dot_frames()
    boxes = [np.zeros((0, 4)), np.array(BOXES[1][:1]), np.array(BOXES[2])]
    results = list(runner.predict(list(frames), boxes=boxes))
    assert [r["bodyparts"].shape for r in results] == [(3, 1, 3)] * 3
    np.testing.assert_array_equal(np.stack([r["bodyparts"] for r in results]), expected_bodyparts())


def test_a_batch_without_any_animal_gives_all_minus_one():
    runner, pose, _ = top_down_runner(with_detector=False)
    result = runner.predict_batch(np.zeros((2, *FRAME_SIZE, 3), np.uint8), boxes=[np.zeros((0, 4))] * 2)
    assert result["bodyparts"].shape == (2, 3, 1, 3) and (result["bodyparts"] == -1).all()
    assert (result["bboxes"] == -1).all()
    assert pose.seen == [(0, 3, 32, 32)]


def test_boxes_are_refused_by_a_full_image_model():
    from pose_estimation_pytorch.inference.test_runner import BrightestPixel

    runner = PoseInferenceRunner(BrightestPixel(), CPU, Preprocessing(pad_divisors=None))
    assert not runner.top_down
    with pytest.raises(ConfigError, match="top-down"):
        runner.predict_batch(dot_frames(), boxes=[np.zeros((0, 4))] * 3)


def test_item_transforms_compose_through_the_crop():
    """A crop resized again: the item's map goes through both steps to its frame."""
    crop = ItemTransforms(np.array([1, 1]), np.array([[2.0, 2.0], [1.0, 1.0]]), np.array([[10.0, 20.0], [0.0, 5.0]]))
    resized = ItemTransforms(np.array([1, 0]), np.array([[0.5, 0.5], [3.0, 3.0]]), np.array([[1.0, 1.0], [0.0, 0.0]]))
    composed = resized.through(crop)
    points = np.array([[[4.0, 6.0]], [[1.0, 2.0]]])
    np.testing.assert_array_equal(composed.frame_index, [1, 1])
    np.testing.assert_allclose(composed.to_original(points), crop.to_original(resized.to_original(points)[[1, 0]])[[1, 0]])


def test_config_keys_of_top_down_inference():
    config = {"data": {"train": {"top_down_crop": {"width": 192, "height": 256}}, "inference": {}}}
    assert top_down_crop_size(config["data"]) == (192, 256)  # falls back to data.train
    config["data"]["inference"]["top_down_crop"] = {"width": 48, "height": 64}
    assert top_down_crop_size(config["data"]) == (48, 64)
    with pytest.raises(ConfigError, match="top_down_crop"):
        top_down_crop_size({"inference": {}})
    assert min_bbox_score({}) == 0.1
    assert min_bbox_score({"detector": {"inference": {"min_bbox_score": 0.5}}}) == 0.5
