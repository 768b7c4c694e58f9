"""Speak the held-out queries with voices the demo does not use, some in real noise and rooms.

Voices are espeak-ng voices (``voxcart.datasets.demo.synth``) with variants, speaking rates and
pitches outside the demo's (``voxcart.datasets.demo.build.make_speakers`` draws variants
f1-f5, m1-m7 or none, rates 130-200 wpm and pitches 30-70). A share of the clips is convolved
with a REAL room impulse response and mixed with a REAL background noise from
``../shared/data`` (``rir/`` and ``noise/``) at 5-20 dB SNR; without that folder every clip
stays clean and the manifest says so. Each clip's WAV is named by a digest of everything that
makes it, so a rerun synthesizes only what changed.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.signal import fftconvolve

from voxcart.datasets.audio import load_audio, resample, write_wav
from voxcart.datasets.demo.synth import Voice, available_voices, synthesize

from .queries import HeldoutQuery

SR = 16_000
SNR_RANGE_DB = (5, 20)
RIR_MAX_S = 1.0
_RENDER_VERSION = 2
# Variants, rates and pitches that make_speakers (the demo) never draws.
VARIANTS: tuple[str, ...] = (
    "m8", "klatt", "klatt3", "Andy", "Annie", "Denis", "Gene", "Jacky", "Lee", "Michael",
    "adam", "anika", "aunty", "belinda", "benjamin", "caleb", "david", "edward", "linda",
    "max", "paul", "quincy", "rob", "robert", "steph", "travis", "victor", "zac",
)  # fmt: skip
RATE_BANDS: tuple[tuple[int, int], ...] = ((116, 129), (201, 212))
PITCH_BANDS: tuple[tuple[int, int], ...] = ((20, 29), (71, 80))
_BASES: tuple[tuple[str, str], ...] = (
    ("en-us", "en-US"), ("en-gb-x-rp", "en-GB"), ("en", "en-GB"), ("en-029", "en-029"),
    ("en-gb-scotland", "en-GB"), ("en-us-nyc", "en-US"), ("en-gb-x-gbclan", "en-GB"),
    ("en-gb-x-gbcwmd", "en-GB"),
)  # fmt: skip
MANIFEST_COLUMNS: tuple[str, ...] = (
    "path", "id", "speaker", "condition", "transcript", "target_sku", "phrasing", "snr_db",
    "noise", "rir",
)  # fmt: skip


@dataclass(frozen=True)
class BenchVoice:
    """A held-out speaker: an id, an espeak-ng voice and a gain."""

    id: str
    voice: Voice
    gain_db: float


@dataclass(frozen=True)
class ClipRow:
    """One rendered clip as the manifest lists it (path relative to the manifest's folder)."""

    path: str
    id: str
    speaker: str
    condition: str
    transcript: str
    target_sku: str
    phrasing: str
    snr_db: str
    noise: str
    rir: str


def make_voices(count: int, seed: int = 0) -> list[BenchVoice]:
    """`count` distinct voices (1-40) from the installed English voices, drawn with `seed`.

    Raises:
        ValueError: `count` is out of range or espeak-ng has no English voice.
    """
    if not 1 <= count <= 40:
        raise ValueError(f"count={count} voices: use 1 to 40")
    installed = set(available_voices("en"))
    bases = [b for b in _BASES if b[0] in installed]
    if not bases:
        raise ValueError("espeak-ng has no English voice; reinstall espeakng-loader")
    rng = np.random.default_rng([seed, 21])
    variants = [VARIANTS[int(i)] for i in rng.permutation(len(VARIANTS))[:count]]
    out = []
    for number, variant in enumerate(variants, start=1):
        name, language = bases[int(rng.integers(len(bases)))]
        rate = RATE_BANDS[number % 2]
        pitch = PITCH_BANDS[int(rng.integers(2))]
        voice = Voice(
            name=name,
            language=language,
            rate_wpm=int(rng.integers(rate[0], rate[1] + 1)),
            pitch=int(rng.integers(pitch[0], pitch[1] + 1)),
            variant=variant,
            pitch_range=int(rng.integers(30, 81)),
        )
        out.append(
            BenchVoice(f"hv{number:02d}-{name}-{variant}", voice, float(rng.uniform(-8, -1)))
        )
    return out


def _wavs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.wav") if p.is_file()) if folder.is_dir() else []


def _room(dry: np.ndarray, rir: np.ndarray) -> np.ndarray:
    start = int(np.argmax(np.abs(rir)))
    kernel = rir[max(0, start - 16) : start + int(RIR_MAX_S * SR)]
    kernel = kernel / (np.sqrt(np.sum(kernel**2)) or 1.0)
    wet = fftconvolve(dry, kernel)[: dry.size + int(0.3 * SR)]
    scale = np.sqrt(np.mean(dry**2) / (np.mean(wet**2) or 1.0))
    return (wet * scale).astype(np.float32)


def _mix(
    speech: np.ndarray, noise: np.ndarray, snr_db: float, rng: np.random.Generator
) -> np.ndarray:
    reps = int(np.ceil(speech.size / max(noise.size, 1))) + 1
    long = np.tile(noise, reps)
    start = int(rng.integers(0, max(1, long.size - speech.size)))
    piece = long[start : start + speech.size]
    power = np.mean(speech**2) / (np.mean(piece**2) or 1.0)
    return speech + piece * np.sqrt(power / 10 ** (snr_db / 10))


def render(
    queries: list[HeldoutQuery],
    voices: list[BenchVoice],
    folder: Path,
    *,
    seed: int = 0,
    noisy_share: float = 0.3,
    real_data: Path | None = None,
) -> Path:
    """Synthesize every query into `folder` and write ``folder/manifest.csv``.

    Queries go to voices in turn (a permutation drawn with `seed`); ``round(noisy_share * n)``
    clips, drawn with `seed`, get a real room and real noise when ``real_data`` holds
    ``noise/`` and ``rir/`` WAVs. Existing WAVs with the same digest are reused.

    Returns:
        The manifest path (columns :data:`MANIFEST_COLUMNS`; `condition` is clean or noisy).

    Raises:
        ValueError: `noisy_share` is outside [0, 1] or there are no voices.
    """
    if not 0.0 <= noisy_share <= 1.0:
        raise ValueError(f"noisy_share={noisy_share} must be between 0 and 1")
    if not voices:
        raise ValueError("voices is empty; make some with make_voices()")
    noises = _wavs(real_data / "noise") if real_data else []
    rirs = _wavs(real_data / "rir") if real_data else []
    real = bool(noises and rirs)
    n = len(queries)
    noisy = set(np.random.default_rng([seed, 31]).permutation(n)[: round(noisy_share * n)].tolist())
    owner = np.random.default_rng([seed, 32]).permutation(len(voices))
    folder.mkdir(parents=True, exist_ok=True)
    bank: dict[Path, np.ndarray] = {}
    rows = []
    for i, query in enumerate(queries):
        rng = np.random.default_rng([seed, 33, i])
        speaker = voices[int(owner[i % len(voices)])]
        lead, tail = float(rng.uniform(0.15, 0.5)), float(rng.uniform(0.15, 0.5))
        noise = rir = None
        snr = 0
        if real and i in noisy:
            noise = noises[int(rng.integers(len(noises)))]
            rir = rirs[int(rng.integers(len(rirs)))]
            snr = int(rng.integers(SNR_RANGE_DB[0], SNR_RANGE_DB[1] + 1))
        key = repr(
            (
                _RENDER_VERSION,
                query.text,
                speaker,
                lead,
                tail,
                noise and noise.name,
                rir and rir.name,
                snr,
                seed,
                i,
            )
        )
        name = hashlib.sha256(key.encode()).hexdigest()[:16] + ".wav"
        target = folder / name
        if not target.is_file():
            samples, rate = synthesize(query.text, speaker.voice)
            dry = resample(samples, rate, SR) * 10 ** (speaker.gain_db / 20)
            audio = np.concatenate([np.zeros(int(lead * SR)), dry, np.zeros(int(tail * SR))])
            if noise is not None and rir is not None:
                for path in (noise, rir):
                    if path not in bank:
                        bank[path] = load_audio(path, sr=SR)
                audio = _mix(_room(audio, bank[rir]), bank[noise], snr, rng)
            peak = float(np.max(np.abs(audio))) or 1.0
            write_wav(target, (audio * min(1.0, 0.9 / peak)).astype(np.float32), SR)
        rows.append(
            ClipRow(
                name,
                query.id,
                speaker.id,
                "noisy" if noise else "clean",
                query.text,
                query.target_sku,
                query.phrasing,
                str(snr) if noise else "",
                noise.name if noise else "",
                rir.name if rir else "",
            )
        )
    manifest = folder / "manifest.csv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MANIFEST_COLUMNS)
        for row in rows:
            writer.writerow([getattr(row, c) for c in MANIFEST_COLUMNS])
    return manifest


def read_manifest(path: Path) -> list[ClipRow]:
    """The rows of a manifest written by :func:`render`."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [ClipRow(**{c: r[c] for c in MANIFEST_COLUMNS}) for r in csv.DictReader(handle)]
