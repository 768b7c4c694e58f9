"""What every voice-activity backend reports: speech regions of a recording, and frame levels.

The backends (:mod:`~voxcart.datasets.segment.vad_energy`, ``vad_silero``, ``vad_pyannote``)
and the clip-cutting policy (:mod:`~voxcart.datasets.segment.cut`) share these types.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

SAMPLE_RATE = 16_000
"""Rate every backend receives audio at."""

ENERGY_HOP_S = 0.01
"""Hop of :func:`frame_energy_db` frames, in seconds."""
_ENERGY_WIN_S = 0.03


@dataclass(frozen=True)
class SpeechRegion:
    """A span of a recording, in seconds, optionally attributed to a speaker."""

    start_s: float
    end_s: float
    speaker: str | None = None

    @property
    def duration_s(self) -> float:
        """Length of the span."""
        return self.end_s - self.start_s


@dataclass(frozen=True)
class SpeechActivity:
    """What a voice-activity backend found in one recording.

    Attributes:
        speech: speech regions, sorted, not overlapping.
        overlap: regions where two or more people speak at once (empty where the backend
            cannot tell).
        backend: the backend's name, for lineage.
        params: the backend's parameters, for lineage.
    """

    speech: tuple[SpeechRegion, ...]
    overlap: tuple[SpeechRegion, ...] = ()
    backend: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)


class VoiceActivityDetector(Protocol):
    """A voice-activity backend: finds speech in mono 16 kHz float32 audio."""

    @property
    def name(self) -> str:
        """The backend's name, recorded in lineage."""
        ...

    def detect(self, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> SpeechActivity:
        """Speech (and, where supported, overlapped speech) regions of `audio`."""
        ...


def frame_energy_db(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """RMS level in dBFS of 30 ms frames every 10 ms (frame i spans (i-1)*10 to (i+2)*10 ms).

    Works block by block, so a recording of hours needs little memory beyond its samples.
    """
    hop = max(1, round(ENERGY_HOP_S * sample_rate))
    span = max(1, round(_ENERGY_WIN_S / ENERGY_HOP_S))
    samples = np.asarray(audio, dtype=np.float32).reshape(-1)
    n_hops = max(1, math.ceil(samples.size / hop))
    hop_power = np.zeros(n_hops + span, dtype=np.float64)
    block = hop * 65_536
    for start in range(0, samples.size, block):
        chunk = samples[start : start + block]
        padded = np.pad(chunk, (0, (-chunk.size) % hop))
        sums = np.square(padded.reshape(-1, hop), dtype=np.float32).sum(axis=1, dtype=np.float64)
        first = start // hop + span // 2
        hop_power[first : first + sums.size] = sums
    window = np.convolve(hop_power, np.ones(span), mode="valid")[:n_hops] / (span * hop)
    return (10.0 * np.log10(window + 1e-12)).astype(np.float32)
