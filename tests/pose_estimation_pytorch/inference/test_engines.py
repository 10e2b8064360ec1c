"""Inference engines give the eager network's outputs: OpenVINO and ONNX Runtime in float32 within 5e-4,
OpenVINO in bf16 within a few percent of each output's range; the choice of engine and precision.

The networks are the tiny perturbed DEKR and CenterDetector of test_export.py (every layer matters,
DEKR's adaptive convolutions deform their taps).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from deeplabcut.errors import ConfigError, ConfigValueError
from deeplabcut.pose_estimation_pytorch.config.dlc_layout import merge_from_deeplabcut, split_for_deeplabcut
from deeplabcut.pose_estimation_pytorch.config.schema import check_inference_arguments, validate_pytorch_config
from deeplabcut.pose_estimation_pytorch.inference import engines
from deeplabcut.pose_estimation_pytorch.inference.engines import (
    Engine,
    describe_engines,
    engine_network,
    engine_setting,
    prepare_network,
    select_engine,
)
from deeplabcut.pose_estimation_pytorch.runtime import autocast_dtype, precision
from deeplabcut.pose_estimation_pytorch.inference.exported import OPENVINO_STATIC_SIZES, ExportedNetwork, _OpenVinoGraph
from pose_estimation_pytorch.inference.test_export import _flatten, tiny_dekr, tiny_detector

CPU = torch.device("cpu")
#: float32 engines: sums in another order (offsets reach 8 pixels).
FLOAT32_ATOL = 5e-4
#: bf16 keeps 8 bits of mantissa: each output within this fraction of its largest magnitude.
BF16_RELATIVE = 0.12


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # exported graphs are compared at 1 thread


@pytest.fixture
def no_openvino(monkeypatch):
    """OpenVINO cannot be imported (as where it is not installed)."""
    pytest.importorskip("openvino")
    monkeypatch.setitem(sys.modules, "openvino", None)


def images(*shape: int, seed: int = 3) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module")
def openvino_dekr():
    """``(config, eager model, its OpenVINO float32 network)``: converted once for the module's tests."""
    pytest.importorskip("openvino")
    config, model = tiny_dekr()
    return config, model, engine_network(model, Engine("openvino", "f32"), config)


def assert_close_outputs(eager: dict, fast: dict, atol: float = FLOAT32_ATOL) -> None:
    eager_names, eager_tensors = _flatten(eager)
    fast_names, fast_tensors = _flatten(fast)
    assert eager_names == fast_names
    for name, reference, tensor in zip(eager_names, eager_tensors, fast_tensors):
        assert tensor.shape == reference.shape, name
        torch.testing.assert_close(tensor, reference, atol=atol, rtol=0, msg=name)


def test_openvino_f32_matches_eager_and_compiles_once_per_image_size(openvino_dekr):
    config, model, network = openvino_dekr
    network.graph.compiled.clear()
    assert isinstance(network, ExportedNetwork) and network.decoder is model
    for shape in ((3, 3, 80, 112), (1, 3, 80, 112), (2, 3, 64, 96)):
        batch = images(*shape)
        with torch.no_grad():
            eager_outputs, engine_outputs = model(batch), network(batch)
        assert_close_outputs(eager_outputs, engine_outputs)
        eager_poses = model.predict(eager_outputs)["bodyparts"]
        assert (eager_poses[..., 2] > 0).any()
        torch.testing.assert_close(network.predict(engine_outputs)["bodyparts"], eager_poses, atol=FLOAT32_ATOL, rtol=0)
    # Batch sizes share a compiled model; each height and width has its own.
    assert set(network.graph.compiled) == {(80, 112), (64, 96)}
    # An empty batch (top-down frames without animals) gives empty outputs of the right shapes.
    with torch.no_grad():
        assert_close_outputs(model(images(0, 3, 64, 96)), network(images(0, 3, 64, 96)))
    # Past OPENVINO_STATIC_SIZES sizes, one model with dynamic height and width serves the rest.
    sizes = [(64 + 16 * i, 64) for i in range(OPENVINO_STATIC_SIZES + 1)]
    for height, width in sizes:
        batch = images(1, 3, height, width)
        with torch.no_grad():
            assert_close_outputs(model(batch), network(batch))
    assert set(network.graph.compiled) == {(80, 112), (64, 96), *sizes[: OPENVINO_STATIC_SIZES - 2], None}


