"""Inference preprocessing is undone exactly: predictions come back in original-image pixels."""

import numpy as np
import torch

from conftest import BrightestPixel as BrightestPixelPose
from deeplabcut.pose_estimation_pytorch.data.normalization import IMAGENET_MEAN, IMAGENET_STD
from deeplabcut.pose_estimation_pytorch.data.preprocessing import Preprocessing
from deeplabcut.pose_estimation_pytorch.inference.runner import PoseInferenceRunner


class BrightestPixel(BrightestPixelPose):
    """The brightest pixel as the one keypoint of one animal, padded to two animals (-1 rows)."""

    def predict(self, outputs: dict) -> dict:
        poses = super().predict(outputs)["bodyparts"]
        padded = torch.full((len(poses), 2, 1, 3), -1.0)
        padded[:, :1] = poses
        return {"bodyparts": padded}


def frames_with_dot(x: int, y: int, count: int = 3, size=(100, 150)) -> np.ndarray:
    frames = np.zeros((count, *size, 3), np.uint8)
    frames[:, y, x] = 255
    return frames


def test_padding_keeps_coordinates_and_normalizes():
    model = BrightestPixel()
    runner = PoseInferenceRunner(model, torch.device("cpu"), Preprocessing(pad_divisors=(32, 32)), batch_size=2)
    result = runner.predict_batch(frames_with_dot(40, 70))
    assert model.seen == [(3, 3, 128, 160)]
    np.testing.assert_array_equal(result["bodyparts"][:, 0, 0], [[40, 70, 1]] * 3)
    assert (result["bodyparts"][:, 1] == -1).all()  # the padding row stays -1


def test_resize_is_mapped_back():
    model = BrightestPixel()
    preprocessing = Preprocessing(resize={"height": 50, "width": 75, "keep_ratio": True}, pad_divisors=None)
    runner = PoseInferenceRunner(model, torch.device("cpu"), preprocessing)
    frames = np.zeros((1, 100, 150, 3), np.uint8)
    frames[0, 60:62, 90:92] = 255  # a 2x2 dot, one pixel after halving
    result = runner.predict_batch(frames)
    assert model.seen == [(1, 3, 50, 75)]
    np.testing.assert_allclose(result["bodyparts"][0, 0, 0, :2], [90, 60], atol=1e-6)


def test_predict_batches_consecutive_same_size_images():
    model = BrightestPixel()
    runner = PoseInferenceRunner(model, torch.device("cpu"), Preprocessing(pad_divisors=None), batch_size=2)
    images = [frames_with_dot(5, 6, 1)[0], frames_with_dot(7, 8, 1)[0], frames_with_dot(9, 10, 1, size=(20, 30))[0]]
    results = list(runner.predict(images))
    assert model.seen == [(2, 3, 100, 150), (1, 3, 20, 30)]
    assert [tuple(r["bodyparts"][0, 0, :2]) for r in results] == [(5, 6), (7, 8), (9, 10)]


def test_normalization_matches_training():
    model = BrightestPixel()
    runner = PoseInferenceRunner(model, torch.device("cpu"), Preprocessing(pad_divisors=None))
    images = runner.preprocessor(np.full((1, 4, 4, 3), 255, np.uint8), runner.device).images
    np.testing.assert_allclose(images[0, :, 0, 0].numpy(), (1 - IMAGENET_MEAN) / IMAGENET_STD, rtol=1e-6)


def test_a_user_transform_replaces_the_config_preprocessing():
    import albumentations as A

    model = BrightestPixel()
    transform = A.Compose([A.Resize(50, 75), A.Normalize()])
    runner = PoseInferenceRunner(model, torch.device("cpu"), Preprocessing(pad_divisors=(32, 32)), transform=transform)
    frames = np.zeros((1, 100, 150, 3), np.uint8)
    frames[0, 60:62, 90:92] = 255
    result = runner.predict_batch(frames)
    assert model.seen == [(1, 3, 64, 96)]  # resized by the transform, then padded to multiples of 32
    np.testing.assert_allclose(result["bodyparts"][0, 0, 0, :2], [90, 60], atol=1e-6)


class CropAt:
    """A user transform that crops a 40x60 window at a different place on each call, and says so."""

    def __init__(self, corners):
        self.corners = list(corners)

    def __call__(self, image, keypoints):
        x0, y0 = self.corners.pop(0)
        return {"image": image[y0 : y0 + 40, x0 : x0 + 60], "scale": [1.0, 1.0], "offset": [x0, y0]}


def test_each_item_of_a_batch_is_mapped_back_with_its_own_crop():
    dots = [(40, 70), (100, 20), (15, 55)]
    frames = np.stack([frames_with_dot(x, y, 1)[0] for x, y in dots])
    transform = CropAt([(20, 50), (80, 10), (0, 30)])  # each window holds its frame's dot
    model = BrightestPixel()
    runner = PoseInferenceRunner(model, torch.device("cpu"), Preprocessing(pad_divisors=None), transform=transform)
    result = runner.predict_batch(frames)
    assert model.seen == [(3, 3, 40, 60)]
    np.testing.assert_array_equal(result["bodyparts"][:, 0, 0, :2], dots)


def test_each_item_of_a_batch_is_mapped_back_with_its_own_resize():
    import albumentations as A
    import cv2

    sizes = iter([(50, 75), (100, 150), (25, 30)])  # (height, width) of each call's output

    def resize_differently(image, keypoints):
        height, width = next(sizes)
        return A.Resize(height, width, interpolation=cv2.INTER_NEAREST)(image=image)

    model = BrightestPixel()
    runner = PoseInferenceRunner(
        model, torch.device("cpu"), Preprocessing(pad_divisors=(32, 32)), transform=resize_differently
    )
    result = runner.predict_batch(frames_with_dot(90, 60))  # nearest: the dot stays one pixel at each size
    assert model.seen == [(3, 3, 128, 160)]  # padded to the largest item, then to multiples of 32
    np.testing.assert_array_equal(result["bodyparts"][:, 0, 0], [[90, 60, 1]] * 3)


def test_cpu_forward_passes_are_split_by_pixels_and_give_the_whole_batch_outputs(monkeypatch):
    from deeplabcut.pose_estimation_pytorch.inference import runner as runner_module

    class Heads(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 2, 3, padding=1)
            self.sizes: list[int] = []

        def forward(self, images: torch.Tensor) -> dict:
            self.sizes.append(len(images))
            return {"bodypart": {"heatmap": self.conv(images), "offset": images.mean(dim=1, keepdim=True)}}

    model = Heads().eval()
    images = torch.randn(5, 3, 16, 20, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        whole = model(images)
        monkeypatch.setattr(runner_module, "CPU_PIXELS_PER_PASS", 2 * 16 * 20)
        model.sizes.clear()
        split = runner_module._forward_in_chunks(model, images, torch.device("cpu"))
    assert model.sizes == [2, 2, 1]
    for key in ("heatmap", "offset"):
        torch.testing.assert_close(split["bodypart"][key], whole["bodypart"][key])
    with torch.no_grad():
        model.sizes.clear()
        empty = runner_module._forward_in_chunks(model, images[:0], torch.device("cpu"))
    assert model.sizes == [0] and empty["bodypart"]["heatmap"].shape == (0, 2, 16, 20)
