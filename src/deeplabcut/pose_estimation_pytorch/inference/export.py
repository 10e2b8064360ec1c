"""Exported models: DeepLabCut-Live's ``.pt`` file, TorchScript and ONNX graphs of the networks.

Three formats, for three kinds of users:

* ``pt``: DeepLabCut 3's exported model, the file DeepLabCut-Live's PyTorch
  runner reads: one ``torch.save`` of ``{"config": <pytorch_config.yaml as
  plain dicts, DeepLabCut 3's layout>, "config_extras": <our extra settings>,
  "pose": <pose model state dict>, "detector": <detector state dict, top-down
  models only>}``, loadable with ``weights_only=True``.
* ``torchscript``: ``torch.jit.trace`` of the network, run without this package's
  model code (``torch.jit.load``), e.g. from C++.
* ``onnx``: the same graph as ONNX (``torch.onnx.export``), for ONNX Runtime and
  other runtimes (needs the optional extra ``onnx``).

Only the network is exported to TorchScript and ONNX: its raw outputs (heatmaps,
offsets...) are decoded into poses in Python by the same codecs the eager model
uses (:mod:`~deeplabcut.pose_estimation_pytorch.inference.exported` runs them).
A graph takes one input ``images`` ``(B, 3, H, W)`` float32, normalized as
training did, and returns a flat tuple of tensors in the order of
:func:`output_names` (``"<head>.<output>"`` for pose models, ``"<output>"`` for
detectors). Batch size, height and width are dynamic (a top-down pose model's
crop size is fixed by its config). Each file carries :data:`METADATA_KEY`: a JSON
text with the ``pytorch_config.yaml`` (``config``), the ``kind`` (``pose`` or
``detector``) and the ``outputs``, so it can be decoded on its own.

:func:`onnx_program` and :func:`openvino_model` make the same graph in memory
for the inference engines (:mod:`~deeplabcut.pose_estimation_pytorch.inference.engines`).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.dlc_layout import split_for_deeplabcut
from deeplabcut.pose_estimation_pytorch.data.top_down import top_down_crop_size
from deeplabcut.pose_estimation_pytorch.models import PoseModel
from deeplabcut.pose_estimation_pytorch.models.detectors import build_detector
from deeplabcut.pose_estimation_pytorch.runtime import load_checkpoint, load_snapshot
from deeplabcut.utils.atomic import atomic_path
from deeplabcut.utils.optional_imports import import_openvino
from deeplabcut.utils.yaml_io import to_builtin

#: Every format :func:`deeplabcut.export_model` writes.
EXPORT_FORMATS = ("pt", "torchscript", "onnx")
#: Name of the JSON metadata inside a TorchScript file (``_extra_files``) and an ONNX file (``metadata_props``).
METADATA_KEY = "deeplabcut.json"
#: The graphs' input name.
INPUT_NAME = "images"
#: ONNX operator set of the exported graphs (GridSample, used by DEKR's adaptive convolutions, needs 16).
ONNX_OPSET = 18
#: Batch size of the example input a graph is traced with (1 would fix the batch size in an ONNX graph).
EXAMPLE_BATCH = 2
#: Image size ``(H, W)`` of the example input of full-image models (any size works once exported).
EXAMPLE_IMAGE_SIZE = (256, 256)
#: The same for OpenVINO's conversion, whose time grows with the example's size (any size works once converted).
OPENVINO_EXAMPLE_SIZE = (64, 64)


def output_names(network: nn.Module) -> list[str]:
    """The graph outputs of ``network``, in order: ``"<head>.<output>"`` (pose model) or ``"<output>"`` (detector)."""
    heads = getattr(network, "heads", None)
    if heads is not None:
        return [f"{name}.{output}" for name, head in heads.items() for output in head.output_names]
    return list(network.output_names)


def nest_outputs(names: Sequence[str], tensors: Sequence[torch.Tensor]) -> dict[str, Any]:
    """Flat graph outputs back into the eager model's layout: ``{head: {output: t}}`` or ``{output: t}``."""
    nested: dict[str, Any] = {}
    for name, tensor in zip(names, tensors):
        head, _, output = name.rpartition(".")
        if head:
            nested.setdefault(head, {})[output] = tensor
        else:
            nested[output] = tensor
    return nested


