"""Resumable training checkpoints: written atomically, the last few kept, RNG states included.

A checkpoint is one file ``<run>/checkpoints/step-000123.pt`` holding the model, optimizer,
scheduler and grad-scaler states, the random generators, the step and the sampler position.
It is written to a temporary name and renamed, so a run killed mid-write never leaves a
truncated checkpoint and never loses the finished ones.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from voxcart.datasets.atomic import atomic_open
from voxcart.model.train.config import TrainingError

_NAME = re.compile(r"^step-(\d{6,})\.pt$")


def checkpoint_dir(run_dir: Path) -> Path:
    """Where a run keeps its checkpoints."""
    return run_dir / "checkpoints"


def list_checkpoints(run_dir: Path) -> list[Path]:
    """Finished checkpoints, oldest first (temporary files are ignored)."""
    folder = checkpoint_dir(run_dir)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _NAME.match(p.name))]
    return [path for _, path in sorted(found)]


def save_atomic(obj: Any, path: Path) -> Path:
    """``torch.save`` to `path` atomically (:func:`voxcart.datasets.atomic.atomic_open`)."""
    with atomic_open(path, "wb", encoding=None) as handle:
        torch.save(obj, handle)
    return path


def save_checkpoint(run_dir: Path, step: int, state: dict[str, Any], keep: int) -> Path:
    """Write the checkpoint of `step` and delete all but the newest `keep` ones."""
    path = save_atomic(state, checkpoint_dir(run_dir) / f"step-{step:06d}.pt")
    for old in list_checkpoints(run_dir)[:-keep]:
        old.unlink(missing_ok=True)
    return path


def load_state(path: Path) -> dict[str, Any]:
    """Read a checkpoint or a best-weights file.

    Raises:
        TrainingError: the file is unreadable or not a voxcart training state.
    """
    try:
        # Our own files: they hold numpy RNG states, which the weights-only loader refuses.
        state = torch.load(path, map_location="cpu", weights_only=False)
    except (OSError, RuntimeError, EOFError, ValueError) as exc:
        raise TrainingError(f"checkpoint {path} cannot be read ({exc}); delete it") from exc
    if not isinstance(state, dict) or "model" not in state:
        raise TrainingError(f"{path} is not a voxcart training checkpoint; delete it")
    return state


def capture_rng() -> dict[str, Any]:
    """The states of Python's, numpy's and torch's global generators."""
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Put the global generators back where :func:`capture_rng` found them."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def seed_everything(seed: int) -> None:
    """Seed the global generators (wav2vec2's SpecAugment masks draw from numpy's)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