def test_openvino_bf16_is_close_to_eager(openvino_dekr):
    if not engines.cpu_has_native_bf16():
        pytest.skip("this CPU has no native bf16 (OpenVINO lists no BF16 capability)")
    config, model, network = openvino_dekr
    graph = _OpenVinoGraph(network.graph.model, "bf16")  # the same converted model, compiled for bf16
    batch = images(2, 3, 80, 112)
    with torch.no_grad():
        eager = _flatten(model(batch))
        fast = _flatten(ExportedNetwork(graph, network.metadata, "bf16", decoder=model)(batch))
    for name, reference, tensor in zip(eager[0], eager[1], fast[1]):
        error = (tensor - reference).abs().max().item()
        assert error <= BF16_RELATIVE * reference.abs().max().item(), (name, error)
        assert error > 10 * FLOAT32_ATOL  # bf16 did run: float32 agrees to 1e-4


def test_openvino_detector_matches_eager_boxes():
    pytest.importorskip("openvino")
    config, detector = tiny_detector()
    network = engine_network(detector, Engine("openvino", "f32"), config, kind="detector")
    batch = images(2, 3, 72, 100, seed=2)
    with torch.no_grad():
        eager_outputs, engine_outputs = detector(batch), network(batch)
    assert_close_outputs(eager_outputs, engine_outputs)
    eager_boxes = detector.predict(eager_outputs, image_size=(72, 100))
    engine_boxes = network.predict(engine_outputs, image_size=(72, 100))
    for key in ("bboxes", "bbox_scores"):
        torch.testing.assert_close(engine_boxes[key], eager_boxes[key], atol=FLOAT32_ATOL, rtol=0)


