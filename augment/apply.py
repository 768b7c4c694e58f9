"""Seeded application of a pipeline: audio in; augmented audio and every sampled parameter out.

audiomentations draws from the global ``random`` and ``numpy.random`` generators, so each
application seeds both from a :class:`numpy.random.SeedSequence` of the caller's seed, under a
lock, and restores their previous state afterwards: the caller's own use of those globals is
untouched, and the same (audio, pipeline, banks, seed) always gives the same samples.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voxcart.augment.bank_cache import Banks, default_cache_dir
from voxcart.augment.errors import AugmentError
from voxcart.augment.pipeline import PipelineConfig, build_pipeline, parse_pipeline
from voxcart.augment.presets import PipelineLike, resolve_pipeline

SeedLike = int | Sequence[int]
"""A seed: one non-negative integer, or several (e.g. seed, epoch, clip hash)."""
PEAK_LIMIT = 0.99
"""Outputs peaking above this are scaled down (the gain is recorded as ``output_gain``)."""

# One lock for the process: seeding globals is only reproducible if nobody else draws meanwhile.
_GLOBAL_RNG_LOCK = threading.RLock()


@dataclass(frozen=True)
class AugmentResult:
    """An augmented signal and what made it.

    Attributes:
        audio: float32 mono samples, same length as the input.
        sample_rate: their rate (the input's).
        params: JSON-safe record: ``pipeline``, ``seed``, ``transforms`` (each transform's
            sampled parameters, in order: SNR, noise id and offset, RIR id and RT60 or room,
            gain, bitrate, cutoff frequencies...), ``bank_ids``, ``banks``, ``output_gain`` and
            the full ``config``; :func:`reapply` reproduces the audio from it.
    """

    audio: np.ndarray
    sample_rate: int
    params: dict[str, Any]


def _entropy(seed: SeedLike) -> list[int]:
    values = [seed] if isinstance(seed, int | np.integer) else list(seed)
    if not values or not all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 0 for v in values
    ):
        raise AugmentError(f"seed={seed!r} must be a non-negative integer or a list of them")
    return [int(v) for v in values]


@contextmanager
def seeded_globals(seed: SeedLike) -> Iterator[None]:
    """Seed ``random`` and ``numpy.random`` for the block, restoring their state after it."""
    words = np.random.SeedSequence(_entropy(seed)).generate_state(4)
    with _GLOBAL_RNG_LOCK:
        py_state = random.getstate()
        np_state = np.random.get_state()
        try:
            random.seed(int(words[0]) << 32 | int(words[1]))
            np.random.seed(words[2:])
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)


def json_safe(value: Any) -> Any:
    """Convert numpy scalars/arrays, tuples and paths into plain JSON values."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def _record(transform: Any) -> dict[str, Any]:
    """What a transform sampled on its last call (only transforms that actually ran)."""
    from audiomentations import OneOf, SomeOf

    name = type(transform).__name__
    if isinstance(transform, OneOf):
        if not transform.should_apply:
            return {"transform": name, "applied": False}
        index = int(transform.transform_index)
        child = _record(transform.transforms[index])
        return {"transform": name, "applied": True, "chosen": [index], "children": [child]}
    if isinstance(transform, SomeOf):
        if not transform.should_apply:
            return {"transform": name, "applied": False}
        indexes = [int(i) for i in transform.transform_indexes]
        children = [_record(transform.transforms[i]) for i in indexes]
        return {"transform": name, "applied": True, "chosen": indexes, "children": children}
    parameters = dict(transform.parameters)
    if not parameters.pop("should_apply", False):
        return {"transform": name, "applied": False}
    return {"transform": name, "applied": True, **json_safe(parameters)}


def _bank_ids(records: Sequence[dict[str, Any]]) -> list[str]:
    ids: list[str] = []
    for record in records:
        ids.extend(str(record[key]) for key in ("noise_id", "rir_id") if key in record)
        ids.extend(_bank_ids(record.get("children", [])))
    return ids


def _check_audio(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    if not isinstance(sample_rate, int | np.integer) or sample_rate <= 0:
        raise AugmentError(f"sample_rate={sample_rate!r} must be a positive integer")
    data = np.asarray(audio)
    if data.ndim == 2 and 1 in data.shape:
        data = data.reshape(-1)
    if data.ndim != 1:
        raise AugmentError(
            f"audio must be mono, shape (frames,), got shape {data.shape}; "
            "average the channels first"
        )
    if not np.issubdtype(data.dtype, np.floating):
        raise AugmentError(f"audio must hold float samples in [-1, 1], got dtype {data.dtype}")
    if not np.all(np.isfinite(data)):
        raise AugmentError("audio holds NaN or infinite samples")
    return np.ascontiguousarray(data, dtype=np.float32)


class Augmenter:
    """A pipeline bound to its banks, applied with a seed per call.

    Building the audiomentations objects happens on first use and is not pickled, so an
    Augmenter is cheap to send to DataLoader workers.
    """

    def __init__(self, pipeline: PipelineLike, banks: Banks | None = None) -> None:
        """
        Args:
            pipeline: a preset name, a pipeline ``.toml`` path, a table or a config.
            banks: noise and impulse-response banks; None uses the default banks cached in
                ``$VOXCART_CACHE_DIR`` (or ``~/.cache/voxcart``).

        Raises:
            AugmentConfigError: the pipeline is invalid.
        """
        self.config: PipelineConfig = resolve_pipeline(pipeline)
        self.banks = banks if banks is not None else Banks(cache_dir=default_cache_dir())
        self._compose: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_compose"] = None
        return state

    def _bank_info(self) -> dict[str, Any]:
        kinds = {
            "noise": any(r == "BankNoise" for r in _names(self.config)),
            "rir": any(r == "BankReverb" for r in _names(self.config)),
        }
        info: dict[str, Any] = {}
        for kind, used in kinds.items():
            if used:
                bank = self.banks.noise() if kind == "noise" else self.banks.rir()
                info[kind] = {"source": bank.source, "fingerprint": bank.fingerprint}
        return info

    def __call__(self, audio: np.ndarray, sample_rate: int, seed: SeedLike) -> AugmentResult:
        """Augment one signal.

        Raises:
            AugmentError: the audio is not finite float mono, or the seed is invalid.
            BankError: a bank cannot be built or read.
        """
        samples = _check_audio(audio, sample_rate)
        if self._compose is None:
            self._compose = build_pipeline(self.config, self.banks)
        with seeded_globals(seed):
            out = self._compose(samples, int(sample_rate))
            records = [_record(t) for t in self._compose.transforms]
        out = np.asarray(out, dtype=np.float32)
        if not np.all(np.isfinite(out)):
            raise AugmentError(f"pipeline {self.config.name!r} produced NaN or infinite samples")
        peak = float(np.max(np.abs(out))) if out.size else 0.0
        gain = PEAK_LIMIT / peak if peak > PEAK_LIMIT else 1.0
        if gain != 1.0:
            out = out * np.float32(gain)
        params = {
            "pipeline": self.config.name,
            "seed": _entropy(seed)[0] if isinstance(seed, int | np.integer) else _entropy(seed),
            "sample_rate": int(sample_rate),
            "transforms": records,
            "bank_ids": _bank_ids(records),
            "banks": self._bank_info(),
            "output_gain": gain,
            "config": self.config.to_dict(),
        }
        return AugmentResult(out, int(sample_rate), params)


def _names(config: PipelineConfig) -> list[str]:
    names: list[str] = []
    stack = list(config.transforms)
    while stack:
        spec = stack.pop()
        names.append(spec.name)
        stack.extend(spec.children)
    return names


def augment_audio(
    audio: np.ndarray,
    sample_rate: int,
    preset_or_pipeline: PipelineLike,
    seed: SeedLike,
    banks: Banks | None = None,
) -> AugmentResult:
    """Augment one signal with a preset or pipeline, reproducibly.

    Args:
        audio: float mono samples in [-1, 1].
        sample_rate: their rate in Hz (bank audio is resampled to it when it is not 16 kHz).
        preset_or_pipeline: a preset name (``far-field``), a ``.toml`` path, a table or a config.
        seed: the same seed (with the same pipeline and banks) gives the same output.
        banks: noise and impulse-response banks; None uses the default ones.

    Raises:
        AugmentConfigError: the pipeline is invalid.
        AugmentError: the audio or the seed is invalid.
    """
    return Augmenter(preset_or_pipeline, banks)(audio, sample_rate, seed)


def reapply(audio: np.ndarray, params: dict[str, Any], banks: Banks | None = None) -> AugmentResult:
    """Reproduce an augmentation from its recorded parameters (pipeline config, seed, banks).

    Raises:
        BankError: a recorded noise or impulse response is missing from `banks`.
        AugmentError: the record is incomplete, or the output differs from the record (the
            banks or the audiomentations version changed).
    """
    try:
        config = parse_pipeline(params["config"], source="recorded pipeline")
        seed, sample_rate = params["seed"], params["sample_rate"]
    except (KeyError, TypeError) as exc:
        raise AugmentError(f"augmentation record lacks {exc}; it cannot be reproduced") from exc
    augmenter = Augmenter(config, banks)
    for bank_id in params.get("bank_ids", []):
        bank = augmenter.banks.noise() if bank_id.startswith("noise:") else augmenter.banks.rir()
        bank.get(bank_id)
    result = augmenter(audio, sample_rate, seed)
    recorded = json.loads(json.dumps(params["transforms"]))
    if json.loads(json.dumps(result.params["transforms"])) != recorded:
        raise AugmentError(
            "re-applying gave other sampled parameters than recorded; the banks or the "
            "audiomentations version differ from those that made the variant"
        )
    return result
