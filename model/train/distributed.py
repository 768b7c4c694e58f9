"""Multi-process training with torch.distributed (DDP), as launched by ``torchrun``.

``torchrun`` (``python -m torch.distributed.run``) starts one process per device and sets
``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``; :func:`setup` reads them when called (never at
import) and joins the process group: NCCL on GPUs, gloo on CPUs. A plain process is a world
of one and joins nothing. Only rank 0 writes checkpoints, logs and registers the model.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

from voxcart.model.train.config import TrainingError

ENTRY_MODULE = "voxcart.model.train.entry"
TRAIN_DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class DistContext:
    """This process's place in the run.

    Attributes:
        rank: global rank (0 is the main process).
        world_size: number of processes.
        local_rank: rank on this machine (picks the GPU).
        device: where the model lives.
    """

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Whether this process writes files and registers the model."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """Whether a process group is in use."""
        return self.world_size > 1


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise TrainingError(f"environment variable {name}={raw!r} must be an integer") from exc


def rank_device(device: str, local_rank: int = 0) -> torch.device:
    """The training device of this process (auto: its local GPU when CUDA is available, else
    the CPU). Training runs on CPU or CUDA only, one GPU per torchrun rank; inference picks
    its device with :func:`voxcart.model.backends.device.pick_device`, which also knows MPS.

    Raises:
        TrainingError: an unknown device name, or cuda asked for where there is none.
    """
    if device not in TRAIN_DEVICES:
        raise TrainingError(f"device={device!r} must be one of {', '.join(TRAIN_DEVICES)}")
    if device == "cpu" or (device == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise TrainingError("device=cuda but no CUDA GPU is available; use --device cpu")
    index = local_rank % max(1, torch.cuda.device_count())
    torch.cuda.set_device(index)
    return torch.device("cuda", index)


def setup(device: str = "auto") -> DistContext:
    """Join the torchrun process group if there is one and pick this process's device."""
    world = _env_int("WORLD_SIZE", 1)
    rank = _env_int("RANK", 0)
    local_rank = _env_int("LOCAL_RANK", 0)
    target = rank_device(device, local_rank)
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if target.type == "cuda" else "gloo"
        dist.init_process_group(
            backend=backend,
            rank=rank,
            world_size=world,
            timeout=timedelta(minutes=30),
            device_id=target if target.type == "cuda" else None,
        )
    return DistContext(rank=rank, world_size=world, local_rank=local_rank, device=target)


def teardown(ctx: DistContext) -> None:
    """Leave the process group (no-op for a single process)."""
    if ctx.distributed and dist.is_initialized():
        dist.destroy_process_group()


def barrier(ctx: DistContext) -> None:
    """Wait for every process."""
    if ctx.distributed:
        dist.barrier()


def broadcast_object(ctx: DistContext, value: object) -> object:
    """Rank 0's `value` on every rank (e.g. an early-stopping decision or an error)."""
    if not ctx.distributed:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def shard(batches: Sequence[list[int]], ctx: DistContext) -> list[list[int]]:
    """This rank's share of an epoch's batches: every rank gets the same count (the few
    batches left over by an uneven split are skipped this epoch, so no rank waits)."""
    usable = len(batches) // ctx.world_size * ctx.world_size
    return list(batches[ctx.rank : usable : ctx.world_size])


def torchrun_command(nproc: int, args: Sequence[str]) -> list[str]:
    """The ``torchrun`` command line that runs training in `nproc` local processes."""
    if nproc < 1:
        raise TrainingError(f"nproc={nproc} must be at least 1")
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={nproc}",
        "-m",
        ENTRY_MODULE,
        *args,
    ]


def launch(nproc: int, args: Sequence[str]) -> int:
    """Run training under torchrun with `nproc` processes; returns its exit code."""
    return subprocess.run(torchrun_command(nproc, args), check=False).returncode
