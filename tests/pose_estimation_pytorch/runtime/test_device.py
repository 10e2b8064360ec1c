"""Device, precision and seeds: what training and inference both decide the same way."""

import random

import numpy as np
import pytest
import torch

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.runtime import precision
from deeplabcut.pose_estimation_pytorch.runtime import autocast, autocast_dtype, fix_seeds, resolve_device


def test_auto_is_the_cpu_without_a_gpu_and_cuda_must_exist(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu") and resolve_device(None) == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ConfigError, match="CUDA is not available"):
        resolve_device("cuda:0")


def test_mixed_precision_modes_on_the_cpu(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: False)
    assert autocast_dtype("auto", cpu) is None and autocast_dtype(True, cpu) is None  # full precision
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: True)
    assert autocast_dtype("auto", cpu) == torch.bfloat16 and autocast_dtype(True, cpu) == torch.bfloat16
    assert autocast_dtype("bf16", cpu) == torch.bfloat16 and autocast_dtype("BFloat16", cpu) == torch.bfloat16
    assert autocast_dtype("fp16", cpu) is None and autocast_dtype(False, cpu) is None
    with pytest.raises(ConfigError, match="mixed_precision"):
        autocast_dtype("fp8", cpu)


def test_autocast_runs_in_the_dtype_or_does_nothing():
    cpu = torch.device("cpu")
    a = torch.ones(4, 4)
    with autocast(cpu, torch.bfloat16):
        assert (a @ a).dtype == torch.bfloat16
    with autocast(cpu, None):
        assert (a @ a).dtype == torch.float32


def test_fixed_seeds_repeat_every_draw():
    fix_seeds(11)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    fix_seeds(11)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


def test_native_bf16_is_what_torch_detects(monkeypatch):
    precision.cpu_has_native_bf16.cache_clear()
    try:
        monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx512_bf16": False, "amx_bf16": True})
        assert precision.cpu_has_native_bf16()
        precision.cpu_has_native_bf16.cache_clear()
        monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx512_bf16": False, "avx2": True})
        assert not precision.cpu_has_native_bf16()
    finally:
        precision.cpu_has_native_bf16.cache_clear()


def test_usable_cpus_honour_a_cgroup_quota(tmp_path, monkeypatch):
    from deeplabcut.pose_estimation_pytorch.runtime import device

    monkeypatch.setattr(device.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5, 6, 7}, raising=False)
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # docker --cpus 1.5
    assert device.usable_cpus(tmp_path) == 2
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert device.usable_cpus(tmp_path) == 8
    (tmp_path / "cpu.max").unlink()
    assert device.usable_cpus(tmp_path) == 8


def test_threads_are_lowered_to_the_usable_cpus_never_raised(monkeypatch):
    from deeplabcut.pose_estimation_pytorch.runtime import device

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    try:
        monkeypatch.setattr(device, "usable_cpus", lambda: 1)
        torch.set_num_threads(2)
        device.resolve_device("cpu")
        assert torch.get_num_threads() == 1
        monkeypatch.setattr(device, "usable_cpus", lambda: 4)
        device.resolve_device("cpu")
        assert torch.get_num_threads() == 1
        monkeypatch.setenv("OMP_NUM_THREADS", "2")
        torch.set_num_threads(2)
        monkeypatch.setattr(device, "usable_cpus", lambda: 1)
        device.resolve_device("cpu")
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_the_precision_is_described_in_one_phrase():
    from deeplabcut.pose_estimation_pytorch.runtime import precision_description

    assert precision_description(None, torch.device("cpu")) == "float32"
    assert precision_description(torch.bfloat16, torch.device("cpu")).startswith("bfloat16 autocast on this CPU's native bf16")


def test_inference_context_is_autocast_and_leaves_cudnn_as_it_was():
    from deeplabcut.pose_estimation_pytorch.runtime import inference_context

    a = torch.ones(4, 4)
    before = (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
    with inference_context(torch.device("cpu"), torch.bfloat16):
        assert (a @ a).dtype == torch.bfloat16
    with inference_context(torch.device("cpu"), None):
        assert (a @ a).dtype == torch.float32
    assert (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic) == before
