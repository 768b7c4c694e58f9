"""The built-in banks, generated on first use and cached: coloured noise, engine-like rumble,
babble mixed from synthesized voices, and impulse responses of simulated rooms.

Everything is seeded, so two machines generate the same banks (babble needs the espeak-ng
synthesizer of :mod:`voxcart.datasets.demo.synth`; without it the noise bank holds coloured noise
and rumble only, and says so in its notes).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from voxcart.augment.banks import (
    BANK_FORMAT,
    BANK_SR,
    MAX_RIR_SECONDS,
    Bank,
    BankEntry,
    estimate_rt60,
    write_bank,
)
from voxcart.augment.errors import BankError
from voxcart.datasets.errors import VoxcartError, VoxcartWarning

NOISE_COLORS: dict[str, float] = {"white": 0.0, "pink": -0.5, "brown": -1.0, "blue": 0.5}
"""Amplitude-spectrum exponent of each noise colour (power goes as f to twice this)."""
BABBLE_TRACKS = 4
BABBLE_SPEAKERS = (4, 7)
RUMBLE_TRACKS = 4
RT60_RANGE_S = (0.15, 0.9)

# Shopping-style sentences for babble; intelligibility does not matter once 4+ voices overlap.
BABBLE_SENTENCES = (
    "do you have these shoes in a size nine",
    "where can I find the paper towels",
    "that one is on sale for twelve ninety nine",
    "can you check if it comes in blue",
    "I am looking for a charger for my phone",
    "the checkout line is over there on the left",
    "we need milk eggs and some bread",
    "is this the last one you have in stock",
    "let me know when the order is ready",
    "how much is the bigger bottle",
    "try the store brand it is cheaper",
    "my card did not go through can you try again",
)
_VARIANTS = (None, "m1", "m2", "m3", "m4", "f1", "f2", "f3", "f4")


def _colored(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / BANK_SR)
    freqs[0] = freqs[1] if n > 1 else 1.0
    shaped = np.fft.irfft(spectrum * (freqs / 1000.0) ** exponent, n)
    return _normalized(shaped)


def _normalized(signal: np.ndarray, rms: float = 0.1) -> np.ndarray:
    level = float(np.sqrt(np.mean(np.square(signal)))) if signal.size else 0.0
    out = signal * (rms / level) if level > 0 else signal
    return np.asarray(out, dtype=np.float32)


def _lowpass(signal: np.ndarray, cutoff_hz: float, order: int = 4) -> np.ndarray:
    from scipy.signal import butter, sosfilt

    sos = butter(order, cutoff_hz, btype="lowpass", fs=BANK_SR, output="sos")
    return np.asarray(sosfilt(sos, signal))


def _rumble(rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict[str, Any]]:
    """Engine-like noise: a wobbling firing frequency with harmonics, over low road noise."""
    t = np.arange(n) / BANK_SR
    f0 = float(rng.uniform(25.0, 60.0))
    wobble = 1.0 + 0.04 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t + rng.uniform(0, 6.28))
    phase = 2 * np.pi * np.cumsum(f0 * wobble) / BANK_SR
    engine = sum(
        rng.uniform(0.3, 1.0) / k * np.sin(k * phase + rng.uniform(0, 6.28)) for k in range(1, 13)
    )
    road = _lowpass(_colored(rng, n, -1.0), 250.0)
    mix = _lowpass(_normalized(np.asarray(engine)) + 0.8 * _normalized(road), 1000.0)
    return _normalized(mix), {"f0_hz": round(f0, 2), "lowpass_hz": 1000.0}


def _speech_shaped(rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict[str, Any]]:
    """Stand-in for babble: pink noise, band-limited to speech and modulated at syllable rate."""
    from scipy.signal import butter, sosfilt

    t = np.arange(n) / BANK_SR
    envelope = 1.0 + 0.6 * np.sin(2 * np.pi * rng.uniform(3.0, 5.0) * t + rng.uniform(0, 6.28))
    sos = butter(4, [150.0, 4000.0], btype="bandpass", fs=BANK_SR, output="sos")
    shaped = sosfilt(sos, _colored(rng, n, -0.5)) * envelope
    return _normalized(shaped), {"substitute": "speech-shaped noise (no speech synthesis)"}


def _babble_tracks(rng: np.random.Generator, n: int) -> list[tuple[np.ndarray, dict[str, Any]]]:
    """Babble tracks, each several synthesized voices talking over one another."""
    from voxcart.datasets.audio import resample
    from voxcart.datasets.demo.synth import Voice, available_voices, synthesize

    voices = available_voices("en")
    if not voices:
        raise BankError("espeak-ng has no English voice")
    tracks = []
    for _ in range(BABBLE_TRACKS):
        speakers = int(rng.integers(BABBLE_SPEAKERS[0], BABBLE_SPEAKERS[1] + 1))
        mix = np.zeros(n)
        for _speaker in range(speakers):
            voice = Voice(
                name=str(rng.choice(voices)),
                language="en-US",
                rate_wpm=int(rng.integers(140, 210)),
                pitch=int(rng.integers(25, 75)),
                variant=_VARIANTS[int(rng.integers(len(_VARIANTS)))],
            )
            stream = np.zeros(0, dtype=np.float32)
            start = int(rng.integers(0, BANK_SR))
            while stream.size < n + start:
                sentence = BABBLE_SENTENCES[int(rng.integers(len(BABBLE_SENTENCES)))]
                audio, rate = synthesize(sentence, voice)
                pause = np.zeros(int(rng.uniform(0.05, 0.4) * BANK_SR), dtype=np.float32)
                stream = np.concatenate([stream, resample(audio, rate, BANK_SR), pause])
            mix += _normalized(stream[start : start + n])
        tracks.append((_normalized(mix), {"speakers": speakers}))
    return tracks


def default_noise_bank(cache_root: Path, seconds: float = 8.0, seed: int = 0) -> Bank:
    """The default noise bank: coloured noise, rumble and (when synthesis works) babble.

    Raises:
        BankError: the cache cannot be written.
    """
    n = max(BANK_SR // 10, round(seconds * BANK_SR))
    babble: list[tuple[np.ndarray, dict[str, Any]]] = []
    notes: list[str] = []
    try:
        babble = _babble_tracks(np.random.default_rng([seed, 2]), n)
    except (ImportError, VoxcartError, OSError) as exc:
        note = f"no babble: speech synthesis is unavailable ({exc}); coloured noise stands in"
        notes.append(note)
        warnings.warn(note, VoxcartWarning, stacklevel=2)
    variant = "babble" if babble else "nobabble"
    root = cache_root / f"default-noise-v{BANK_FORMAT}-s{seed}-{n}-{variant}"
    if (root / "manifest.json").is_file():
        return Bank.open(root)
    rng = np.random.default_rng([seed, 1])
    entries: list[BankEntry] = []
    for color, exponent in NOISE_COLORS.items():
        for copy in range(2):
            entries.append(
                BankEntry(
                    f"noise:{color}-{seed}-{copy}",
                    f"{color}-{copy}",
                    "color",
                    _colored(rng, n, exponent),
                    {"color": color, "exponent": exponent},
                )
            )
    rumble_rng = np.random.default_rng([seed, 3])
    for copy in range(RUMBLE_TRACKS):
        audio, meta = _rumble(rumble_rng, n)
        entries.append(
            BankEntry(f"noise:rumble-{seed}-{copy}", f"rumble-{copy}", "rumble", audio, meta)
        )
    for copy, (audio, meta) in enumerate(babble):
        entries.append(
            BankEntry(f"noise:babble-{seed}-{copy}", f"babble-{copy}", "babble", audio, meta)
        )
    if not babble:
        substitute_rng = np.random.default_rng([seed, 5])
        for copy in range(BABBLE_TRACKS):
            audio, meta = _speech_shaped(substitute_rng, n)
            entries.append(
                BankEntry(
                    f"noise:babble-substitute-{seed}-{copy}",
                    f"babble-substitute-{copy}",
                    "babble",
                    audio,
                    meta,
                )
            )
    return write_bank(root, "noise", "default", entries, notes=notes)


def _simulate_room(
    rng: np.random.Generator, target_rt60: float
) -> tuple[np.ndarray, dict[str, Any]]:
    import pyroomacoustics as pra

    for _attempt in range(20):
        dims = np.array([rng.uniform(3, 12), rng.uniform(3, 10), rng.uniform(2.4, 4.0)])
        try:
            absorption, max_order = pra.inverse_sabine(target_rt60, dims)
        except ValueError:
            continue  # this room is too large for so short a reverberation: draw another
        margin = 0.5
        source = [rng.uniform(margin, d - margin) for d in dims[:2]] + [rng.uniform(1.2, 1.8)]
        mic = [rng.uniform(margin, d - margin) for d in dims[:2]] + [rng.uniform(0.8, 1.6)]
        distance = float(np.linalg.norm(np.subtract(source, mic)))
        if distance < 1.0:
            continue
        room = pra.ShoeBox(
            dims,
            fs=BANK_SR,
            materials=pra.Material(float(absorption)),
            max_order=min(int(max_order), 30),
            use_rand_ism=True,
            max_rand_disp=0.05,
        )
        room.add_source(source)
        room.add_microphone(mic)
        room.compute_rir()
        rir = np.asarray(room.rir[0][0], dtype=np.float64)
        rir = rir[int(np.argmax(np.abs(rir))) :][: int(MAX_RIR_SECONDS * BANK_SR)]
        rt60 = estimate_rt60(rir)
        meta = {
            "room_dim_m": [round(float(d), 2) for d in dims],
            "absorption": round(float(absorption), 4),
            "distance_m": round(distance, 2),
            "target_rt60_s": round(target_rt60, 3),
            "rt60_s": round(rt60 if rt60 is not None else target_rt60, 3),
        }
        return np.asarray(rir / np.max(np.abs(rir)), dtype=np.float32), meta
    raise BankError(f"could not simulate a room with RT60 {target_rt60:.2f} s")


def default_rir_bank(cache_root: Path, rooms: int = 24, seed: int = 0) -> Bank:
    """Impulse responses of `rooms` simulated shoebox rooms, RT60 spread over 0.15-0.9 s.

    Rooms vary in size (3-12 m by 3-10 m by 2.4-4 m), wall absorption and source-microphone
    distance; each item records its room size, absorption and measured RT60.

    Raises:
        BankError: pyroomacoustics is not installed, `rooms` < 1, or the cache cannot be written.
    """
    if rooms < 1:
        raise BankError(f"rooms={rooms} must be at least 1")
    root = cache_root / f"default-rir-v{BANK_FORMAT}-s{seed}-{rooms}"
    if (root / "manifest.json").is_file():
        return Bank.open(root)
    try:
        import pyroomacoustics  # noqa: F401
    except ImportError as exc:
        raise BankError(
            "simulated rooms need pyroomacoustics (`pip install pyroomacoustics`), or pass a "
            "folder of impulse responses (--rir-bank DIR)"
        ) from exc
    rng = np.random.default_rng([seed, 4])
    targets = np.linspace(*RT60_RANGE_S, rooms) if rooms > 1 else np.array([0.5])
    entries = []
    for index, target in enumerate(targets):
        rir, meta = _simulate_room(rng, float(target))
        entries.append(
            BankEntry(f"rir:room-{seed}-{index:03d}", f"room-{index:03d}", "room", rir, meta)
        )
    return write_bank(root, "rir", "default", entries)
