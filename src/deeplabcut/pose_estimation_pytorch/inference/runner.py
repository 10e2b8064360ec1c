"""Batched pose prediction on full images, mapped back exactly to original pixels.

Frames go to the device as uint8 and are resized (if configured), normalized
and padded there, so the CPU only decodes. Predictions are returned per image
in original-image pixels: ``bodyparts`` ``(max_individuals, K, 3)`` and
``unique_bodyparts`` ``(U, 3)`` with ``(x, y, score)``, -1 where the model
found nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from deeplabcut.errors import ModelError
from deeplabcut.pose_estimation_pytorch.data.transforms import IMAGENET_MEAN, IMAGENET_STD
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.train_module.device import autocast_dtype
from deeplabcut.pose_estimation_pytorch.train_module.snapshots import load_checkpoint


@dataclass
class Preprocessing:
    """Inference preprocessing read from ``data.inference`` of ``pytorch_config.yaml``."""

    resize: dict[str, Any] | None = None
    longest_max_size: int | None = None
    pad_divisors: tuple[int, int] | None = (32, 32)
    normalize: bool = True

    @classmethod
    def from_config(cls, section: dict[str, Any] | None) -> Preprocessing:
        section = section or {}
        padding = section.get("auto_padding")
        return cls(
            resize=section.get("resize") or None,
            longest_max_size=section.get("longest_max_size") or None,
            pad_divisors=(int(padding.get("pad_width_divisor", 32)), int(padding.get("pad_height_divisor", 32))) if padding else None,
            normalize=bool(section.get("normalize_images", True)),
        )

    def output_scale(self, height: int, width: int) -> tuple[tuple[int, int], np.ndarray]:
        """Resized ``(height, width)`` and the factors ``original / resized`` per axis (x, y)."""
        if self.resize is not None:
            target_h, target_w = int(self.resize["height"]), int(self.resize["width"])
            if self.resize.get("keep_ratio", True):
                factor = min(target_h / height, target_w / width)
                size = (max(1, round(height * factor)), max(1, round(width * factor)))
            else:
                size = (target_h, target_w)
        elif self.longest_max_size is not None:
            factor = self.longest_max_size / max(height, width)
            size = (max(1, round(height * factor)), max(1, round(width * factor)))
        else:
            size = (height, width)
        return size, np.array([width / size[1], height / size[0]], np.float32)


class PoseInferenceRunner:
    """Runs a trained model over batches of RGB uint8 images.

    Args:
        model: a ``PoseModel`` (moved to ``device`` and set to eval mode here).
        device: where to run.
        preprocessing: resize / normalization / padding.
        batch_size: images per forward pass.
        precision: run the model under autocast with this dtype (None: full precision).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        device: torch.device,
        preprocessing: Preprocessing,
        batch_size: int = 1,
        precision: torch.dtype | None = None,
    ) -> None:
        self.device = device
        self.model = model.to(device, memory_format=torch.channels_last).eval()
        self.preprocessing = preprocessing
        self.batch_size = max(1, int(batch_size))
        self.precision = precision
        self.mean = torch.as_tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
        self.std = torch.as_tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)

    @classmethod
    def from_snapshot(
        cls,
        pytorch_config: dict[str, Any],
        snapshot_path: str | Path,
        device: torch.device,
        batch_size: int = 1,
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
        return cls(model, device, Preprocessing.from_config(pytorch_config["data"].get("inference")), batch_size, precision)

    def _prepare(self, frames: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
        """uint8 ``(B, H, W, 3)`` -> normalized, padded ``(B, 3, H', W')`` on the device, and the scale."""
        height, width = frames.shape[1:3]
        images = torch.from_numpy(np.ascontiguousarray(frames)).to(self.device, non_blocking=True)
        images = images.permute(0, 3, 1, 2).float().div_(255.0)
        size, scale = self.preprocessing.output_scale(height, width)
        if size != (height, width):
            images = F.interpolate(images, size=size, mode="bilinear", align_corners=False, antialias=True)
        if self.preprocessing.normalize:
            images = (images - self.mean) / self.std
        if self.preprocessing.pad_divisors is not None:
            width_divisor, height_divisor = self.preprocessing.pad_divisors
            pad_h = (-images.shape[2]) % height_divisor
            pad_w = (-images.shape[3]) % width_divisor
            if pad_h or pad_w:
                fill = (-self.mean / self.std) if self.preprocessing.normalize else torch.zeros_like(self.mean)
                padded = fill.expand(images.shape[0], 3, images.shape[2] + pad_h, images.shape[3] + pad_w).clone()
                padded[:, :, : images.shape[2], : images.shape[3]] = images
                images = padded
        return images.contiguous(memory_format=torch.channels_last), scale

    @torch.inference_mode()
    def predict_batch(self, frames: np.ndarray) -> dict[str, np.ndarray]:
        """Predict a batch of same-size frames: ``bodyparts`` ``(B, A, K, 3)``, ``unique_bodyparts`` ``(B, U, 3)``."""
        images, scale = self._prepare(frames)
        context = torch.autocast(self.device.type, dtype=self.precision) if self.precision else contextlib.nullcontext()
        with context:
            outputs = self.model(images)
        outputs = {head: {k: v.float() for k, v in values.items()} for head, values in outputs.items()}
        poses = self.model.predict(outputs)
        result = {"bodyparts": _rescale(poses["bodyparts"].cpu().numpy(), scale)}
        if "unique_bodyparts" in poses:
            result["unique_bodyparts"] = _rescale(poses["unique_bodyparts"].cpu().numpy(), scale)[:, 0]
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


def _rescale(poses: np.ndarray, scale: np.ndarray) -> np.ndarray:
    valid = poses[..., 2] >= 0
    out = poses.copy()
    out[..., :2] = np.where(valid[..., None], poses[..., :2] * scale, -1.0)
    return out


def _split(batch: dict[str, np.ndarray]) -> Iterator[dict[str, np.ndarray]]:
    for i in range(len(batch["bodyparts"])):
        yield {key: value[i] for key, value in batch.items()}
