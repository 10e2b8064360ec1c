"""Batched pose prediction, mapped back exactly to original pixels.

A batch of frames goes through three steps: a pre-processor
(:mod:`~deeplabcut.pose_estimation_pytorch.inference.preprocessors`) makes the
model inputs and records, per item, its frame and its scale/offset; the model
predicts poses per item; post-processing
(:mod:`~deeplabcut.pose_estimation_pytorch.inference.postprocessing`) maps each
item back with its own transform and gathers the items of each frame.
Predictions are returned per image in original-image pixels: ``bodyparts``
``(max_individuals, K, 3)`` and ``unique_bodyparts`` ``(U, 3)`` with
``(x, y, score)``, -1 where the model found nothing; top-down models add each
image's ``bboxes`` ``(max_individuals, 4)`` ``[x1, y1, x2, y2]`` and
``bbox_scores`` ``(max_individuals,)`` (-1 rows where no animal was found).

Bottom-up and top-down models run through the same runner: only the
pre-processor differs. :meth:`PoseInferenceRunner.from_snapshot` reads
``method`` from ``pytorch_config.yaml`` and builds the right one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.data.normalization import IMAGENET, Normalization
from deeplabcut.pose_estimation_pytorch.data.preprocessing import Preprocessing
from deeplabcut.pose_estimation_pytorch.data.top_down import top_down_crop_size
from deeplabcut.pose_estimation_pytorch.inference.engines import Engine, engine_setting, prepare_network, select_engine
from deeplabcut.pose_estimation_pytorch.inference.postprocessing import items_to_frames
from deeplabcut.pose_estimation_pytorch.inference.preprocessors import (
    DetectorBoxes,
    PreparedBatch,
    Preprocessor,
    TopDownCrops,
    build_preprocessor,
)
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.models.detectors import build_detector
from deeplabcut.pose_estimation_pytorch.runtime import inference_context, load_snapshot, release_free_memory

#: Detector boxes scored below this are dropped unless ``detector.inference.min_bbox_score`` says otherwise.
DEFAULT_MIN_BBOX_SCORE = 0.1


class PoseInferenceRunner:
    """Runs a trained model over batches of RGB uint8 images.

    Args:
        model: a ``PoseModel`` (moved to ``device`` and set to eval mode here).
        device: where to run.
        preprocessing: the parsed ``data.inference`` section (resize /
            normalization / padding), or a ready
            :class:`~deeplabcut.pose_estimation_pytorch.inference.preprocessors.Preprocessor`.
        batch_size: images per forward pass (top-down: frames per batch; the
            pose model sees all their crops in one pass).
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

    Attributes:
        engines: the :class:`~deeplabcut.pose_estimation_pytorch.inference.engines.Engine`
            that runs each network (``"pose"``, and ``"detector"`` for top-down models), as
            :meth:`from_snapshot` chose them; empty for a runner made otherwise.
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
        self.engines: dict[str, Engine] = {}

    @classmethod
    def from_snapshot(
        cls,
        pytorch_config: dict[str, Any],
        snapshot_path: str | Path,
        device: torch.device,
        batch_size: int = 1,
        transform: Callable[..., dict[str, Any]] | None = None,
        detector_snapshot_path: str | Path | None = None,
        engine: str | None = None,
    ) -> PoseInferenceRunner:
        """The runner of a trained model: bottom-up or top-down, as ``pytorch_config["method"]`` says.

        Builds the model of ``pytorch_config`` and loads ``snapshot_path`` into it.
        The inference engine (:mod:`~deeplabcut.pose_estimation_pytorch.inference.engines`)
        runs it: ``engine``, else ``inference.engine``, else ``auto`` (PyTorch where it
        runs in bf16, else OpenVINO on the CPU when installed); :attr:`engines` says which
        ran, in which precision. ``runner.mixed_precision`` sets the precision: PyTorch
        uses bf16 autocast (heads in float32) on a CUDA GPU and on CPUs with native bf16
        by default, else full precision; OpenVINO computes in bf16 only for ``bf16``
        (on CPUs with native bf16); ``false`` means float32 everywhere.

        Top-down models (``method: td``) get a :class:`TopDownCrops` pre-processor:
        the detector of ``detector.model``, loaded from ``detector_snapshot_path``,
        finds the animals in each batch of frames (prepared as ``detector.data.inference``
        says), boxes scored below ``detector.inference.min_bbox_score`` (default
        :data:`DEFAULT_MIN_BBOX_SCORE`) are dropped, at most ``max_individuals``
        (``metadata.individuals``) are kept per frame, and each is cropped at
        ``data.inference.top_down_crop`` for the pose model. Without a detector
        snapshot the runner needs the boxes given (``predict(images, boxes=...)``).

        Args:
            transform: a user's callable replacing ``data.inference``'s preprocessing
                (of the frames; of the crops for top-down models).
            detector_snapshot_path: the ``snapshot-detector-*.pt`` of a top-down model.
            engine: ``auto``, ``torch``, ``openvino`` or ``onnxruntime`` (None: the config's).

        Raises:
            ConfigError: a top-down config without ``top_down_crop`` or ``detector`` section, an unknown engine.
        """
        model = PoseModel.build(_without_pretrained(pytorch_config["model"]))
        load_snapshot(model, snapshot_path, mmap=True)
        mixed_precision = (pytorch_config.get("runner") or {}).get("mixed_precision", "auto")
        pose_engine = select_engine(engine or engine_setting(pytorch_config), device, mixed_precision)
        network, pose_engine = prepare_network(model.eval(), pose_engine, pytorch_config, "pose", device, mixed_precision)
        engines = {"pose": pose_engine}
        detector = None
        if detector_snapshot_path is not None and pytorch_config.get("method", "bu") in ("td", "ctd"):
            detector, engines["detector"] = _load_detector(pytorch_config, detector_snapshot_path, device, mixed_precision, engine)
        runner = cls._assemble(pytorch_config, network, device, batch_size, transform, detector, pose_engine.autocast_dtype)
        runner.engines = engines
        return runner

    @classmethod
    def from_exported(
        cls,
        pose_path: str | Path,
        device: torch.device | str = "cpu",
        batch_size: int = 1,
        transform: Callable[..., dict[str, Any]] | None = None,
        detector_path: str | Path | None = None,
    ) -> PoseInferenceRunner:
        """The runner of an exported TorchScript or ONNX model (``export_model(..., formats=...)``).

        The graphs compute the network's outputs; everything else (pre-processing,
        top-down crops, decoding with the model's codecs, mapping back) is what
        :meth:`from_snapshot` does with the ``pytorch_config.yaml`` stored in the
        file, in full precision.

        Args:
            pose_path: the pose model's ``_pose.torchscript`` or ``_pose.onnx`` file.
            detector_path: a top-down model's detector file (same format or not).
            device, batch_size, transform: as for :meth:`from_snapshot`.
        """
        from deeplabcut.pose_estimation_pytorch.inference.exported import load_exported

        device = torch.device(device)
        model = load_exported(pose_path, device)
        pytorch_config = model.config
        detector = None
        if detector_path is not None:
            network = load_exported(detector_path, device)
            section = pytorch_config.get("detector") or {}
            preprocessing = Preprocessing.from_config((section.get("data") or {}).get("inference"), "detector.data.inference")
            detector = DetectorBoxes(network.to(device), preprocessing, network.normalization or IMAGENET, None)
        return cls._assemble(pytorch_config, model, device, batch_size, transform, detector, None)

    @classmethod
    def _assemble(
        cls,
        pytorch_config: dict[str, Any],
        model: torch.nn.Module,
        device: torch.device,
        batch_size: int,
        transform: Callable[..., dict[str, Any]] | None,
        detector: DetectorBoxes | None,
        precision: torch.dtype | None,
    ) -> PoseInferenceRunner:
        """A runner of ``model`` (and ``detector``) prepared as ``pytorch_config`` says: whole frames or top-down crops."""
        preprocessing = Preprocessing.from_config(pytorch_config["data"].get("inference"))
        normalization = getattr(model, "normalization", None) or getattr(getattr(model, "backbone", None), "normalization", IMAGENET)
        if pytorch_config.get("method", "bu") not in ("td", "ctd"):
            return cls(model, device, preprocessing, batch_size, precision, transform, normalization=normalization)

        crops = build_preprocessor(preprocessing, normalization, transform)
        top_down = TopDownCrops(
            detector,
            top_down_crop_size(pytorch_config["data"]),
            crops,
            max_individuals=max(1, len(pytorch_config.get("metadata", {}).get("individuals") or [None])),
            min_bbox_score=min_bbox_score(pytorch_config),
        )
        return cls(model, device, top_down, batch_size, precision, normalization=normalization)

    @property
    def top_down(self) -> bool:
        """Whether the model sees crops around animal boxes (one item per box)."""
        return isinstance(self.preprocessor, TopDownCrops)

    @torch.inference_mode()
    def predict_batch(self, frames: np.ndarray, boxes: Sequence[np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """Predict a batch of same-size frames ``(B, H, W, 3)`` RGB uint8.

        Each item the pre-processor made is mapped back with its own scale and offset.

        Args:
            frames: the frames.
            boxes: top-down models only: per frame, ``(n, 4)`` ``[x1, y1, x2, y2]``
                animal boxes in frame pixels to crop instead of the detector's
                (e.g. ground-truth boxes; NaN rows are skipped).

        Returns:
            ``bodyparts`` ``(B, A, K, 3)`` and, with a unique-bodypart head,
            ``unique_bodyparts`` ``(B, U, 3)``, in frame pixels; top-down models
            add ``bboxes`` ``(B, A, 4)`` and ``bbox_scores`` ``(B, A)`` (the boxes
            cropped, -1 rows for none).

        Raises:
            ConfigError: ``boxes`` given to a model that does not crop boxes.
        """
        if boxes is None:
            batch = self.preprocessor(frames, self.device)
        elif self.top_down:
            batch = self.preprocessor(frames, self.device, boxes=boxes)
        else:
            raise ConfigError("Animal boxes can only be given to a top-down model (method: td).")
        return self.predict_prepared(batch, len(frames))

    @torch.inference_mode()
    def predict_prepared(self, batch: PreparedBatch, num_frames: int) -> dict[str, np.ndarray]:
        """Run the model on a pre-processor's batch and map every item back to its frame (see :meth:`predict_batch`)."""
        with inference_context(self.device, self.precision):
            outputs = _forward_in_chunks(self.model, batch.images, self.device)
        release_free_memory()  # the pass's freed activations: back to the OS, not held by the heap
        poses = self.model.predict(outputs)
        bodyparts = poses["bodyparts"].cpu().numpy()
        result = {"bodyparts": items_to_frames(bodyparts, batch.transforms, num_frames, rows=batch.rows)}
        if "unique_bodyparts" in poses:
            unique = items_to_frames(poses["unique_bodyparts"].cpu().numpy(), batch.transforms, num_frames)
            result["unique_bodyparts"] = unique[:, 0]
        result.update({key: np.asarray(value) for key, value in batch.frame_data.items()})
        return result

    def predict(
        self, images: Iterable[np.ndarray], boxes: Iterable[np.ndarray] | None = None
    ) -> Iterator[dict[str, np.ndarray]]:
        """Predict images one by one (batched internally; consecutive same-size images share a batch).

        Args:
            images: RGB uint8 ``(H, W, 3)`` images.
            boxes: top-down models only: each image's ``(n, 4)`` animal boxes, to crop
                instead of the detector's (see :meth:`predict_batch`).
        """
        box_iterator = None if boxes is None else iter(boxes)
        batch: list[np.ndarray] = []
        batch_boxes: list[np.ndarray] | None = None if boxes is None else []
        for image in images:
            if batch and (image.shape != batch[0].shape or len(batch) == self.batch_size):
                yield from _split(self.predict_batch(np.stack(batch), boxes=batch_boxes))
                batch, batch_boxes = [], None if boxes is None else []
            batch.append(image)
            if batch_boxes is not None:
                image_boxes = next(box_iterator, None)
                if image_boxes is None:
                    raise ValueError("predict got fewer boxes than images: give one (n, 4) array per image")
                batch_boxes.append(image_boxes)
        if batch:
            yield from _split(self.predict_batch(np.stack(batch), boxes=batch_boxes))


#: On the CPU, each forward pass sees at most about this many pixels (one 640x480 frame):
#: a batch of 8 such frames in one pass peaked at 3.6 GB for dekr_32 and ran at 1.6 frames/s,
#: one frame per pass at 0.9 GB and 2.5 frames/s (2-core AVX512-BF16 CPU; activations that fit
#: the caches). Top-down crops are small, so several go in one pass.
CPU_PIXELS_PER_PASS = 640 * 480


def _forward_in_chunks(model: torch.nn.Module, images: torch.Tensor, device: torch.device) -> dict[str, Any]:
    """``model(images)`` with float32 outputs; on the CPU in passes of at most :data:`CPU_PIXELS_PER_PASS` pixels
    (GPUs take the whole batch: they need it to be busy)."""
    chunk = max(1, len(images))  # an empty batch (no animal found) makes one empty pass
    if device.type == "cpu" and len(images) > 1:
        chunk = max(1, CPU_PIXELS_PER_PASS // max(1, images.shape[-2] * images.shape[-1]))
    parts = [model(images[start : start + chunk]) for start in range(0, max(1, len(images)), chunk)]
    if len(parts) == 1:
        return {head: {k: v.float() for k, v in values.items()} for head, values in parts[0].items()}
    return {
        head: {key: torch.cat([part[head][key] for part in parts]).float() for key in values}
        for head, values in parts[0].items()
    }


def min_bbox_score(pytorch_config: dict[str, Any]) -> float:
    """The detector score below which a box is not an animal: ``detector.inference.min_bbox_score``."""
    section = (pytorch_config.get("detector") or {}).get("inference") or {}
    value = section.get("min_bbox_score", DEFAULT_MIN_BBOX_SCORE)
    if value is None:
        return DEFAULT_MIN_BBOX_SCORE
    try:
        return float(value)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"pytorch_config.yaml detector.inference.min_bbox_score must be a number, not {value!r}.") from err


def _without_pretrained(model_cfg: dict[str, Any]) -> dict[str, Any]:
    """The model section with backbone weights not downloaded (the snapshot replaces them)."""
    model_cfg = dict(model_cfg)
    if "backbone" in model_cfg:
        model_cfg["backbone"] = {**model_cfg["backbone"], "pretrained": False}
    elif "pretrained" in model_cfg:  # a detector's section
        model_cfg["pretrained"] = False
    return model_cfg


def _load_detector(
    pytorch_config: dict[str, Any],
    snapshot_path: str | Path,
    device: torch.device,
    mixed_precision: Any,
    engine: str | None = None,
) -> tuple[DetectorBoxes, Engine]:
    """The detector of ``pytorch_config["detector"]`` with ``snapshot_path``'s weights, ready on ``device``,
    run by ``engine`` (None: ``detector.inference.engine``, else the pose model's setting)."""
    section = pytorch_config.get("detector") or {}
    if not section.get("model"):
        raise ConfigError("This top-down model's pytorch_config.yaml has no detector.model section.")
    detector = build_detector(_without_pretrained(section["model"]))
    load_snapshot(detector, snapshot_path, mmap=True)
    normalization = getattr(getattr(detector, "backbone", None), "normalization", IMAGENET)
    mixed_precision = (section.get("runner") or {}).get("mixed_precision", mixed_precision)
    chosen = select_engine(engine or engine_setting(pytorch_config, detector=True), device, mixed_precision)
    network, chosen = prepare_network(detector.eval(), chosen, pytorch_config, "detector", device, mixed_precision)
    network = network.to(device, memory_format=torch.channels_last).eval()
    preprocessing = Preprocessing.from_config((section.get("data") or {}).get("inference"), "detector.data.inference")
    return DetectorBoxes(network, preprocessing, normalization, chosen.autocast_dtype), chosen


def _split(batch: dict[str, np.ndarray]) -> Iterator[dict[str, np.ndarray]]:
    for i in range(len(batch["bodyparts"])):
        yield {key: value[i] for key, value in batch.items()}
