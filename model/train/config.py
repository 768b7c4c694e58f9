"""Fine-tuning settings: one frozen dataclass with defaults and help, from TOML and the CLI.

A ``train.toml`` holds any of the :class:`TrainConfig` fields at top level and, optionally, a
``[model]`` table of ``Wav2Vec2Config`` overrides for the from-scratch preset (e.g.
``hidden_size = 64``). Command-line options override the file; the file overrides defaults.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from voxcart.model.errors import ModelError

SCHEDULES = ("linear", "cosine")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


class TrainingError(ModelError):
    """Training cannot start or go on (no data, bad settings, incompatible checkpoint, OOM)."""


def _help(text: str, default: Any = MISSING, factory: Any = MISSING) -> Any:
    if factory is not MISSING:
        return field(default_factory=factory, metadata={"help": text})
    return field(default=default, metadata={"help": text})


@dataclass(frozen=True)
class TrainConfig:
    """How a CTC model is fine-tuned; every field has a default and a help text.

    Read the help of each field with :func:`field_help`; check a config with
    :meth:`validate` (called on construction).
    """

    epochs: int = _help("Passes over the training clips (ignored when max_steps is set).", 30)
    max_steps: int | None = _help("Stop after this many optimizer steps (overrides epochs).", None)
    batch_size: int | None = _help(
        "Clips per batch; None: batches are limited by max_batch_seconds only.", None
    )
    max_batch_seconds: float = _help(
        "Most padded audio seconds per batch (lower it when the GPU runs out of memory).", 60.0
    )
    lr: float | None = _help(
        "Peak learning rate; None: 1e-4 for a pretrained base, 1e-3 for a from-scratch preset.",
        None,
    )
    warmup_steps: int | None = _help("Linear warm-up steps; None: 10% of the total steps.", None)
    schedule: str = _help("Decay after warm-up: linear or cosine (to zero).", "linear")
    weight_decay: float = _help("AdamW weight decay (not applied to biases and norms).", 0.005)
    max_grad_norm: float = _help("Clip the gradient norm to this (0: no clipping).", 1.0)
    grad_accum: int = _help("Batches accumulated per optimizer step.", 1)
    dropout: float = _help("Hidden, attention, activation and projection dropout.", 0.1)
    layerdrop: float = _help("Probability of skipping a whole transformer layer.", 0.05)
    mask_time_prob: float = _help("SpecAugment: share of time steps masked.", 0.05)
    mask_time_length: int = _help("SpecAugment: length of each time mask (frames).", 10)
    mask_feature_prob: float = _help("SpecAugment: share of feature channels masked.", 0.0)
    mask_feature_length: int = _help("SpecAugment: width of each feature mask.", 10)
    freeze_feature_encoder: bool = _help("Keep the convolutional feature encoder frozen.", True)
    freeze_layers: int = _help("Freeze the lowest N transformer layers (0: none).", 0)
    lora: bool = _help("Train LoRA adapters (peft) instead of the full transformer.", False)
    lora_rank: int = _help("LoRA rank.", 8)
    lora_alpha: int = _help("LoRA scaling numerator (scale = alpha / rank).", 16)
    lora_dropout: float = _help("Dropout on the LoRA path.", 0.05)
    augment: str | None = _help(
        "On-the-fly augmentation preset (e.g. mild), seeded per (epoch, clip); None: off.", None
    )
    pseudo_label_threshold: float | None = _help(
        "Also train on machine suggestions with mean confidence >= this; None: humans only.",
        None,
    )
    seed: int = _help("Seed of initialization, data order, masking and augmentation.", 0)
    eval_every: int = _help("Evaluate dev WER every N steps (0: only at the end).", 200)
    save_every: int = _help("Write a resumable checkpoint every N steps.", 200)
    keep_checkpoints: int = _help("How many recent checkpoints to keep.", 2)
    early_stopping_patience: int = _help(
        "Stop after N evaluations without a better dev WER (0: never stop early).", 5
    )
    log_every: int = _help("Write a metrics line every N steps.", 10)
    precision: str = _help(
        "auto (bf16 on GPUs that support it, else fp16; fp32 on CPU), fp32, bf16 or fp16.", "auto"
    )
    num_workers: int = _help("DataLoader worker processes that load audio.", 0)
    max_clip_seconds: float = _help("Leave out clips longer than this.", 20.0)
    model: Mapping[str, Any] = _help(
        "Wav2Vec2Config overrides for a from-scratch preset ([model] table).", factory=dict
    )

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field.

        Raises:
            TrainingError: naming the first invalid field, its value and what is allowed.
        """
        positive_ints = ("epochs", "grad_accum", "mask_time_length", "mask_feature_length")
        for name in positive_ints:
            _check_int(name, getattr(self, name), 1)
        for name in ("freeze_layers", "eval_every", "early_stopping_patience", "seed"):
            _check_int(name, getattr(self, name), 0)
        for name in ("save_every", "keep_checkpoints", "log_every", "lora_rank", "lora_alpha"):
            _check_int(name, getattr(self, name), 1)
        _check_int("num_workers", self.num_workers, 0)
        for name in ("max_steps", "batch_size"):
            if getattr(self, name) is not None:
                _check_int(name, getattr(self, name), 1)
        if self.warmup_steps is not None:
            _check_int("warmup_steps", self.warmup_steps, 0)
        for name in ("max_batch_seconds", "max_clip_seconds"):
            _check_float(name, getattr(self, name), 0.0, math.inf, low_open=True)
        if self.lr is not None:
            _check_float("lr", self.lr, 0.0, 1.0, low_open=True)
        for name in ("weight_decay", "max_grad_norm"):
            _check_float(name, getattr(self, name), 0.0, math.inf)
        probabilities = (
            "dropout",
            "layerdrop",
            "mask_time_prob",
            "mask_feature_prob",
            "lora_dropout",
        )
        for name in probabilities:
            _check_float(name, getattr(self, name), 0.0, 1.0)
        if self.pseudo_label_threshold is not None:
            _check_float("pseudo_label_threshold", self.pseudo_label_threshold, 0.0, 1.0)
        if self.schedule not in SCHEDULES:
            raise TrainingError(f"schedule={self.schedule!r} must be one of {', '.join(SCHEDULES)}")
        if self.precision not in PRECISIONS:
            raise TrainingError(
                f"precision={self.precision!r} must be one of {', '.join(PRECISIONS)}"
            )
        if self.lora and self.freeze_layers:
            raise TrainingError(
                "lora=true and freeze_layers are exclusive (LoRA already freezes the base "
                "weights); drop one of them"
            )
        if not isinstance(self.model, Mapping):
            raise TrainingError(f"model={self.model!r} must be a table of Wav2Vec2Config fields")

    def to_dict(self) -> dict[str, Any]:
        """The config as JSON-compatible values (stored with the model version)."""
        data = asdict(self)
        data["model"] = dict(self.model)
        return data

    def with_overrides(self, **overrides: Any) -> TrainConfig:
        """A copy with the given fields replaced; None values are ignored (option not given).

        Raises:
            TrainingError: an unknown field, or an invalid value.
        """
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise TrainingError(f"unknown training setting(s): {', '.join(unknown)}")
        changes = {key: value for key, value in overrides.items() if value is not None}
        return replace(self, **changes) if changes else self


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise TrainingError(f"{name}={value!r} must be an integer >= {low}")


