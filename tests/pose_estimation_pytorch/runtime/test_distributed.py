"""The process group of a torchrun launch: read from the environment, a single process outside it."""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.runtime import SINGLE_PROCESS, DistributedContext, process_group, resolve_device
from deeplabcut.pose_estimation_pytorch.runtime.distributed import backend_for, from_environment


def test_torchrun_variables_give_the_rank_and_the_world_size():
    assert from_environment({}) == SINGLE_PROCESS
    assert from_environment({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"}) == DistributedContext(3, 4, 1)
    assert not from_environment({"RANK": "1", "WORLD_SIZE": "4"}).is_main
    for bad in ({"RANK": "4", "WORLD_SIZE": "4"}, {"RANK": "x", "WORLD_SIZE": "2"}, {"RANK": "0", "WORLD_SIZE": "0"}):
        with pytest.raises(ConfigError, match="WORLD_SIZE"):
            from_environment(bad)


def test_outside_torchrun_nothing_is_started_and_numbers_stay_as_they_are():
    with process_group(torch.device("cpu"), environ={}) as context:
        assert context == SINGLE_PROCESS and context.is_main and not dist.is_initialized()
        context.barrier()
        assert context.mean({"loss": 2.5}) == {"loss": 2.5}
    with process_group(torch.device("cpu"), environ={"RANK": "0", "WORLD_SIZE": "1"}) as context:
        assert context.world_size == 1 and not dist.is_initialized()


def test_gloo_on_the_cpu_nccl_on_gpus():
    assert backend_for(torch.device("cpu")) == "gloo"
    assert backend_for(torch.device("cuda", 1)) == "nccl"


def test_a_cpu_device_is_not_changed_by_local_rank(monkeypatch):
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert resolve_device("cpu") == torch.device("cpu")
