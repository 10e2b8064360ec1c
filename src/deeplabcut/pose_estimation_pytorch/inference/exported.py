"""Run an exported TorchScript or ONNX network and decode its outputs with this package's codecs.

:func:`load_exported` gives a module with the eager model's contract::

    network = load_exported("..._snapshot-200_pose.onnx")    # or _pose.torchscript
    outputs = network(images)          # {head: {output: tensor}}, as PoseModel.forward
    poses = network.predict(outputs)   # {"bodyparts": (B, A, K, 3), ...}, as PoseModel.predict

so :meth:`PoseInferenceRunner.from_exported
<deeplabcut.pose_estimation_pytorch.inference.runner.PoseInferenceRunner.from_exported>`
runs it with the same pre-processing, top-down crops and mapping back as the
eager model, and the same predictions come out. Decoding uses a copy of the
model built from the config stored in the file on PyTorch's ``meta`` device:
its heads' codecs and strides, without any weights in memory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from deeplabcut.errors import ConfigError, CorruptFileError, MissingFileError
from deeplabcut.pose_estimation_pytorch.inference.export import METADATA_KEY, nest_outputs
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.models.detectors import build_detector
from deeplabcut.utils.optional_imports import import_openvino

#: Image sizes (H, W) an OpenVINO graph compiles a static model for; others share one dynamic model.
OPENVINO_STATIC_SIZES = 4
#: ONNX Runtime's execution provider per torch device type.
ONNX_PROVIDERS = {"cpu": ["CPUExecutionProvider"], "cuda": ["CUDAExecutionProvider", "CPUExecutionProvider"]}


def _decoder(metadata: Mapping[str, Any]) -> nn.Module:
    """The eager network of the stored config, on the ``meta`` device (codecs and strides, no weights)."""
    config = metadata["config"]
    with torch.device("meta"):
        if metadata["kind"] == "detector":
            section = dict(config["detector"]["model"], pretrained=False)
            return build_detector(section)
        model_cfg = dict(config["model"])
        model_cfg["backbone"] = dict(model_cfg["backbone"], pretrained=False)
        return PoseModel.build(model_cfg)


class _TorchScriptGraph:
    def __init__(self, module: torch.jit.ScriptModule) -> None:
        self.module = module

    def __call__(self, images: torch.Tensor) -> list[torch.Tensor]:
        return list(self.module(images))

    def to(self, device: torch.device) -> None:
        self.module.to(device)


class _OnnxGraph:
    """An ONNX Runtime session of an ONNX graph: a file, or the serialized model in memory (``bytes``)."""

    def __init__(self, source: Path | bytes, device: torch.device) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()  # as many CPU threads as PyTorch uses
        providers = ONNX_PROVIDERS.get(device.type, ONNX_PROVIDERS["cpu"])
        model = source if isinstance(source, bytes) else str(source)
        self.session = onnxruntime.InferenceSession(model, options, providers=providers)
        self.input_name = self.session.get_inputs()[0].name

    def __call__(self, images: torch.Tensor) -> list[torch.Tensor]:
        array = np.ascontiguousarray(images.detach().float().cpu().numpy())
        outputs = self.session.run(None, {self.input_name: array})
        return [torch.from_numpy(np.asarray(output)).to(images.device) for output in outputs]

    def to(self, device: torch.device) -> None:
        pass  # the session's providers were chosen when it was made


class _OpenVinoGraph:
    """An OpenVINO model compiled for the CPU, once per input height and width.

    The model's batch size stays dynamic, so one compiled model serves every batch
    of one image size (video frames, top-down crops). Past :data:`OPENVINO_STATIC_SIZES`
    sizes (images of many sizes, e.g. evaluation of mixed labeled frames) one model
    compiled with dynamic height and width serves the others.

    Args:
        model: an ``openvino.Model`` with dynamic batch (and, if not fixed, height and width):
            :func:`~deeplabcut.pose_estimation_pytorch.inference.export.openvino_model`.
        precision: ``"f32"`` or ``"bf16"`` (OpenVINO's ``INFERENCE_PRECISION_HINT``).
        threads: CPU threads (default: as many as PyTorch uses).
    """

    def __init__(self, model: Any, precision: str = "f32", threads: int | None = None) -> None:
        openvino = import_openvino()

        self.model = model
        self.core = openvino.Core()
        self.precision = precision
        self.settings = {
            "INFERENCE_PRECISION_HINT": precision,  # stated: OpenVINO's own default is bf16 where the CPU has it
            "INFERENCE_NUM_THREADS": int(threads or torch.get_num_threads()),
            "PERFORMANCE_HINT": "LATENCY",
        }
        self.input_shape = model.inputs[0].get_partial_shape()  # as converted: [?, 3, ?, ?] or [?, 3, H, W]
        self.fixed_size = self.input_shape[2].is_static and self.input_shape[3].is_static
        self.compiled: dict[tuple[int, int] | None, Any] = {}  # (H, W) -> an infer request of its compiled model

    def _request(self, height: int, width: int) -> Any:
        openvino = import_openvino()

        key: tuple[int, int] | None = (height, width)
        if key not in self.compiled and len(self.compiled) >= OPENVINO_STATIC_SIZES:
            key = None  # one more size: the model with dynamic height and width takes it, and all later ones
        if key not in self.compiled:
            if key is None or self.fixed_size:
                compiled = self.core.compile_model(self.model, "CPU", self.settings)
            else:  # a compiled model is a copy: the converted one is reshaped for it, then back
                self.model.reshape({0: openvino.PartialShape([-1, 3, height, width])})
                try:
                    compiled = self.core.compile_model(self.model, "CPU", self.settings)
                finally:
                    self.model.reshape({0: self.input_shape})
            self.compiled[key] = compiled.create_infer_request()
        return self.compiled[key]

    def __call__(self, images: torch.Tensor) -> list[torch.Tensor]:
        array = np.ascontiguousarray(images.detach().float().cpu().numpy())
        request = self._request(*array.shape[-2:])
        request.infer({0: array})
        # Copies: the request reuses its output buffers on the next call.
        outputs = [np.array(tensor.data) for tensor in request.output_tensors]
        return [torch.from_numpy(output).to(images.device) for output in outputs]

    def to(self, device: torch.device) -> None:
        pass  # OpenVINO runs on the CPU; outputs go back to the images' device


class ExportedNetwork(nn.Module):
    """An exported graph behind the eager network's ``forward`` and ``predict``.

    Args:
        graph: callable ``images -> list of output tensors`` (TorchScript module, ONNX Runtime
            session, OpenVINO model).
        metadata: the file's :data:`~deeplabcut.pose_estimation_pytorch.inference.export.METADATA_KEY`
            metadata (for a graph made in memory: :func:`~deeplabcut.pose_estimation_pytorch.inference.export.export_metadata`).
        path: the file, or what the graph was made from (for messages).
        decoder: the network whose ``predict`` decodes the outputs: the eager network a graph
            was made from in memory (see :mod:`~deeplabcut.pose_estimation_pytorch.inference.engines`);
            default: built from the metadata's config on the ``meta`` device.

    Attributes:
        kind: ``"pose"`` or ``"detector"``.
        config: the ``pytorch_config.yaml`` stored in the file.
        normalization: the backbone's input statistics (as the eager model's).
    """

    def __init__(self, graph: Any, metadata: Mapping[str, Any], path: Path | str, decoder: nn.Module | None = None) -> None:
        super().__init__()
        self.graph = graph
        if isinstance(graph, _TorchScriptGraph):
            self.script_module = graph.module  # registered, so .to() and .eval() reach it
        self.metadata = dict(metadata)
        self.path = path
        self.kind = metadata["kind"]
        self.config = metadata["config"]
        self.names = list(metadata["outputs"])
        self.input_size = metadata.get("input_size")
        # Not a submodule: meta tensors cannot move devices (and an eager decoder's weights are not used).
        self.__dict__["decoder"] = decoder if decoder is not None else _decoder(metadata)
        self.normalization = getattr(getattr(self.decoder, "backbone", None), "normalization", None)

    def forward(self, images: torch.Tensor) -> dict[str, Any]:
        """Images ``(B, 3, H, W)`` normalized -> the eager network's outputs (``{head: {output: t}}`` or ``{output: t}``)."""
        if images.dim() == 3:
            images = images[None]
        if self.input_size is not None and list(images.shape[-2:]) != list(self.input_size):
            raise ConfigError(
                f"Exported model '{self.path}' takes {self.input_size[0]}x{self.input_size[1]} (HxW) images, "
                f"got {images.shape[-2]}x{images.shape[-1]}; crop as data.inference.top_down_crop says."
            )
        if len(images) == 0:  # (a top-down batch without animals) graphs may refuse an empty batch: run one blank image
            blank = self.graph(torch.zeros((1, *images.shape[1:]), device=images.device))
            return nest_outputs(self.names, [output[:0] for output in blank])
        return nest_outputs(self.names, self.graph(images.float().contiguous()))

    def predict(self, outputs: Mapping[str, Any], image_size: Sequence[int] | None = None) -> dict[str, torch.Tensor]:
        """Decode as the eager network does (``PoseModel.predict``, or the detector's ``predict``)."""
        if self.kind == "detector":
            return self.decoder.predict(outputs, image_size=image_size)
        return self.decoder.predict(outputs)


