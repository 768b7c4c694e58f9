"""Reading and writing audio: probing headers, loading a span as 16 kHz mono, atomic WAV writes.

Decoding goes through libsndfile (soundfile), which reads WAV, FLAC, OGG/Vorbis, Opus and MP3
(libsndfile >= 1.1) among others; formats it cannot decode are refused with a reason naming them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from voxcart.datasets.atomic import atomic_path
from voxcart.datasets.errors import AudioError

TARGET_SR = 16000
"""Sample rate every model-facing load resamples to."""

# Suffixes of containers libsndfile does not decode, named so users learn why a file was refused.
UNSUPPORTED_SUFFIXES: dict[str, str] = {
    ".m4a": "M4A/AAC",
    ".aac": "AAC",
    ".mp4": "MP4",
    ".wma": "WMA",
    ".webm": "WebM",
    ".amr": "AMR",
    ".ape": "Monkey's Audio",
    ".wv": "WavPack",
}

# Suffixes treated as audio when walking a folder (decodable ones and the refused ones above).
AUDIO_SUFFIXES: frozenset[str] = frozenset(
    {
        ".wav",
        ".wave",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".mp3",
        ".aif",
        ".aiff",
        ".aifc",
        ".au",
        ".snd",
        ".caf",
        ".w64",
        ".rf64",
        ".sph",
        ".nist",
        *UNSUPPORTED_SUFFIXES,
    }
)

_DATA_CHUNK = re.compile(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)
# Streaming writers put a placeholder in the data size; a mismatch there is not truncation.
_UNKNOWN_LENGTHS = {0, 0xFFFFFFFF, 0x7FFFFFFF, 0xFFFFFFFF - 8}


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says about its audio."""

    path: Path
    format: str
    """libsndfile's container name, e.g. ``WAV``, ``FLAC``, ``OGG``, ``MP3``."""
    subtype: str
    """libsndfile's encoding name, e.g. ``PCM_16``, ``PCM_24``, ``FLOAT``, ``VORBIS``."""
    sample_rate: int
    channels: int
    num_frames: int
    duration_s: float
    size_bytes: int


def _open(path: Path) -> sf.SoundFile:
    """Open a file for reading, turning every failure into an AudioError with a reason."""
    if not path.exists():
        raise AudioError(f"{path}: file not found")
    if not path.is_file():
        raise AudioError(f"{path}: not a regular file")
    suffix = path.suffix.lower()
    if suffix in UNSUPPORTED_SUFFIXES:
        raise AudioError(
            f"{path}: {UNSUPPORTED_SUFFIXES[suffix]} audio is not supported by the installed "
            f"libsndfile {sf.__libsndfile_version__}; convert it to FLAC or WAV "
            "(e.g. `ffmpeg -i in.m4a out.flac`)"
        )
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: empty file (0 bytes)")
    try:
        return sf.SoundFile(path)
    except (sf.LibsndfileError, RuntimeError) as exc:
        detail = str(exc).split(": ", 1)[-1] if ": " in str(exc) else str(exc)
        raise AudioError(f"{path}: unreadable or unsupported audio ({detail})") from exc


def _truncation(handle: sf.SoundFile) -> str | None:
    """A reason when the header promises more audio data than the file holds."""
    match = _DATA_CHUNK.search(handle.extra_info)
    if match is None:
        return None
    declared, actual = int(match.group(1)), int(match.group(2))
    if declared in _UNKNOWN_LENGTHS or actual >= declared:
        return None
    return f"truncated: header declares {declared} bytes of audio, the file holds {actual}"


def _info(path: Path, handle: sf.SoundFile) -> AudioInfo:
    frames = max(0, int(handle.frames))
    rate = int(handle.samplerate)
    return AudioInfo(
        path=path,
        format=str(handle.format),
        subtype=str(handle.subtype),
        sample_rate=rate,
        channels=int(handle.channels),
        num_frames=frames,
        duration_s=frames / rate if rate > 0 else 0.0,
        size_bytes=path.stat().st_size,
    )


