"""Options of a ctc model version (its ``config`` column), validated without loading torch.

Shared by the backend (:mod:`voxcart.model.backends.ctc`) and checkpoint registration
(:mod:`voxcart.model.backends.ctc_models`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, cast

from voxcart.model.backends.ctc_align import ConfidenceMode
from voxcart.model.backends.ctc_decode import (
    DEFAULT_BEAM_WIDTH,
    DEFAULT_HOTWORD_WEIGHT,
    DEFAULT_NBEST,
    DecodeMethod,
    DecodeOptions,
)
from voxcart.model.errors import ModelError
from voxcart.model.versions import TRAINING_KEY

MIN_DURATION_S = 0.1


@dataclass(frozen=True)
class CtcConfig:
    """Options of a ctc model version (the ``config`` column); every key is optional.

    Attributes:
        hub_id: a Hugging Face hub id to load when the model version has no folder.
        decoder: ``"beam"`` (pyctcdecode, N-best, hotwords) or ``"greedy"``.
        beam_width: beams kept per frame.
        nbest: alternatives stored with each suggestion (beam only).
        hotwords: words boosted by beam search (the catalog's brands, types and models).
        hotword_weight: log-score bonus per hotword.
        kenlm: KenLM model file (relative to the checkpoint folder or absolute); needs
            ``pip install kenlm``.
        alpha: KenLM weight.
        beta: KenLM word insertion bonus.
        confidence: word confidence from the mean or min of its frame posteriors.
        device: ``"auto"`` (cuda, mps, cpu), ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"``.
        precision: GPU autocast dtype: ``"auto"``, ``"bf16"``, ``"fp16"`` or ``"fp32"``.
        quantize: int8 dynamic quantization of the Linear layers (CPU only).
        max_seconds: longest clip accepted.
        batch_size: most clips in one forward pass.
        max_batch_seconds: most padded audio seconds in one forward pass (limits memory).
    """

    hub_id: str | None = None
    decoder: str = "beam"
    beam_width: int = DEFAULT_BEAM_WIDTH
    nbest: int = DEFAULT_NBEST
    hotwords: tuple[str, ...] = ()
    hotword_weight: float = DEFAULT_HOTWORD_WEIGHT
    kenlm: str | None = None
    alpha: float = 0.5
    beta: float = 1.0
    confidence: str = "mean"
    device: str = "auto"
    precision: str = "auto"
    quantize: bool = False
    max_seconds: float = 30.0
    batch_size: int = 16
    max_batch_seconds: float = 240.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.max_seconds) and self.max_seconds > MIN_DURATION_S):
            raise ModelError(f"max_seconds={self.max_seconds} must be above {MIN_DURATION_S}")
        if self.batch_size < 1:
            raise ModelError(f"batch_size={self.batch_size} must be at least 1")
        if not self.max_batch_seconds > 0:
            raise ModelError(f"max_batch_seconds={self.max_batch_seconds} must be positive")

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any], model: str = "?") -> CtcConfig:
        """Read a model version's config, rejecting unknown keys and wrong types.

        Raises:
            ModelError: a key is unknown or a value has the wrong type or range.
        """
        known = {f.name: f for f in fields(cls)}
        config = {k: v for k, v in config.items() if k != TRAINING_KEY}  # how it was trained
        unknown = sorted(set(config) - set(known))
        if unknown:
            raise ModelError(
                f"model {model!r}: unknown ctc config key(s) {unknown}; allowed: {sorted(known)}"
            )
        values: dict[str, Any] = {}
        defaults = cls()
        for key, value in config.items():
            default = getattr(defaults, key)
            try:
                values[key] = _coerce(value, default, key)
            except (TypeError, ValueError) as exc:
                raise ModelError(f"model {model!r}: config {key}={value!r}: {exc}") from exc
        return cls(**values)

    def decode_options(self, checkpoint: Path | None) -> DecodeOptions:
        """The decoder options, the KenLM path resolved against the checkpoint folder."""
        kenlm = None
        if self.kenlm:
            kenlm = Path(self.kenlm)
            if not kenlm.is_absolute() and checkpoint is not None:
                kenlm = checkpoint / kenlm
        return DecodeOptions(
            method=cast(DecodeMethod, self.decoder),
            beam_width=self.beam_width,
            nbest=self.nbest,
            hotwords=self.hotwords,
            hotword_weight=self.hotword_weight,
            kenlm_path=kenlm,
            alpha=self.alpha,
            beta=self.beta,
            confidence=cast(ConfidenceMode, self.confidence),
        )


def _coerce(value: Any, default: Any, key: str) -> Any:
    if key in ("hub_id", "kenlm"):
        if value is not None and not isinstance(value, str):
            raise TypeError("expected a string")
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise TypeError("expected true or false")
        return value
    if isinstance(default, tuple):
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise TypeError("expected a list of strings")
        return tuple(value)
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("expected an integer")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError("expected a number")
        return float(value)
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value