class FlatOutputs(nn.Module):
    """``network`` with its dict of outputs flattened into a tuple (TorchScript and ONNX graphs return tuples)."""

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        self.network = network
        self.names = output_names(network)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        outputs = self.network(images)
        flat = []
        for name in self.names:
            head, _, output = name.rpartition(".")
            flat.append(outputs[head][output] if head else outputs[output])
        return tuple(flat)


def export_metadata(pytorch_config: Mapping[str, Any], kind: str, names: Sequence[str], input_size: Sequence[int] | None) -> dict[str, Any]:
    """The JSON metadata stored in a TorchScript or ONNX file.

    Args:
        pytorch_config: the shuffle's ``pytorch_config.yaml``.
        kind: ``"pose"`` or ``"detector"``.
        names: :func:`output_names`.
        input_size: ``(H, W)`` when the graph only takes that size (top-down crops), else None.
    """
    return {
        "format_version": 1,
        "kind": kind,
        "input": INPUT_NAME,
        "input_size": None if input_size is None else [int(s) for s in input_size],
        "outputs": list(names),
        "config": to_builtin(pytorch_config),
    }


def dlclive_export(
    pytorch_config: Mapping[str, Any],
    pose_weights: Mapping[str, torch.Tensor],
    detector_weights: Mapping[str, torch.Tensor] | None = None,
) -> dict[str, Any]:
    """DeepLabCut 3's exported-model dict, as DeepLabCut-Live's PyTorch runner reads it.

    ``config`` is ``pytorch_config.yaml`` in DeepLabCut 3's layout (as it stands in the
    shuffle's folder); ``config_extras`` holds our settings DeepLabCut has no key for (the
    content of ``pytorch_config_extras.yaml``; DeepLabCut-Live reads only ``config``, ``pose``
    and ``detector``). Both hold plain dicts, lists and numbers only, so the file loads with
    ``torch.load(..., weights_only=True)``; ``detector`` is present for top-down models only.
    """
    config, extras = split_for_deeplabcut(to_builtin(dict(pytorch_config)))
    exported: dict[str, Any] = {"config": config, "pose": dict(pose_weights)}
    if extras:
        exported["config_extras"] = extras
    if detector_weights is not None:
        exported["detector"] = dict(detector_weights)
    return exported


def wipe_paths(pytorch_config: dict[str, Any]) -> dict[str, Any]:
    """The config without the paths of the machine it was trained on (DeepLabCut's ``wipe_paths``).

    Empties ``metadata.project_path`` and ``metadata.pose_config_path``, and sets
    ``train_settings.weight_init`` and ``resume_training_from`` (also the
    detector's) to None where they exist. Returns a new dict.
    """
    config = to_builtin(pytorch_config)
    metadata = config.setdefault("metadata", {})
    metadata["project_path"] = ""
    metadata["pose_config_path"] = ""
    if "weight_init" in (config.get("train_settings") or {}):
        config["train_settings"]["weight_init"] = None
    if "resume_training_from" in config:
        config["resume_training_from"] = None
    detector = config.get("detector") or {}
    if "resume_training_from" in detector:
        detector["resume_training_from"] = None
    return config


def save_dlclive_export(path: str | Path, exported: Mapping[str, Any]) -> Path:
    """``torch.save`` the exported-model dict to ``path`` (written beside it, then renamed)."""
    with atomic_path(path) as tmp:
        torch.save(dict(exported), tmp)
    return Path(path)


def example_images(input_size: Sequence[int] | None, batch: int = EXAMPLE_BATCH) -> torch.Tensor:
    """A fixed example input ``(batch, 3, H, W)`` for tracing (``input_size`` or :data:`EXAMPLE_IMAGE_SIZE`)."""
    height, width = input_size or EXAMPLE_IMAGE_SIZE
    generator = torch.Generator().manual_seed(0)
    return torch.randn(batch, 3, int(height), int(width), generator=generator)


def export_torchscript(
    network: nn.Module,
    path: str | Path,
    metadata: Mapping[str, Any],
) -> Path:
    """Trace ``network`` (eval mode, on the CPU) into a TorchScript file with ``metadata`` inside.

    Args:
        network: a ``PoseModel`` or a detector.
        path: the ``.pt`` file to write.
        metadata: :func:`export_metadata` (its ``input_size`` sizes the example input).
    """
    flat = FlatOutputs(network).eval()
    example = example_images(metadata.get("input_size"))
    with torch.no_grad(), warnings.catch_warnings():
        # The models' shape checks are constants of the trace, on purpose: not worth a warning each.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        traced = torch.jit.trace(flat, example, check_trace=False)
    with atomic_path(path) as tmp:
        torch.jit.save(traced, str(tmp), _extra_files={METADATA_KEY: json.dumps(dict(metadata))})
    return Path(path)