def probe(path: Path | str) -> AudioInfo:
    """Read a file's header (no decoding of the audio itself).

    Raises:
        AudioError: the file is missing, empty, truncated, of an unsupported format, or its
            header cannot be parsed.
    """
    target = Path(path)
    with _open(target) as handle:
        reason = _truncation(handle)
        if reason is not None:
            raise AudioError(f"{target}: {reason}")
        info = _info(target, handle)
    if info.sample_rate <= 0 or info.channels <= 0:
        raise AudioError(
            f"{target}: header reports sample_rate={info.sample_rate}, "
            f"channels={info.channels}; the file is corrupt"
        )
    return info


def open_audio(path: Path | str) -> tuple[AudioInfo, sf.SoundFile]:
    """Probe a file and return its info with the open handle, for block-wise reading.

    The caller owns the handle and must close it.

    Raises:
        AudioError: as :func:`probe`.
    """
    target = Path(path)
    handle = _open(target)
    reason = _truncation(handle)
    info = _info(target, handle)
    if reason is not None or info.sample_rate <= 0 or info.channels <= 0:
        handle.close()
        raise AudioError(f"{target}: {reason or 'header reports no sample rate or channels'}")
    return info, handle


def resample(audio: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Resample a mono float32 signal with soxr (high quality); a no-op when rates agree."""
    if sr_in == sr_out or audio.size == 0:
        return np.ascontiguousarray(audio, dtype=np.float32)
    import soxr

    return np.asarray(soxr.resample(audio, sr_in, sr_out, quality="HQ"), dtype=np.float32)


def load_audio(
    path: Path | str,
    offset_s: float = 0.0,
    duration_s: float | None = None,
    sr: int = TARGET_SR,
) -> np.ndarray:
    """Load a span of a file as float32 mono at `sr` Hz.

    Only the requested frames are read (the decoder seeks to the offset), so a short segment
    of a long recording costs a short read. Channels are averaged.

    Args:
        path: the audio file.
        offset_s: start of the span in seconds.
        duration_s: length of the span; None reads to the end.
        sr: output sample rate.

    Raises:
        AudioError: the file cannot be read, or the span is negative or starts past the end.
    """
    if offset_s < 0 or (duration_s is not None and duration_s < 0):
        raise AudioError(
            f"{path}: offset_s={offset_s} and duration_s={duration_s} must not be negative"
        )
    if sr <= 0:
        raise AudioError(f"sample rate sr={sr} must be positive")
    info, handle = open_audio(path)
    with handle:
        start = round(offset_s * info.sample_rate)
        if start > info.num_frames:
            raise AudioError(
                f"{path}: offset {offset_s:.3f} s is past the end ({info.duration_s:.3f} s)"
            )
        count = -1 if duration_s is None else round(duration_s * info.sample_rate)
        try:
            if start:
                handle.seek(start)
            data = handle.read(frames=count, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise AudioError(f"{path}: decoding failed ({exc})") from exc
    mono = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    return resample(mono, info.sample_rate, sr)


def write_wav(path: Path | str, audio: np.ndarray, sr: int) -> Path:
    """Write 16-bit PCM WAV atomically (temporary file in the same folder, then rename).

    Args:
        path: destination; parent folders are created.
        audio: float samples in [-1, 1], shape (frames,) or (frames, channels).
        sr: sample rate in Hz.

    Raises:
        AudioError: the sample rate is not positive or the array is not 1-D or 2-D.
    """
    target = Path(path)
    if sr <= 0:
        raise AudioError(f"write_wav: sample rate sr={sr} must be positive")
    data = np.asarray(audio)
    if data.ndim not in (1, 2):
        raise AudioError(f"write_wav: audio must be 1-D or 2-D, got shape {data.shape}")
    with atomic_path(target) as tmp:
        sf.write(tmp, np.clip(data, -1.0, 1.0), sr, subtype="PCM_16", format="WAV")
    return target
