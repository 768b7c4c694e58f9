"""What the editor plays and draws for a clip: 16 kHz PCM16 WAV bytes, waveform peaks, spectrogram.

Everything is computed from the clip's span of its recording, on the server, so that the
browser receives small ready-made payloads (a short WAV, a few hundred peak values, a PNG).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from voxcart.datasets.audio import load_audio

SAMPLE_RATE = 16_000
MAX_AUDIO_S = 60.0
"""Longest span sent to the browser; a longer clip is cut here (and says so)."""
PEAKS = 600
"""Waveform columns drawn by the editor."""
SPEC_BINS = 128
"""Frequency rows of the spectrogram image (0 to 8 kHz)."""
_FRAME = 400  # 25 ms at 16 kHz
_HOP = 160  # 10 ms
_DYNAMIC_RANGE_DB = 80.0


@dataclass(frozen=True)
class ClipMedia:
    """The browser payload of one clip.

    Attributes:
        wav: 16 kHz mono 16-bit PCM WAV file bytes.
        duration_s: seconds of audio in `wav`.
        peaks: per-column peak amplitude in [0, 1], left to right.
        spectrogram_png: a PNG image, time left to right, low frequencies at the bottom.
        truncated: the clip was longer than :data:`MAX_AUDIO_S` and was cut.
    """

    wav: bytes
    duration_s: float
    peaks: tuple[float, ...]
    spectrogram_png: bytes
    truncated: bool


def wav_bytes(audio: np.ndarray, sr: int = SAMPLE_RATE) -> bytes:
    """Encode mono float audio in [-1, 1] as 16-bit PCM WAV bytes."""
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(audio, -1.0, 1.0), sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def peaks(audio: np.ndarray, columns: int = PEAKS) -> tuple[float, ...]:
    """Peak absolute amplitude of `columns` equal slices of `audio` (fewer for short audio)."""
    if audio.size == 0:
        return ()
    count = max(1, min(columns, audio.size))
    edges = np.linspace(0, audio.size, count + 1).astype(int)
    magnitude = np.abs(audio)
    values = np.maximum.reduceat(magnitude, edges[:-1])
    return tuple(round(float(min(v, 1.0)), 3) for v in values)


def spectrogram(audio: np.ndarray) -> np.ndarray:
    """Log-power spectrogram in dB relative to its maximum, shape (SPEC_BINS, frames)."""
    padded = np.pad(audio.astype(np.float32), (0, max(0, _FRAME - audio.size)))
    frames = 1 + (padded.size - _FRAME) // _HOP
    index = np.arange(_FRAME)[None, :] + _HOP * np.arange(frames)[:, None]
    windowed = padded[index] * np.hanning(_FRAME).astype(np.float32)
    power = np.abs(np.fft.rfft(windowed, axis=1)) ** 2  # (frames, FRAME/2 + 1)
    # Average neighbouring FFT bins down to SPEC_BINS rows.
    edges = np.linspace(0, power.shape[1], SPEC_BINS + 1).astype(int)
    rows = np.add.reduceat(power, edges[:-1], axis=1) / np.diff(edges)[None, :]
    db = 10.0 * np.log10(np.maximum(rows, 1e-12))
    db = np.maximum(db - db.max(), -_DYNAMIC_RANGE_DB)
    return np.asarray(db.T[::-1], dtype=np.float32)


def spectrogram_png(audio: np.ndarray) -> bytes:
    """The spectrogram of `audio` as a PNG (magma colour map), one pixel per frame and bin."""
    from matplotlib import colormaps
    from matplotlib.image import imsave

    image = spectrogram(audio)
    buffer = io.BytesIO()
    imsave(
        buffer,
        image,
        cmap=colormaps["magma"],
        vmin=-_DYNAMIC_RANGE_DB,
        vmax=0.0,
        format="png",
    )
    return buffer.getvalue()


def clip_media(path: Path | str, offset_s: float, duration_s: float) -> ClipMedia:
    """Load a clip's span at 16 kHz mono and build its browser payload.

    Raises:
        AudioError: the recording cannot be read or the span lies outside it.
    """
    span = min(duration_s, MAX_AUDIO_S)
    audio = load_audio(path, offset_s=offset_s, duration_s=span, sr=SAMPLE_RATE)
    return ClipMedia(
        wav=wav_bytes(audio),
        duration_s=audio.size / SAMPLE_RATE,
        peaks=peaks(audio),
        spectrogram_png=spectrogram_png(audio),
        truncated=duration_s > MAX_AUDIO_S,
    )
