"""Several processes training one model: the process group of a ``torchrun`` launch.

``torchrun --nproc_per_node=N`` (and ``srun`` with torchrun's rendezvous on
clusters) starts N copies of the same command and gives each one the
environment variables ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR`` and ``MASTER_PORT``. :func:`from_environment` reads them;
:func:`process_group` joins (and afterwards leaves) the group, with ``nccl``
on GPUs and ``gloo`` on the CPU. Outside torchrun everything here describes a
single process (rank 0 of 1) and does nothing.

The trainer asks :class:`DistributedContext` which rank it is (only rank 0
writes files and prints), waits for the others (:meth:`~DistributedContext.barrier`)
and averages numbers across processes (:meth:`~DistributedContext.mean`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import torch
import torch.distributed as dist

from deeplabcut.errors import ConfigError

#: How long a process waits for the others (rank 0 validates and writes snapshots alone
#: while the others wait at the next collective call; a large test set takes a while).
COLLECTIVE_TIMEOUT = dt.timedelta(minutes=60)


@dataclass(frozen=True)
class DistributedContext:
    """This process's place among the processes training one model.

    Attributes:
        rank: 0 .. world_size - 1 (``RANK``); rank 0 writes every file.
        world_size: number of processes (``WORLD_SIZE``); 1 outside torchrun.
        local_rank: index on this machine (``LOCAL_RANK``): which GPU it uses.
        active: the process group is initialized (world_size > 1 inside :func:`process_group`).
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    active: bool = False

    @property
    def is_main(self) -> bool:
        """True on the process that writes snapshots, logs and statistics and prints."""
        return self.rank == 0

    def barrier(self) -> None:
        """Wait until every process gets here (nothing to wait for in a single process)."""
        if self.active:
            dist.barrier()

    def mean(self, values: Mapping[str, float]) -> dict[str, float]:
        """The mean of each value over the processes (the same keys on every process)."""
        if not self.active or not values:
            return dict(values)
        names = sorted(values)
        tensor = torch.tensor([float(values[name]) for name in names], dtype=torch.float64)
        if dist.get_backend() == "nccl":
            tensor = tensor.to(torch.device("cuda", torch.cuda.current_device()))
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return {name: float(value) / self.world_size for name, value in zip(names, tensor.cpu().tolist())}


SINGLE_PROCESS = DistributedContext()


def from_environment(environ: Mapping[str, str] | None = None) -> DistributedContext:
    """The rank and world size torchrun gave this process (rank 0 of 1 outside torchrun; not yet active).

    Raises:
        ConfigError: the variables are not numbers, or the rank is out of range.
    """
    environ = os.environ if environ is None else environ
    if "WORLD_SIZE" not in environ:
        return SINGLE_PROCESS
    try:
        world_size = int(environ["WORLD_SIZE"])
        rank = int(environ.get("RANK", "0"))
        local_rank = int(environ.get("LOCAL_RANK", str(rank)))
    except ValueError as err:
        raise ConfigError(
            f"The environment variables WORLD_SIZE/RANK/LOCAL_RANK must be whole numbers ({err}); "
            "launch with torchrun, which sets them."
        ) from err
    if world_size < 1 or not 0 <= rank < world_size:
        raise ConfigError(f"RANK={rank} is not in 0..WORLD_SIZE-1 (WORLD_SIZE={world_size}); launch with torchrun.")
    return DistributedContext(rank=rank, world_size=world_size, local_rank=local_rank)


def backend_for(device: torch.device) -> str:
    """``nccl`` for CUDA devices, ``gloo`` for the CPU."""
    return "nccl" if device.type == "cuda" else "gloo"


@contextlib.contextmanager
def process_group(device: torch.device, environ: Mapping[str, str] | None = None) -> Iterator[DistributedContext]:
    """Join the processes torchrun started (``nccl`` on GPUs, ``gloo`` on the CPU) for the ``with`` block.

    Yields the active context, or the single-process one outside torchrun (or
    with one process). A process group the caller already started is used as it
    is and left open; one started here is destroyed on the way out.

    Raises:
        ConfigError: a bad torchrun environment.
    """
    context = from_environment(environ)
    if context.world_size == 1:
        yield context
        return
    created = False
    if not dist.is_initialized():
        _import_before_the_group_exists()
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend_for(device), timeout=COLLECTIVE_TIMEOUT)
        created = True
    if dist.get_world_size() != context.world_size or dist.get_rank() != context.rank:
        raise ConfigError(
            f"The running process group (rank {dist.get_rank()} of {dist.get_world_size()}) does not match "
            f"RANK={context.rank}, WORLD_SIZE={context.world_size}."
        )
    try:
        yield DistributedContext(context.rank, context.world_size, context.local_rank, active=True)
    finally:
        if created:
            # A model can outlive its code in a reference cycle (matplotlib's savefig keeps a caught exception
            # whose traceback holds the frames that called it, the trainer's among them); let such models,
            # and the group they hold, go now rather than while the interpreter exits.
            gc.collect()
            dist.destroy_process_group()


def _import_before_the_group_exists() -> None:
    """Import ``torch.distributed.nn`` while no process group exists (torch 2.13).

    Its functions take ``group=group.WORLD`` as a default argument, which Python
    evaluates once, at import. DistributedDataParallel imports it (through
    ``torch._dynamo``) after the group is started, so the defaults would hold the
    group for the life of the process: ``destroy_process_group`` could not free it,
    gloo's threads would still run while the interpreter exits, and a process that
    had finished its work would now and then die with SIGABRT ("terminate called
    without an active exception"), failing the whole torchrun launch. Imported here
    first, the defaults are ``None`` and the group is freed on the way out.
    """
    import torch.distributed.nn  # noqa: F401
