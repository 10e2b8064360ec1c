"""Batched pose prediction, mapped back exactly to original pixels.

A batch of frames goes through three steps: a pre-processor
(:mod:`~deeplabcut.pose_estimation_pytorch.inference.preprocessors`) makes the
model inputs and records, per item, its frame and its scale/offset; the model
predicts poses per item; post-processing
(:mod:`~deeplabcut.pose_estimation_pytorch.inference.postprocessing`) maps each
item back with its own transform and gathers the items of each frame.
Predictions are returned per image in original-image pixels: ``bodyparts``
``(max_individuals, K, 3)`` and ``unique_bodyparts`` ``(U, 3)`` with
``(x, y, score)``, -1 where the model found nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from deeplabcut.pose_estimation_pytorch.data.normalization import IMAGENET, Normalization
from deeplabcut.pose_estimation_pytorch.data.preprocessing import Preprocessing
from deeplabcut.pose_estimation_pytorch.inference.postprocessing import items_to_frames
from deeplabcut.pose_estimation_pytorch.inference.preprocessors import Preprocessor, build_preprocessor
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.runtime import autocast, autocast_dtype, load_snapshot


class PoseInferenceRunner:
    """Runs a trained model over batches of RGB uint8 images.

    Args:
        model: a ``PoseModel`` (moved to ``device`` and set to eval mode here).
        device: where to run.
        preprocessing: the parsed ``data.inference`` section (resize /
            normalization / padding), or a ready
            :class:`~deeplabcut.pose_estimation_pytorch.inference.preprocessors.Preprocessor`.
        batch_size: images per forward pass.
        precision: run the model under autocast with this dtype (None: full precision).
        transform: instead of ``preprocessing``'s resize and normalization, a
            callable applied to each RGB uint8 frame as
            ``transform(image=..., keypoints=...)`` (an albumentations ``Compose``
            works). It must normalize as training did (a uint8 result is
            normalized with the backbone's statistics); if it changes the image
            size, each frame's predictions are mapped back with the
            ``scale``/``offset`` its call returns, else by the ratio of sizes
            (right for resizes, not for crops).
        normalization: the input statistics (default: ``model.backbone.normalization``,
            ImageNet for a model without one).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        device: torch.device,
        preprocessing: Preprocessing | Preprocessor,
        batch_size: int = 1,
        precision: torch.dtype | None = None,
        transform: Callable[..., dict[str, Any]] | None = None,
        normalization: Normalization | None = None,
    ) -> None:
        self.device = device
        self.model = model.to(device, memory_format=torch.channels_last).eval()
        self.batch_size = max(1, int(batch_size))
        self.precision = precision
        if normalization is None:
            normalization = getattr(getattr(model, "backbone", None), "normalization", IMAGENET)
        self.preprocessor = build_preprocessor(preprocessing, normalization, transform)

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
        load_snapshot(model, snapshot_path)
        precision = autocast_dtype(pytorch_config.get("runner", {}).get("mixed_precision", "auto"), device)
        preprocessing = Preprocessing.from_config(pytorch_config["data"].get("inference"))
        return cls(model, device, preprocessing, batch_size, precision, transform)

    @torch.inference_mode()
    def predict_batch(self, frames: np.ndarray) -> dict[str, np.ndarray]:
        """Predict a batch of same-size frames: ``bodyparts`` ``(B, A, K, 3)``, ``unique_bodyparts`` ``(B, U, 3)``.

        Each item the pre-processor made is mapped back with its own scale and offset.
        """
        batch = self.preprocessor(frames, self.device)
        with autocast(self.device, self.precision):
            outputs = self.model(batch.images)
        outputs = {head: {k: v.float() for k, v in values.items()} for head, values in outputs.items()}
        poses = self.model.predict(outputs)
        result = {"bodyparts": items_to_frames(poses["bodyparts"].cpu().numpy(), batch.transforms, len(frames))}
        if "unique_bodyparts" in poses:
            unique = items_to_frames(poses["unique_bodyparts"].cpu().numpy(), batch.transforms, len(frames))
            result["unique_bodyparts"] = unique[:, 0]
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


def _split(batch: dict[str, np.ndarray]) -> Iterator[dict[str, np.ndarray]]:
    for i in range(len(batch["bodyparts"])):
        yield {key: value[i] for key, value in batch.items()}
