"""Energy-threshold voice-activity detection: the no-model baseline and fallback.

A frame is speech when its level stands far enough above the recording's own noise floor
(estimated as a low percentile of frame levels), with hysteresis so that a word's quiet tail
does not end it. No torch needed; fooled by loud non-speech noise, which is why the bench
compares it with silero-vad.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voxcart.datasets.errors import SegmentationError
from voxcart.datasets.segment.activity import (
    SAMPLE_RATE,
    SpeechActivity,
    SpeechRegion,
    frame_energy_db,
)

_HOP_S = 0.01


@dataclass(frozen=True)
class EnergyVad:
    """Energy-threshold detector.

    Attributes:
        margin_db: speech starts this far above the noise floor (and ends 3 dB lower).
        floor_percentile: percentile of frame levels taken as the noise floor.
        min_level_db: frames below this absolute level (dBFS) are never speech.
        min_speech_s: shorter bursts are ignored.
        min_silence_s: shorter dips do not end speech.
    """

    margin_db: float = 12.0
    floor_percentile: float = 10.0
    min_level_db: float = -55.0
    min_speech_s: float = 0.1
    min_silence_s: float = 0.1
    name: str = "energy"

    def detect(self, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> SpeechActivity:
        """Speech regions of mono float audio.

        Raises:
            SegmentationError: `sample_rate` is not positive.
        """
        if sample_rate <= 0:
            raise SegmentationError(f"sample_rate={sample_rate} must be positive")
        levels = frame_energy_db(audio, sample_rate)
        floor = float(np.percentile(levels, self.floor_percentile)) if levels.size else -120.0
        onset = max(floor + self.margin_db, self.min_level_db)
        offset = max(onset - 3.0, self.min_level_db)
        regions = _hysteresis(levels, onset, offset)
        regions = _fill_gaps(regions, round(self.min_silence_s / _HOP_S))
        min_frames = round(self.min_speech_s / _HOP_S)
        speech = tuple(
            SpeechRegion(round(a * _HOP_S, 3), round(b * _HOP_S, 3))
            for a, b in regions
            if b - a >= min_frames
        )
        params = {
            "margin_db": self.margin_db,
            "floor_percentile": self.floor_percentile,
            "min_level_db": self.min_level_db,
            "noise_floor_db": round(floor, 1),
        }
        return SpeechActivity(speech=speech, backend=self.name, params=params)


def _hysteresis(levels: np.ndarray, onset: float, offset: float) -> list[tuple[int, int]]:
    regions: list[tuple[int, int]] = []
    start: int | None = None
    for i, level in enumerate(levels.tolist()):
        if start is None and level >= onset:
            start = i
        elif start is not None and level < offset:
            regions.append((start, i))
            start = None
    if start is not None:
        regions.append((start, len(levels)))
    return regions


def _fill_gaps(regions: list[tuple[int, int]], min_gap: int) -> list[tuple[int, int]]:
    filled: list[tuple[int, int]] = []
    for start, end in regions:
        if filled and start - filled[-1][1] < min_gap:
            filled[-1] = (filled[-1][0], end)
        else:
            filled.append((start, end))
    return filled
