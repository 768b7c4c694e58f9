"""Optimization settings of a run: AdamW groups, the learning-rate schedule, mixed precision
and the size of length buckets."""

from __future__ import annotations

import math
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import torch
from torch import nn

from voxcart.model.train.config import TrainConfig, TrainingError

BUCKET_BATCHES = 3
_NO_DECAY = ("bias", "layer_norm", "layernorm", "LayerNorm", "norm")


def precision_dtype(config: TrainConfig, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of a run (None: full fp32).

    Raises:
        TrainingError: fp16 asked for on a CPU.
    """
    if config.precision == "fp32" or (config.precision == "auto" and device.type != "cuda"):
        return None
    if config.precision == "fp16" and device.type != "cuda":
        raise TrainingError("precision=fp16 needs a CUDA GPU; use fp32 or bf16 on a CPU")
    if config.precision == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if config.precision == "bf16" else torch.float16


def autocast_context(
    device: torch.device, dtype: torch.dtype | None
) -> AbstractContextManager[Any]:
    """Mixed precision for the forward pass, or nothing for fp32."""
    if dtype is None:
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def build_optimizer(model: nn.Module, config: TrainConfig, lr: float) -> torch.optim.AdamW:
    """AdamW over the trainable parameters; biases and norms get no weight decay.

    Raises:
        TrainingError: nothing is left to train.
    """
    decay: list[nn.Parameter] = []
    no_decay: list[nn.Parameter] = []
    for name, param in model.named_parameters():
        if param.requires_grad:
            (no_decay if any(k in name for k in _NO_DECAY) else decay).append(param)
    if not decay and not no_decay:
        raise TrainingError("every parameter is frozen; lower freeze_layers or drop --lora")
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=lr, betas=(0.9, 0.98))


def lr_factor(step: int, warmup: int, total: int, schedule: str) -> float:
    """Multiplier of the peak learning rate at `step`: linear warm-up, then linear or cosine
    decay to zero at `total`."""
    if step >= total:
        return 0.0
    if warmup and step < warmup:
        return (step + 1) / warmup
    span = max(1, total - warmup)
    progress = min(1.0, (step - warmup) / span)
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    return max(0.0, 1.0 - progress)


def training_bucket_size(
    durations: list[float], batch_size: int | None, max_batch_seconds: float
) -> int:
    """Clips per length bucket: about three batches' worth.

    Clips are shuffled inside a bucket before batching, so a bucket must be small for its
    batches to hold clips of similar length, and hold several batches for the order to vary.
    """
    if not durations:
        return 1
    median = float(sorted(durations)[len(durations) // 2]) or 1.0
    per_batch = max(1, int(max_batch_seconds // median))
    if batch_size is not None:
        per_batch = min(per_batch, batch_size)
    return BUCKET_BATCHES * per_batch
