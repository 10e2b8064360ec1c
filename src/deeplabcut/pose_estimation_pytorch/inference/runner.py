"""Batched pose prediction on full images, mapped back exactly to original pixels.

Frames are resized (if configured) on the CPU with the function training uses,
then go to the device as uint8 and are normalized and padded there. Predictions are returned per image
in original-image pixels: ``bodyparts`` ``(max_individuals, K, 3)`` and
``unique_bodyparts`` ``(U, 3)`` with ``(x, y, score)``, -1 where the model
found nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from deeplabcut.errors import ModelError
from deeplabcut.pose_estimation_pytorch.data.normalization import IMAGENET_MEAN, IMAGENET_STD
from deeplabcut.pose_estimation_pytorch.data.preprocessing import Preprocessing
from deeplabcut.pose_estimation_pytorch.data.transforms import resize_image
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.train_module.device import autocast_dtype
from deeplabcut.pose_estimation_pytorch.train_module.snapshots import load_checkpoint


class PoseInferenceRunner:
    """Runs a trained model over batches of RGB uint8 images.

    Args:
        model: a ``PoseModel`` (moved to ``device`` and set to eval mode here).
        device: where to run.
        preprocessing: resize / normalization / padding.
        batch_size: images per forward pass.
        precision: run the model under autocast with this dtype (None: full precision).
        transform: instead of ``preprocessing``, a callable applied to each RGB
            uint8 frame as ``transform(image=..., keypoints=...)`` (an
            albumentations ``Compose`` works). It must normalize as training did
            (a uint8 result is normalized with ImageNet statistics); if it
            changes the image size, predictions are mapped back with the
            ``scale``/``offset`` it returns, else by the ratio of sizes (right
            for resizes, not for crops).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        device: torch.device,
        preprocessing: Preprocessing,
        batch_size: int = 1,
        precision: torch.dtype | None = None,
        transform: Callable[..., dict[str, Any]] | None = None,
    ) -> None:
        self.device = device
        self.model = model.to(device, memory_format=torch.channels_last).eval()
        self.preprocessing = preprocessing
        self.batch_size = max(1, int(batch_size))
        self.precision = precision
        self.transform = transform
        self.mean = torch.as_tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
        self.std = torch.as_tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)

    @classmethod
    def from_snapshot(
        cls,
        pytorch_config: dict[str, Any],
        snapshot_path: str | Path,
        device: torch.device,
        batch_size: int = 1,
        transform: Callable[..., dict[str, Any]] | None = None,
    ) -> PoseInferenceRunner:
        """Build the model of ``pytorch_config`` and load ``snapshot_path`` into it.

        Runs in the precision training used (``runner.mixed_precision``: bf16
        autocast on a CUDA GPU by default, full precision on the CPU).
        """
        model_cfg = dict(pytorch_config["model"])
        model_cfg["backbone"] = {**model_cfg["backbone"], "pretrained": False}
        model = PoseModel.build(model_cfg)
        checkpoint = load_checkpoint(snapshot_path, map_location="cpu")
        try:
            model.load_state_dict(checkpoint["model"])
        except RuntimeError as err:
            raise ModelError(
                f"Snapshot '{snapshot_path}' does not fit the model described by pytorch_config.yaml "
                f"(net_type {pytorch_config.get('net_type')}): {err}. Was the config edited after training?"
            ) from err
        precision = autocast_dtype(pytorch_config.get("runner", {}).get("mixed_precision", "auto"), device)
        preprocessing = Preprocessing.from_config(pytorch_config["data"].get("inference"))
        return cls(model, device, preprocessing, batch_size, precision, transform)

    def _prepare(self, frames: np.ndarray) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
        """uint8 ``(B, H, W, 3)`` -> normalized, padded ``(B, 3, H', W')`` on the device, scale and offset.

        Resizing (if configured) runs on the CPU with the same function as
        training; normalization and padding run on the device.
        """
        if self.transform is not None:
            return self._prepare_with_transform(frames)
        preprocessing = self.preprocessing
        scale = np.ones(2, np.float32)
        if preprocessing.resize is not None or preprocessing.longest_max_size is not None:
            resized = [resize_image(frame, preprocessing.resize, preprocessing.longest_max_size) for frame in frames]
            frames = np.stack([image for image, _ in resized])
            scale = 1.0 / resized[0][1]
        images = torch.from_numpy(np.ascontiguousarray(frames)).to(self.device, non_blocking=True)
        images = images.permute(0, 3, 1, 2).float().div_(255.0)
        if preprocessing.normalize:
            images = (images - self.mean) / self.std
        return self._pad(images, preprocessing.normalize), scale, np.zeros(2, np.float32)

    def _prepare_with_transform(self, frames: np.ndarray) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
        """Apply the user's transform frame by frame on the CPU (see :class:`PoseInferenceRunner`)."""
        images, scale, offset = [], np.ones(2, np.float32), np.zeros(2, np.float32)
        for frame in frames:
            out = self.transform(image=frame, keypoints=np.zeros((0, 2), np.float32))
            image = np.asarray(out["image"])
            if image.dtype == np.uint8:
                image = (image.astype(np.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
            if "scale" in out:
                scale, offset = np.asarray(out["scale"], np.float32), np.asarray(out.get("offset", offset), np.float32)
            else:  # a plain resize, or no change of size
                scale = np.array([frame.shape[1] / image.shape[1], frame.shape[0] / image.shape[0]], np.float32)
            images.append(np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32))
        batch = torch.from_numpy(np.stack(images)).to(self.device, non_blocking=True)
        return self._pad(batch, normalized=True), scale, offset

    def _pad(self, images: torch.Tensor, normalized: bool) -> torch.Tensor:
        """Pad bottom and right to the configured divisors with the (normalized) value of black."""
        if self.preprocessing.pad_divisors is not None:
            width_divisor, height_divisor = self.preprocessing.pad_divisors
            pad_h = (-images.shape[2]) % height_divisor
            pad_w = (-images.shape[3]) % width_divisor
            if pad_h or pad_w:
                fill = (-self.mean / self.std) if normalized else torch.zeros_like(self.mean)
                padded = fill.expand(images.shape[0], 3, images.shape[2] + pad_h, images.shape[3] + pad_w).clone()
                padded[:, :, : images.shape[2], : images.shape[3]] = images
                images = padded
        return images.contiguous(memory_format=torch.channels_last)

    @torch.inference_mode()
    def predict_batch(self, frames: np.ndarray) -> dict[str, np.ndarray]:
        """Predict a batch of same-size frames: ``bodyparts`` ``(B, A, K, 3)``, ``unique_bodyparts`` ``(B, U, 3)``."""
        images, scale, offset = self._prepare(frames)
        context = torch.autocast(self.device.type, dtype=self.precision) if self.precision else contextlib.nullcontext()
        with context:
            outputs = self.model(images)
        outputs = {head: {k: v.float() for k, v in values.items()} for head, values in outputs.items()}
        poses = self.model.predict(outputs)
        result = {"bodyparts": _rescale(poses["bodyparts"].cpu().numpy(), scale, offset)}
        if "unique_bodyparts" in poses:
            result["unique_bodyparts"] = _rescale(poses["unique_bodyparts"].cpu().numpy(), scale, offset)[:, 0]
        return result

    def predict(self, images: Iterable[np.ndarray]) -> Iterator[dict[str, np.ndarray]]:
        """Predict images one by one (batched internally; consecutive same-size images share a batch)."""
        batch: list[np.ndarray] = []
        for image in images:
            if batch and (image.shape != batch[0].shape or len(batch) == self.batch_size):
                yield from _split(self.predict_batch(np.stack(batch)))
                batch = []
            batch.append(image)
        if batch:
            yield from _split(self.predict_batch(np.stack(batch)))


def _rescale(poses: np.ndarray, scale: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Network-input pixels -> original pixels (``p * scale + offset``); -1 rows stay -1."""
    valid = poses[..., 2] >= 0
    out = poses.copy()
    out[..., :2] = np.where(valid[..., None], poses[..., :2] * scale + offset, -1.0)
    return out


def _split(batch: dict[str, np.ndarray]) -> Iterator[dict[str, np.ndarray]]:
    for i in range(len(batch["bodyparts"])):
        yield {key: value[i] for key, value in batch.items()}
