"""The process group of a torchrun launch: read from the environment, a single process outside it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import pytest
import torch
import torch.distributed as dist

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.runtime import SINGLE_PROCESS, DistributedContext, process_group, resolve_device
from deeplabcut.pose_estimation_pytorch.runtime.distributed import backend_for, from_environment

from conftest import REPO_ROOT


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


#: One rank of a two-process launch: DistributedDataParallel trains a step inside ``process_group`` and is left in
#: a reference cycle; afterwards the rank prints the names of gloo's threads that still run (none, once the group
#: is freed).
GLOO_THREADS_AFTER_THE_GROUP = textwrap.dedent(
    """
    import os
    import torch
    from deeplabcut.pose_estimation_pytorch.runtime import process_group

    with process_group(torch.device("cpu")) as context:
        model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 2))
        model(torch.randn(3, 4)).sum().backward()
        context.barrier()
        cycle = {"model": model}  # only the garbage collector frees a model held in a reference cycle
        cycle["itself"] = cycle
        del model, cycle
    names = [open(f"/proc/self/task/{task}/comm").read().strip() for task in os.listdir("/proc/self/task")]
    print("gloo threads:", [name for name in names if "gloo" in name])
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the thread names from /proc")
def test_leaving_the_group_stops_gloo_before_the_process_exits():
    # Threads of a group that outlives its with-block keep running while the interpreter exits,
    # and made one finished torchrun launch in ~40 die with SIGABRT.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE="2", OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "src"), env.get("PYTHONPATH", "")])
    ranks = [
        subprocess.Popen(
            [sys.executable, "-c", GLOO_THREADS_AFTER_THE_GROUP], env=dict(env, RANK=str(rank), LOCAL_RANK=str(rank)),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        for rank in range(2)
    ]
    outputs = [rank.communicate(timeout=300) for rank in ranks]
    for rank, (stdout, stderr) in zip(ranks, outputs):
        assert rank.returncode == 0, stderr[-3000:]
        assert "gloo threads: []" in stdout, stdout + stderr[-2000:]
