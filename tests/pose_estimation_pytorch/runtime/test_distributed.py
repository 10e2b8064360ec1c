"""The process group of a torchrun launch: read from the environment, a single process outside it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
import torch.distributed as dist

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.runtime import SINGLE_PROCESS, DistributedContext, process_group, resolve_device
from deeplabcut.pose_estimation_pytorch.runtime.distributed import backend_for, from_environment

from conftest import torchrun_environment


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
#: a reference cycle; afterwards the rank writes the names of gloo's threads that still run to a file of its own
#: (none, once the group is freed).
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
    with open(f"gloo-threads-of-rank-{os.environ['RANK']}.txt", "w") as report:
        report.write(repr([name for name in names if "gloo" in name]))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the thread names from /proc")
def test_leaving_the_group_stops_gloo_before_the_process_exits(tmp_path):
    # Threads of a group that outlives its with-block keep running while the interpreter exits,
    # and made one finished torchrun launch in ~40 die with SIGABRT.
    script = tmp_path / "rank.py"
    script.write_text(GLOO_THREADS_AFTER_THE_GROUP)
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script)],
        env=torchrun_environment(), cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    for rank in (0, 1):
        assert (tmp_path / f"gloo-threads-of-rank-{rank}.txt").read_text() == "[]", f"rank {rank}"
