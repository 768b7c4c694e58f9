"""Long test recordings for segmentation: synthesized spoken queries separated by pauses.

Shared by the segmentation tests and bench/bench_segment.py. The truth of each query is the
span of its synthesized samples above -40 dB relative to the query's peak, so boundary errors
are measured against where speech really is, not against the padding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from tests import factories
from voxcart.datasets.audio import resample
from voxcart.datasets.demo.synth import Voice, synthesize
from voxcart.datasets.store.project import Project

SR = 16_000
QUERIES = (
    "show me sony wireless earbuds under fifty dollars",
    "add two packs of double a batteries to my cart",
    "where is my order",
    "find a red dress in size medium",
    "cheapest coffee maker with a timer",
    "do you have the new iphone case in blue",
    "reorder dog food",
    "track package",
    "samsung sixty five inch television deals",
    "gluten free pasta",
    "kids rain boots size twelve",
    "compare air fryers under one hundred dollars",
)
VOICES = (
    Voice("en-us", "en-US", rate_wpm=170, pitch=40),
    Voice("en-us", "en-US", rate_wpm=185, pitch=75, variant="f2"),
)


@dataclass(frozen=True)
class Utterance:
    """Where one query's speech really is in a session."""

    start_s: float
    end_s: float
    speaker: int
    text: str


@dataclass(frozen=True)
class Session:
    """A synthesized long recording and its truth."""

    audio: np.ndarray
    utterances: tuple[Utterance, ...]

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.audio.size / SR


def speak(text: str, voice: Voice) -> tuple[np.ndarray, float, float]:
    """16 kHz samples of `text`, and the start/end (s) of speech above -40 dB of its peak."""
    samples, rate = synthesize(text, voice)
    audio = resample(samples, rate, SR)
    hop = SR // 100
    frames = audio[: audio.size // hop * hop].reshape(-1, hop)
    level = np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1) + 1e-12)
    active = np.flatnonzero(level >= level.max() * 10 ** (-40 / 20))
    return audio, active[0] * hop / SR, (active[-1] + 1) * hop / SR


def build_session(
    n_queries: int,
    seed: int = 0,
    voices: Sequence[Voice] = VOICES[:1],
    pause_s: tuple[float, float] = (1.0, 2.5),
    noise: np.ndarray | None = None,
    snr_db: float = 15.0,
    level: float = 0.3,
) -> Session:
    """Queries spoken in turn by `voices`, separated by random pauses, optionally over noise.

    Args:
        n_queries: how many queries (cycling through QUERIES).
        seed: draws the pauses and query order.
        voices: speakers, alternating query by query.
        pause_s: range of the silence between queries (and before the first one).
        noise: background noise (16 kHz mono), looped to the session's length.
        snr_db: speech-to-noise ratio (speech power over the speech spans).
        level: peak level of the speech.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(QUERIES))
    pieces: list[np.ndarray] = []
    truth: list[Utterance] = []
    cursor = 0
    for i in range(n_queries):
        gap = round(rng.uniform(*pause_s) * SR)
        pieces.append(np.zeros(gap, dtype=np.float32))
        cursor += gap
        text = QUERIES[int(order[i % len(order)])]
        audio, start, end = speak(text, voices[i % len(voices)])
        audio = audio / max(float(np.abs(audio).max()), 1e-9) * level
        pieces.append(audio.astype(np.float32))
        truth.append(Utterance(cursor / SR + start, cursor / SR + end, i % len(voices), text))
        cursor += audio.size
    tail = round(rng.uniform(*pause_s) * SR)
    pieces.append(np.zeros(tail, dtype=np.float32))
    mix = np.concatenate(pieces)
    if noise is not None and noise.size:
        looped = np.resize(np.asarray(noise, dtype=np.float32), mix.size)
        speech_power = np.mean(
            np.concatenate([mix[round(u.start_s * SR) : round(u.end_s * SR)] for u in truth]) ** 2
        )
        noise_power = max(float(np.mean(looped**2)), 1e-12)
        mix = mix + looped * np.sqrt(speech_power / noise_power / 10 ** (snr_db / 10))
    return Session(audio=mix.astype(np.float32), utterances=tuple(truth))


def pink_noise(seconds: float, seed: int = 0) -> np.ndarray:
    """Seeded pink (1/f) noise at 16 kHz, unit RMS."""
    rng = np.random.default_rng(seed)
    n = round(seconds * SR)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SR)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0
    signal = np.fft.irfft(spectrum, n)
    return (signal / np.sqrt(np.mean(signal**2))).astype(np.float32)


def boundary_errors(
    clips: Sequence[tuple[float, float]], utterances: Sequence[Utterance]
) -> list[tuple[float, float]]:
    """(start error, end error) in seconds of each utterance vs the clip whose speech best
    overlaps it; utterances with no overlapping clip are left out."""
    errors = []
    for utt in utterances:
        best = max(
            clips,
            key=lambda c: min(c[1], utt.end_s) - max(c[0], utt.start_s),
            default=None,
        )
        if best is None or min(best[1], utt.end_s) <= max(best[0], utt.start_s):
            continue
        errors.append((best[0] - utt.start_s, best[1] - utt.end_s))
    return errors


def add_recording(
    project: Project, path: Path, audio: np.ndarray, speaker: str | None = None
) -> int:
    """Store a long recording and its whole-file clip, as import does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio, SR, subtype="PCM_16")
    with project.session() as session:
        recording = factories.add_recording(
            session, path, duration_s=audio.size / SR, sample_rate=SR, subtype="PCM_16"
        )
        factories.add_clip(
            session, recording, f"{path.stem}-whole", speaker=speaker, session="sess-1"
        )
        return recording.id
