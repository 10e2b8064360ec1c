"""Inference engines: what computes the network's outputs when videos, images and evaluation images are predicted.

An engine replaces only the forward pass of the network (the pose model and a
top-down model's detector); the pre-processing, the decoding by the model's own
codecs and the mapping back to frame pixels stay those of the eager model
(:mod:`~deeplabcut.pose_estimation_pytorch.inference.runner`). The engines:

* ``torch``: the eager PyTorch model, under autocast as ``runner.mixed_precision`` says.
* ``openvino``: the network converted by OpenVINO from the module itself
  (``openvino.convert_model``, no file) and compiled for the CPU once per input
  height and width (the batch size stays dynamic). It computes in float32, or in bf16
  when ``runner.mixed_precision`` is ``bf16`` and the CPU does bf16 natively
  (``runtime.cpu_has_native_bf16``). Not under ``auto``: OpenVINO's precision is
  one for the whole graph, heads included, and bf16 heads cost a trained demo model
  8 points of test mAP (81.3 -> 73.3; torch's autocast keeps the heads in float32
  and loses 0.7).
* ``onnxruntime``: the network exported to ONNX in memory (``torch.onnx``'s exporter,
  the graph :func:`deeplabcut.export_model` writes) and run by ONNX Runtime, in float32.
* ``auto`` (the default): ``torch`` where it runs in bf16 (GPUs; CPUs with native bf16
  under ``mixed_precision: auto``), else ``openvino`` on the CPU when it is installed.
  Measured on a 2-core AVX512-BF16 CPU (``side_by_side.py``, ``dekr_32``, 640x480
  frames, ``analyze_videos`` end to end): 640 frames, torch bf16 4.5 frames/s at 715 MiB
  PSS, OpenVINO float32 3.2 frames/s (after a 6.7 s conversion) at 1377 MiB.

The choice: the APIs' ``engine=`` argument, else ``inference.engine`` of
``pytorch_config.yaml`` (the detector: ``detector.inference.engine``, else the pose
model's), else ``auto``. The graph is made from the loaded network each time a
runner is built (seconds for a large model) and written nowhere. An engine asked
for but not installed, or one that cannot convert the network, gives way to
``torch``; :attr:`Engine.fallback` says why, with the command that installs it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.schema import ENGINE_NAMES
from deeplabcut.pose_estimation_pytorch.inference.export import (
    export_metadata,
    fixed_input_size,
    onnx_program,
    openvino_model,
    output_names,
)
from deeplabcut.pose_estimation_pytorch.inference.exported import ExportedNetwork, _OnnxGraph, _OpenVinoGraph
from deeplabcut.pose_estimation_pytorch.runtime import autocast_dtype, cpu_has_native_bf16
from deeplabcut.utils.optional_imports import import_openvino

#: Every engine name (``auto`` picks one of the others).
ENGINES = ENGINE_NAMES
#: The command that installs what an engine needs.
INSTALL_COMMANDS = {"openvino": "pip install openvino", "onnxruntime": 'pip install "deeplabcut-torch[onnx]"'}
#: The Python modules an engine needs (ONNX Runtime's engine also needs PyTorch's ONNX exporter).
ENGINE_MODULES = {"openvino": ("openvino",), "onnxruntime": ("onnxruntime", "onnx", "onnxscript")}
#: What ``auto`` runs on the CPU when it is installed (the test suite sets ``torch``: converting a
#: network takes seconds, and most tests build several runners).
AUTO_CPU_ENGINE = "openvino"
#: ``runner.mixed_precision`` values under which OpenVINO computes in bf16 (where the CPU has it).
_OPENVINO_BF16 = ("bf16", "bfloat16")
_PRECISION_NAMES = {None: "f32", torch.bfloat16: "bf16", torch.float16: "fp16"}
_AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class Engine:
    """The engine that runs one network, and in which precision.

    Attributes:
        name: ``"torch"``, ``"openvino"`` or ``"onnxruntime"``.
        precision: ``"f32"``, ``"bf16"`` or (torch on CUDA) ``"fp16"``.
        fallback: why this is not the engine asked for ("" when it is): one line naming the fix.
    """

    name: str
    precision: str = "f32"
    fallback: str = ""

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        """The autocast dtype of the eager model (``torch`` only; other engines take float32 inputs)."""
        return _AUTOCAST_DTYPES.get(self.precision) if self.name == "torch" else None

    def __str__(self) -> str:
        return f"{self.name} ({self.precision})"


def engine_setting(pytorch_config: Mapping[str, Any], detector: bool = False) -> str:
    """``inference.engine`` of ``pytorch_config`` (the detector: ``detector.inference.engine``, else the pose
    model's); ``"auto"`` when unset."""
    value = None
    if detector:
        value = ((pytorch_config.get("detector") or {}).get("inference") or {}).get("engine")
    if value is None:
        value = (pytorch_config.get("inference") or {}).get("engine")
    return "auto" if value is None else value


def missing_modules(name: str) -> list[str]:
    """The modules engine ``name`` needs that cannot be imported here."""
    missing = []
    for module in ENGINE_MODULES.get(name, ()):
        try:
            import_openvino() if module == "openvino" else importlib.import_module(module)
        except ImportError:
            missing.append(module)
    return missing


def select_engine(requested: str | None, device: torch.device, mixed_precision: Any = "auto") -> Engine:
    """The engine and precision that run a network on ``device``.

    Args:
        requested: ``auto`` (or None), ``torch``, ``openvino`` or ``onnxruntime``.
        device: where the runner runs (``auto`` chooses ``openvino`` on the CPU only).
        mixed_precision: ``runner.mixed_precision``: the torch engine's autocast
            (``runtime.autocast_dtype``); OpenVINO computes in bf16 only when it is
            ``bf16`` and the CPU has native bf16; ONNX Runtime always in float32.

    Raises:
        ConfigError: an unknown engine name or ``mixed_precision`` value.
    """
    name = "auto" if requested is None else str(requested).lower()
    if name not in ENGINES:
        raise ConfigError(f"Inference engine must be one of {', '.join(ENGINES)}, not {requested!r}.")
    torch_dtype = autocast_dtype(mixed_precision, device)  # also checks the value
    fallback = ""
    if name == "auto":
        # Where torch runs in bf16 on the CPU it is faster than OpenVINO in float32, without the conversion.
        cpu_float32 = device.type == "cpu" and torch_dtype is None
        name = AUTO_CPU_ENGINE if cpu_float32 and not missing_modules(AUTO_CPU_ENGINE) else "torch"
    elif name != "torch":
        missing = missing_modules(name)
        if missing:
            fallback = (
                f"Inference engine '{name}' needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not installed "
                f"({INSTALL_COMMANDS[name]}); running 'torch' instead."
            )
            name = "torch"
    if name == "torch":
        return Engine("torch", _PRECISION_NAMES.get(torch_dtype, "f32"), fallback)
    if name == "openvino":
        key = mixed_precision.lower() if isinstance(mixed_precision, str) else mixed_precision
        bf16 = key in _OPENVINO_BF16 and cpu_has_native_bf16()
        return Engine("openvino", "bf16" if bf16 else "f32", fallback)
    return Engine("onnxruntime", "f32", fallback)


def engine_network(
    network: nn.Module,
    engine: Engine,
    pytorch_config: Mapping[str, Any],
    kind: str = "pose",
    device: torch.device | str = "cpu",
) -> nn.Module:
    """``network`` as ``engine`` runs it: itself for ``torch``, else an
    :class:`~deeplabcut.pose_estimation_pytorch.inference.exported.ExportedNetwork` around a
    graph of it made in memory, decoded by ``network`` itself.

    Args:
        network: the eager pose model or detector, with its weights, in eval mode on the CPU.
        engine: from :func:`select_engine`.
        pytorch_config: the shuffle's config (a top-down pose model's crop size fixes the graph's input size).
        kind: ``"pose"`` or ``"detector"``.
        device: where the runner runs (ONNX Runtime uses CUDA there when it can).

    Raises:
        Whatever the converter raises for a network it cannot convert (see :func:`prepare_network`).
    """
    if engine.name == "torch":
        return _eager(network, engine)
    network = network.eval()
    input_size = fixed_input_size(pytorch_config) if kind == "pose" else None
    metadata = export_metadata(pytorch_config, kind, output_names(network), input_size)
    if engine.name == "openvino":
        graph: Any = _OpenVinoGraph(openvino_model(network, input_size), engine.precision)
    else:
        program = onnx_program(network, input_size)
        graph = _OnnxGraph(program.model_proto.SerializeToString(), torch.device(device))
    return ExportedNetwork(graph, metadata, f"the {engine.name} graph of the {kind} model", decoder=network)


def prepare_network(
    network: nn.Module,
    engine: Engine,
    pytorch_config: Mapping[str, Any],
    kind: str = "pose",
    device: torch.device | str = "cpu",
    mixed_precision: Any = "auto",
) -> tuple[nn.Module, Engine]:
    """:func:`engine_network`, with ``torch`` (in ``mixed_precision``) taking over, saying why, when the conversion fails.

    Returns:
        The network to run and the engine that runs it.
    """
    try:
        return engine_network(network, engine, pytorch_config, kind, device), engine
    except (ConfigError, ImportError, RuntimeError, ValueError, TypeError, NotImplementedError) as err:
        # The converters raise their own exception types, mostly RuntimeError subclasses.
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        fallback = f"Inference engine '{engine.name}' could not convert the {kind} model ({type(err).__name__}: {reason}); running 'torch' instead."
        dtype = autocast_dtype(mixed_precision, torch.device(device))
        torch_engine = Engine("torch", _PRECISION_NAMES.get(dtype, "f32"), fallback)
        return _eager(network, torch_engine), torch_engine


def _eager(network: nn.Module, engine: Engine) -> nn.Module:
    """The eager network, its autocast layers' weights stored in the autocast dtype where it has them.

    Autocast casts a convolution's float32 weights to bf16 at every call; stored in
    bf16 once, they give the same outputs with half their memory and no casts
    (:meth:`~deeplabcut.pose_estimation_pytorch.models.PoseModel.store_autocast_weights`).
    """
    dtype = engine.autocast_dtype
    if dtype is not None and hasattr(network, "store_autocast_weights"):
        network.store_autocast_weights(dtype)
    return network


def describe_engines(engines: Mapping[str, Engine]) -> str:
    """One line naming the engine of each network: ``openvino (bf16)``, or per network when they differ."""
    if not engines:
        return "torch"
    texts = {str(engine) for engine in engines.values()}
    if len(texts) == 1:
        return texts.pop() + (" for the pose model and the detector" if len(engines) > 1 else "")
    return ", ".join(f"{kind}: {engine}" for kind, engine in engines.items())