@pytest.mark.slow
def test_onnxruntime_matches_eager():
    """Exported to ONNX in memory (about 20 s for the exporter), run by ONNX Runtime at two sizes."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    config, model = tiny_dekr()
    network = engine_network(model, Engine("onnxruntime", "f32"), config)
    for shape in ((3, 3, 80, 112), (1, 3, 64, 96)):
        batch = images(*shape)
        with torch.no_grad():
            eager_outputs, engine_outputs = model(batch), network(batch)
        assert_close_outputs(eager_outputs, engine_outputs)
        torch.testing.assert_close(
            network.predict(engine_outputs)["bodyparts"], model.predict(eager_outputs)["bodyparts"], atol=FLOAT32_ATOL, rtol=0
        )


def test_torch_engine_is_the_eager_network_itself():
    config, model = tiny_dekr()
    assert engine_network(model, Engine("torch"), config) is model


# --------------------------------------------------------------------------------------------
# Which engine, which precision
# --------------------------------------------------------------------------------------------


def test_auto_is_torch_in_bf16_else_openvino_on_the_cpu_and_torch_on_gpus(monkeypatch):
    pytest.importorskip("openvino")
    monkeypatch.setattr(engines, "AUTO_CPU_ENGINE", "openvino")  # the default, which conftest.py changes
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: False)
    assert select_engine("auto", CPU).name == "openvino"
    assert select_engine(None, CPU).name == "openvino"
    assert select_engine("auto", CPU, "bf16") == Engine("torch", "bf16")  # bf16 asked for on any CPU
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: True)
    assert select_engine("auto", CPU) == Engine("torch", "bf16")  # as fast, without a conversion
    assert select_engine("auto", CPU, False).name == "openvino"
    assert select_engine("auto", torch.device("cuda")).name == "torch"
    assert select_engine("auto", torch.device("mps")).name == "torch"
    assert select_engine("torch", CPU, False) == Engine("torch", "f32")
    # torch keeps the runtime's autocast rule (bf16 on CPUs with native bf16, since "auto")
    assert select_engine("torch", CPU, "auto").autocast_dtype == autocast_dtype("auto", CPU)


def test_openvino_precision_follows_mixed_precision_and_the_cpu(monkeypatch):
    pytest.importorskip("openvino")
    monkeypatch.setattr(engines, "cpu_has_native_bf16", lambda: True)
    assert select_engine("openvino", CPU, "bf16").precision == "bf16"
    for off in ("auto", True, False, "false", None, "fp32"):  # bf16 heads cost accuracy: asked for only
        assert select_engine("openvino", CPU, off).precision == "f32", off
    assert select_engine("openvino", CPU, "fp16").precision == "f32"  # no fp16 on the CPU, as for PyTorch
    assert select_engine("onnxruntime", CPU, "auto").precision == "f32"
    monkeypatch.setattr(engines, "cpu_has_native_bf16", lambda: False)
    assert select_engine("openvino", CPU, "bf16").precision == "f32"


def test_torch_and_openvino_agree_on_native_bf16():
    openvino = pytest.importorskip("openvino")
    capabilities = openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    assert engines.cpu_has_native_bf16() == ("BF16" in capabilities)


def test_openvino_sends_no_telemetry_and_writes_nothing_in_home(tmp_path):
    pytest.importorskip("openvino")
    script = (
        "import torch\n"
        "from deeplabcut.utils.optional_imports import import_openvino\n"
        "openvino = import_openvino()\n"
        "openvino.convert_model(torch.nn.Conv2d(3, 4, 3), example_input=torch.randn(1, 3, 8, 8))\n"
        "import sys; assert sys.modules['openvino_telemetry'] is None\n"
    )
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("DLC_OPENVINO_TELEMETRY", None)
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    assert list(tmp_path.iterdir()) == []  # OpenVINO's telemetry would write ~/intel/openvino_ga_cid


def test_a_missing_engine_falls_back_to_torch_naming_the_pip_command(no_openvino, monkeypatch):
    chosen = select_engine("openvino", CPU, False)
    assert chosen.name == "torch" and chosen.precision == "f32"
    assert "pip install openvino" in chosen.fallback and "'torch'" in chosen.fallback
    assert "\n" not in chosen.fallback
    # auto asks for nothing in particular: torch without a word
    monkeypatch.setattr(engines, "AUTO_CPU_ENGINE", "openvino")
    assert select_engine("auto", CPU, False) == Engine("torch", "f32", "")


def test_a_network_the_converter_refuses_runs_in_torch(monkeypatch):
    config, model = tiny_dekr()

    def refuse(*args, **kwargs):
        raise RuntimeError("unsupported operation\nmore details")

    monkeypatch.setattr(engines, "openvino_model", refuse)
    network, chosen = prepare_network(model, Engine("openvino", "bf16"), config)
    assert network is model and chosen.name == "torch"
    assert "could not convert the pose model (RuntimeError: unsupported operation)" in chosen.fallback


def test_unknown_engines_are_refused():
    with pytest.raises(ConfigError, match="tensorrt"):
        select_engine("tensorrt", CPU)
    with pytest.raises(ConfigValueError, match="engine"):
        check_inference_arguments("analyze_videos", engine="tensorrt")
    check_inference_arguments("analyze_videos", engine="onnxruntime")


def test_the_config_key_is_checked_read_and_kept_out_of_deeplabcuts_file():
    template, _ = tiny_dekr()
    config = {
        "net_type": "dekr_16", "method": "bu", "metadata": {"bodyparts": ["a"], "individuals": ["i"]},
        "model": template["model"], "runner": {}, "train_settings": {}, "data": {},
    }  # fmt: skip
    config["inference"] = {"engine": "onnxruntime"}
    validate_pytorch_config(config, "pytorch_config.yaml")
    assert engine_setting(config) == "onnxruntime"
    assert engine_setting({}) == "auto"
    # the detector follows the pose model unless it has its own
    config["detector"] = {"model": {"type": "CenterDetector"}}
    assert engine_setting(config, detector=True) == "onnxruntime"
    config["detector"]["inference"] = {"engine": "torch"}
    assert engine_setting(config, detector=True) == "torch"
    main, extras = split_for_deeplabcut(config)
    assert "engine" not in (main.get("inference") or {}) and extras["inference"]["engine"] == "onnxruntime"
    assert extras["detector"]["inference"]["engine"] == "torch"
    assert merge_from_deeplabcut(main, extras)["inference"]["engine"] == "onnxruntime"
    config["inference"]["engine"] = "tensorrt"
    with pytest.raises(ConfigValueError, match="inference.engine"):
        validate_pytorch_config(config, "pytorch_config.yaml")


def test_describe_engines():
    same = {"pose": Engine("openvino", "bf16"), "detector": Engine("openvino", "bf16")}
    assert describe_engines(same) == "openvino (bf16) for the pose model and the detector"
    assert describe_engines({"pose": Engine("torch", "f32")}) == "torch (f32)"
    assert describe_engines({"pose": Engine("openvino", "f32"), "detector": Engine("torch", "f32")}) == (
        "pose: openvino (f32), detector: torch (f32)"
    )