def onnx_exporter_missing() -> str | None:
    """Why ONNX export cannot run here (a message with the fix), or None when it can."""
    missing = []
    for module in ("onnx", "onnxscript"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if not missing:
        return None
    return (
        f"Exporting to ONNX needs {' and '.join(missing)}, which are not installed. Install the optional extra: "
        "pip install \"deeplabcut-torch[onnx]\" (onnx, onnxscript and onnxruntime)."
    )


def export_onnx(
    network: nn.Module,
    path: str | Path,
    metadata: Mapping[str, Any],
) -> Path:
    """Export ``network`` (eval mode, on the CPU) to an ONNX file with ``metadata`` inside.

    The batch size is dynamic; so are height and width unless ``metadata["input_size"]``
    fixes them (top-down crops).

    Raises:
        ConfigError: onnx / onnxscript are not installed (see :func:`onnx_exporter_missing`).
    """
    program = onnx_program(network, metadata.get("input_size"))
    program.model.metadata_props[METADATA_KEY] = json.dumps(dict(metadata))
    with atomic_path(path) as tmp:
        program.save(str(tmp))
    return Path(path)


def onnx_program(network: nn.Module, input_size: Sequence[int] | None = None) -> Any:
    """``torch.onnx.export`` of ``network`` (eval mode, on the CPU): a ``torch.onnx.ONNXProgram``.

    The batch size is dynamic; so are height and width unless ``input_size`` ``(H, W)`` fixes them.

    Raises:
        ConfigError: onnx / onnxscript are not installed (see :func:`onnx_exporter_missing`).
    """
    problem = onnx_exporter_missing()
    if problem:
        raise ConfigError(problem)
    flat = FlatOutputs(network).eval()
    example = example_images(input_size)
    dims: dict[int, Any] = {0: torch.export.Dim("batch")}
    if input_size is None:
        dims.update({2: torch.export.Dim("height"), 3: torch.export.Dim("width")})
    with torch.no_grad():
        return torch.onnx.export(
            flat,
            (example,),
            input_names=[INPUT_NAME],
            output_names=list(flat.names),
            opset_version=ONNX_OPSET,
            dynamo=True,
            dynamic_shapes=(dims,),
            verbose=False,
        )


def openvino_model(network: nn.Module, input_size: Sequence[int] | None = None) -> Any:
    """``network`` (eval mode, on the CPU) converted by OpenVINO (``openvino.convert_model``): an ``openvino.Model``.

    Converted from the module itself (a trace at the example size, no ONNX file); the
    batch size is dynamic, and so are height and width unless ``input_size`` ``(H, W)``
    fixes them. Its outputs are :func:`output_names`, in order.

    Raises:
        ImportError: OpenVINO is not installed.
    """
    openvino = import_openvino()

    flat = FlatOutputs(network).eval()
    height, width = (-1, -1) if input_size is None else (int(input_size[0]), int(input_size[1]))
    with torch.no_grad(), warnings.catch_warnings():
        # The models' shape checks are constants of the trace, on purpose (as in export_torchscript);
        # OpenVINO traces with torch.jit, which PyTorch now calls deprecated.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        example = example_images(input_size or OPENVINO_EXAMPLE_SIZE)
        return openvino.convert_model(flat, example_input=example, input=[openvino.PartialShape([-1, 3, height, width])])


def trained_networks(
    pytorch_config: Mapping[str, Any],
    pose_snapshot: str | Path,
    detector_snapshot: str | Path | None = None,
) -> dict[str, nn.Module]:
    """The pose model (and detector) of ``pytorch_config`` with the snapshots' weights, in eval mode on the CPU.

    Returns ``{"pose": model}`` plus ``"detector"`` when ``detector_snapshot`` is given.
    """
    # Here, not at the top: the runner imports the engines, which import this module.
    from deeplabcut.pose_estimation_pytorch.inference.runner import _without_pretrained

    model = PoseModel.build(_without_pretrained(pytorch_config["model"]))
    load_snapshot(model, pose_snapshot, mmap=True)
    networks = {"pose": model.eval()}
    if detector_snapshot is not None:
        section = pytorch_config.get("detector") or {}
        if not section.get("model"):
            raise ConfigError("This top-down model's pytorch_config.yaml has no detector.model section.")
        detector = build_detector(_without_pretrained(section["model"]))
        load_snapshot(detector, detector_snapshot, mmap=True)
        networks["detector"] = detector.eval()
    return networks


def graph_paths(model_path: str | Path, formats: Sequence[str], with_detector: bool) -> dict[tuple[str, str], Path]:
    """Where each graph of an export goes, beside the ``.pt`` at ``model_path``.

    ``<stem>_pose.torchscript``, ``<stem>_pose.onnx`` and, with a detector,
    ``<stem>_detector.torchscript`` / ``<stem>_detector.onnx``; keys ``(format, "pose"|"detector")``.
    """
    model_path = Path(model_path)
    suffixes = {"torchscript": ".torchscript", "onnx": ".onnx"}
    kinds = ("pose", "detector") if with_detector else ("pose",)
    return {
        (fmt, kind): model_path.with_name(f"{model_path.stem}_{kind}{suffixes[fmt]}")
        for fmt in formats
        if fmt in suffixes
        for kind in kinds
    }


def check_formats(formats: Sequence[str] | str) -> tuple[str, ...]:
    """``formats`` as a tuple of known names (a single string is one format).

    Raises:
        ConfigError: an unknown format, or ``onnx`` without the ONNX exporter installed.
    """
    if isinstance(formats, str):
        formats = (formats,)
    formats = tuple(dict.fromkeys(str(f).lower() for f in formats))
    unknown = [f for f in formats if f not in EXPORT_FORMATS]
    if unknown or not formats:
        raise ConfigError(f"export formats must be among {list(EXPORT_FORMATS)}, got {list(formats)}.")
    if "onnx" in formats:
        problem = onnx_exporter_missing()
        if problem:
            raise ConfigError(problem)
    return formats


def export_trained_model(
    pytorch_config: Mapping[str, Any],
    model_path: str | Path,
    pose_snapshot: str | Path,
    detector_snapshot: str | Path | None = None,
    formats: Sequence[str] = ("pt",),
    overwrite: bool = False,
) -> list[Path]:
    """Write one snapshot's export: the ``.pt`` at ``model_path`` and the graphs beside it.

    Args:
        pytorch_config: the config stored in the files (already without paths if asked).
        model_path: DeepLabCut 3's exported-model file (``...snapshot-<uid>.pt``).
        pose_snapshot, detector_snapshot: the snapshot files (the detector for top-down models).
        formats: among :data:`EXPORT_FORMATS`.
        overwrite: replace files that exist; else they are kept and not counted.

    Returns:
        The files written.
    """
    formats = check_formats(formats)
    model_path = Path(model_path)
    targets = graph_paths(model_path, formats, detector_snapshot is not None)
    if "pt" in formats:
        targets = {("pt", "pose"): model_path, **targets}
    targets = {key: path for key, path in targets.items() if overwrite or not path.exists()}
    if not targets:
        return []
    model_path.parent.mkdir(parents=True, exist_ok=True)
    networks: dict[str, nn.Module] = {}
    written = []
    for (fmt, kind), path in targets.items():
        if fmt == "pt":  # the snapshots' weights as they are, as DeepLabCut 3 exports them
            detector = None if detector_snapshot is None else load_checkpoint(detector_snapshot)["model"]
            save_dlclive_export(path, dlclive_export(pytorch_config, load_checkpoint(pose_snapshot)["model"], detector))
        else:
            networks = networks or trained_networks(pytorch_config, pose_snapshot, detector_snapshot)
            network = networks[kind]
            input_size = fixed_input_size(pytorch_config) if kind == "pose" else None
            metadata = export_metadata(pytorch_config, kind, output_names(network), input_size)
            (export_torchscript if fmt == "torchscript" else export_onnx)(network, path, metadata)
        written.append(path)
    return written


def fixed_input_size(pytorch_config: Mapping[str, Any]) -> tuple[int, int] | None:
    """``(H, W)`` of a top-down pose model's crops; None for full-image models."""
    if pytorch_config.get("method", "bu") not in ("td", "ctd"):
        return None
    width, height = top_down_crop_size(pytorch_config["data"])
    return height, width
