"""Pre-processors record, for every model input, its frame and the scale/offset back to that frame.

A top-down model is a new pre-processor (one crop per animal box), not a special case of the runner.
"""

import cv2
import numpy as np
import pytest
import torch
from pose_estimation_pytorch.inference.test_runner import BrightestPixel, frames_with_dot

from deeplabcut import geometry
from deeplabcut.pose_estimation_pytorch.data.normalization import IMAGENET, Normalization
from deeplabcut.pose_estimation_pytorch.data.preprocessing import Preprocessing
from deeplabcut.pose_estimation_pytorch.inference.preprocessors import (
    ItemTransforms,
    PreparedBatch,
    ResizeAndPad,
    UserTransform,
    build_preprocessor,
)
from deeplabcut.pose_estimation_pytorch.inference.runner import PoseInferenceRunner

CPU = torch.device("cpu")


class CropBoxes:
    """A top-down style pre-processor: each box of each frame becomes a 20x20 crop (its own item)."""

    def __init__(self, boxes_per_frame):
        self.boxes_per_frame = boxes_per_frame

    def __call__(self, frames, device):
        crops, frame_index, scales, offsets = [], [], [], []
        for frame_number, (frame, boxes) in enumerate(zip(frames, self.boxes_per_frame)):
            for box in boxes:
                crop_box, scale, offset = geometry.crop_transform(box, (20, 20))
                x0, y0, x1, y1 = crop_box.astype(int)
                crops.append(cv2.resize(frame[y0:y1, x0:x1], (20, 20), interpolation=cv2.INTER_AREA))
                frame_index.append(frame_number)
                scales.append(scale)
                offsets.append(offset)
        images = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float().to(device)
        return PreparedBatch(images, ItemTransforms(np.array(frame_index), np.array(scales), np.array(offsets)))


def test_crops_of_several_animals_map_back_to_their_frames():
    frames = np.zeros((2, 100, 150, 3), np.uint8)
    dots = {0: [(30, 40), (110, 70)], 1: [(60, 20)]}
    for frame, points in dots.items():
        for x, y in points:
            frames[frame, y : y + 2, x : x + 2] = 255  # 2x2: one pixel of a crop halved
    boxes = {0: [(10, 30, 50, 70), (100, 50, 140, 90)], 1: [(40, 0, 80, 40)]}  # 40x40 -> 20x20: scale 2
    model = BrightestPixel()
    runner = PoseInferenceRunner(model, CPU, CropBoxes([boxes[0], boxes[1]]))
    result = runner.predict_batch(frames)
    assert model.seen == [(3, 3, 20, 20)]  # three items from two frames
    # BrightestPixel gives each item one animal row and one -1 row; a frame gathers its items' rows.
    assert result["bodyparts"].shape == (2, 4, 1, 3)
    np.testing.assert_array_equal(result["bodyparts"][0, [0, 2], 0, :2], dots[0])
    np.testing.assert_array_equal(result["bodyparts"][1, 0, 0, :2], dots[1][0])
    assert (result["bodyparts"][1, 1:] == -1).all()


def test_resize_and_pad_records_one_transform_per_frame():
    preprocessor = ResizeAndPad(Preprocessing(resize={"height": 50, "width": 75}, pad_divisors=(32, 32)), IMAGENET)
    batch = preprocessor(frames_with_dot(4, 6, count=2), CPU)
    assert tuple(batch.images.shape) == (2, 3, 64, 96)
    assert batch.images.is_contiguous(memory_format=torch.channels_last)
    np.testing.assert_array_equal(batch.transforms.frame_index, [0, 1])
    np.testing.assert_array_equal(batch.transforms.scale, [[2, 2], [2, 2]])
    np.testing.assert_array_equal(batch.transforms.offset, [[0, 0], [0, 0]])
    padding = batch.images[0, :, -1, -1].numpy()
    np.testing.assert_allclose(padding, IMAGENET.black, rtol=1e-6)  # normalised black


def test_the_backbones_normalization_is_used():
    grey = Normalization(mean=[0.5, 0.5, 0.5], std=[0.25, 0.25, 0.25])
    frames = np.full((1, 4, 4, 3), 255, np.uint8)
    batch = ResizeAndPad(Preprocessing(pad_divisors=None), grey)(frames, CPU)
    np.testing.assert_allclose(batch.images.numpy(), 2.0)
    batch = UserTransform(lambda image, keypoints: {"image": image}, grey)(frames, CPU)
    np.testing.assert_allclose(batch.images.numpy(), 2.0)

    class WithBackbone(BrightestPixel):
        def __init__(self):
            super().__init__()
            self.backbone = torch.nn.Identity()
            self.backbone.normalization = grey

    runner = PoseInferenceRunner(WithBackbone(), CPU, Preprocessing(pad_divisors=None))
    np.testing.assert_allclose(runner.preprocessor(frames, CPU).images.numpy(), 2.0)


def test_build_preprocessor():
    config = Preprocessing(pad_divisors=(16, 8))
    assert isinstance(build_preprocessor(config, IMAGENET), ResizeAndPad)
    user = build_preprocessor(config, IMAGENET, transform=lambda image, keypoints: {"image": image})
    assert isinstance(user, UserTransform) and user.pad_divisors == (16, 8)
    crop = CropBoxes([])
    assert build_preprocessor(crop, IMAGENET) is crop
    with pytest.raises(TypeError):
        build_preprocessor(crop, IMAGENET, transform=lambda image, keypoints: {"image": image})