def load_exported(path: str | Path, device: str | torch.device = "cpu") -> ExportedNetwork:
    """Load a TorchScript (``.torchscript``; any suffix but ``.onnx``) or ONNX (``.onnx``) file written by ``export_model``.

    Args:
        path: the exported file.
        device: where the graph runs (ONNX Runtime: CUDA when available for ``cuda``, else the CPU).

    Raises:
        MissingFileError: the file does not exist.
        ConfigError: it was not written by ``export_model``, or ONNX Runtime is missing for an ``.onnx`` file.
        CorruptFileError: it cannot be read.
    """
    path = Path(path)
    device = torch.device(device)
    if not path.is_file():
        raise MissingFileError(f"Exported model '{path}' does not exist. Write it with deeplabcut.export_model(config, formats=(...)).")
    if path.suffix == ".onnx":
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            raise ConfigError('Running an ONNX model needs onnxruntime: pip install "deeplabcut-torch[onnx]".') from None
        try:
            graph: Any = _OnnxGraph(path, device)
        except Exception as err:  # ONNX Runtime raises its own exception family
            raise CorruptFileError(f"Exported model '{path}' cannot be read by ONNX Runtime ({type(err).__name__}: {err}).") from err
        text = graph.session.get_modelmeta().custom_metadata_map.get(METADATA_KEY, "")
    else:
        files = {METADATA_KEY: ""}
        try:
            module = torch.jit.load(str(path), map_location=device, _extra_files=files)
        except RuntimeError as err:
            raise CorruptFileError(f"Exported model '{path}' cannot be read as TorchScript ({str(err).splitlines()[0]}).") from err
        text = files[METADATA_KEY]
        graph = _TorchScriptGraph(module.eval())
    if not text:
        raise ConfigError(
            f"'{path}' holds no '{METADATA_KEY}' metadata, so its outputs cannot be decoded: it was not written "
            "by deeplabcut.export_model. Export the model again."
        )
    metadata = json.loads(text)
    return ExportedNetwork(graph, metadata, path).eval()