def _check_float(name: str, value: Any, low: float, high: float, *, low_open: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TrainingError(f"{name}={value!r} must be a number")
    number = float(value)
    if not math.isfinite(number) and high != math.inf:
        raise TrainingError(f"{name}={value!r} must be finite")
    below = number <= low if low_open else number < low
    if below or number > high or math.isnan(number):
        bound = f"> {low}" if low_open else f">= {low}"
        raise TrainingError(f"{name}={value!r} must be {bound} and <= {high}")


def field_help(name: str) -> str:
    """The help text of one TrainConfig field."""
    for item in fields(TrainConfig):
        if item.name == name:
            return str(item.metadata.get("help", ""))
    raise KeyError(name)


def config_from_mapping(data: Mapping[str, Any], source: str = "config") -> TrainConfig:
    """Build a config from a mapping (a parsed TOML document).

    Raises:
        TrainingError: an unknown key (with the known ones listed) or an invalid value.
    """
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise TrainingError(
            f"{source}: unknown training setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    values = dict(data)
    if "model" in values and not isinstance(values["model"], Mapping):
        raise TrainingError(f"{source}: [model] must be a table of Wav2Vec2Config fields")
    try:
        return TrainConfig(**values)
    except TypeError as exc:  # pragma: no cover - names are checked above
        raise TrainingError(f"{source}: {exc}") from exc


def load_train_config(path: Path | str) -> TrainConfig:
    """Read a ``train.toml``.

    Raises:
        TrainingError: the file is missing, not UTF-8 TOML, or holds invalid settings.
    """
    target = Path(path)
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TrainingError(f"training config {target} does not exist") from exc
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TrainingError(f"training config {target} is not valid UTF-8 TOML: {exc}") from exc
    return config_from_mapping(data, str(target))
