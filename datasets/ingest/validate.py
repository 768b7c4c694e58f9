"""Per-file import checks: one streaming pass for the content hash and level statistics, then
span checks (length, silence, clipping) against the project's ValidationConfig.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import soundfile as sf

from voxcart.datasets.audio import AudioInfo, open_audio
from voxcart.datasets.errors import AudioError
from voxcart.datasets.store.config import ValidationConfig

HASH_VERSION = b"voxcart-pcm16-v1"
"""Prefix of the content hash; bump it if the quantization ever changes."""
DURATION_TOLERANCE_S = 0.1
"""A manifest duration this close to the file's length means the whole file (rounding, MP3)."""
_INT16_MAX = 32767
_INT16_MIN = -32768
MIN_SAMPLE_RATE = 4_000
"""Lowest sample rate accepted (below it no speech band survives; 1 Hz is a broken header)."""
MAX_SAMPLE_RATE = 384_000
MAX_CHANNELS = 32
GARBAGE_PEAK = 64.0
"""A float file peaking over this (+36 dBFS) holds no audio: its header mislabels the data."""


class AudioRejectedError(AudioError):
    """A file decodes but is not usable audio (non-finite samples, absurd rate, garbage)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Problem:
    """Why an item was rejected: a short code for grouping and a sentence for people."""

    code: str
    reason: str


@dataclass(frozen=True)
class AudioScan:
    """The result of one decoding pass over a whole file.

    `second_sumsq` and `second_clipped` hold the energy and the number of full-scale samples in
    each second of audio, so that segments can be checked without decoding the file again.
    """

    info: AudioInfo
    content_hash: str
    rms_dbfs: float
    peak: float
    clipped_fraction: float
    second_sumsq: tuple[float, ...]
    second_clipped: tuple[int, ...]
    second_mix_sumsq: tuple[float, ...] = ()
    """Energy of the channels' average per second (what mono loading hears); stereo only."""

    @property
    def stats(self) -> dict[str, float]:
        """Level statistics as JSON-friendly numbers (for Recording.info)."""
        rms = self.rms_dbfs if math.isfinite(self.rms_dbfs) else -200.0
        return {
            "rms_dbfs": round(rms, 2),
            "peak": round(self.peak, 5),
            "clipped_fraction": round(self.clipped_fraction, 6),
        }


@dataclass(frozen=True)
class SpanCheck:
    """A span of a scanned file after the checks: its bounds, levels, tags, or the problem."""

    offset_s: float
    duration_s: float
    whole_file: bool
    rms_dbfs: float
    clipped_fraction: float
    tags: tuple[str, ...]
    problem: Problem | None


def check_size(path: Path, config: ValidationConfig) -> Problem | None:
    """Refuse a file that is too large before decoding any of it."""
    size = path.stat().st_size
    if size > config.max_file_bytes:
        return Problem(
            "too_large",
            f"file is {size / 1024**2:.1f} MiB, over validation.max_file_bytes="
            f"{config.max_file_bytes}; raise the limit or split the recording",
        )
    return None


def _dbfs(sumsq: float, count: float) -> float:
    ratio = sumsq / count if count > 0 else 0.0
    if not ratio > 0 or not math.isfinite(ratio):
        return -math.inf
    return 10.0 * math.log10(ratio)


def scan_file(path: Path | str) -> AudioScan:
    """Decode a file once, block by block (one second each), hashing and measuring it.

    The content hash is sha256 over the samples quantized to 16-bit plus the sample rate and
    channel count, so a lossless re-encoding (WAV to FLAC, a renamed copy) hashes the same.
    Memory stays flat whatever the file's length.

    Raises:
        AudioError: the file cannot be opened, fails to decode part-way, or holds fewer frames
            than its header declares (truncated).
    """
    info, handle = open_audio(path)
    problem = _header_problem(info)
    if problem is not None:
        handle.close()
        raise AudioRejectedError(problem.reason, problem.code)
    digest = hashlib.sha256(HASH_VERSION)
    digest.update(f"|{info.sample_rate}|{info.channels}|".encode())
    sumsq_per_second: list[float] = []
    clipped_per_second: list[int] = []
    mix_per_second: list[float] = []
    frames = 0
    peak = 0.0
    with handle:
        try:
            while True:
                block = handle.read(info.sample_rate, dtype="float32", always_2d=True)
                if not block.shape[0]:
                    break
                _check_finite(info, block, frames)
                if info.channels > 1:
                    mix = block.mean(axis=1, dtype=np.float64)
                    mix_per_second.append(float(np.square(mix).sum()))
                quantized = np.clip(np.rint(block * 32768.0), _INT16_MIN, _INT16_MAX).astype("<i2")
                digest.update(quantized.tobytes())
                sumsq_per_second.append(float(np.square(block, dtype=np.float64).sum()))
                clipped_per_second.append(
                    int(np.count_nonzero((quantized >= _INT16_MAX) | (quantized <= _INT16_MIN)))
                )
                if block.size:
                    peak = max(peak, float(np.abs(block).max()))
                frames += block.shape[0]
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise AudioError(
                f"{info.path}: corrupt audio, decoding failed after {frames} frames ({exc})"
            ) from exc
    # Compressed formats may estimate their length; only a clear shortfall is truncation.
    if frames < info.num_frames * 0.99 - 1:
        raise AudioError(
            f"{info.path}: truncated: header declares {info.num_frames} frames, "
            f"only {frames} decode"
        )
    if frames != info.num_frames:
        info = replace(info, num_frames=frames, duration_s=frames / info.sample_rate)
    samples = frames * info.channels
    total_sumsq = math.fsum(sumsq_per_second)
    total_clipped = sum(clipped_per_second)
    if info.subtype in ("FLOAT", "DOUBLE") and peak > GARBAGE_PEAK:
        raise AudioRejectedError(
            f"garbage: {info.subtype} samples reach {peak:.3g} (full scale is 1.0); the header "
            "does not describe the data, re-encode the file from its source",
            "garbage",
        )
    return AudioScan(
        info=info,
        content_hash=digest.hexdigest(),
        rms_dbfs=_dbfs(total_sumsq, samples),
        peak=peak,
        clipped_fraction=total_clipped / samples if samples else 0.0,
        second_sumsq=tuple(sumsq_per_second),
        second_clipped=tuple(clipped_per_second),
        second_mix_sumsq=tuple(mix_per_second),
    )


def _header_problem(info: AudioInfo) -> Problem | None:
    """Rates and channel counts no recording has: a corrupt or hand-crafted header."""
    if not MIN_SAMPLE_RATE <= info.sample_rate <= MAX_SAMPLE_RATE:
        return Problem(
            "bad_rate",
            f"sample rate {info.sample_rate} Hz is outside {MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE} "
            "Hz; the header is corrupt or the file is not speech audio",
        )
    if info.channels > MAX_CHANNELS:
        return Problem(
            "bad_rate",
            f"{info.channels} channels is over the {MAX_CHANNELS} allowed; the header is corrupt",
        )
    return None


def _check_finite(info: AudioInfo, block: np.ndarray, start_frame: int) -> None:
    """Raise AudioRejectedError at the first NaN or infinite sample (float files only hold them)."""
    finite = np.isfinite(block)
    if finite.all():
        return
    bad_rows = np.flatnonzero(~finite.all(axis=1))
    kinds = sorted({"NaN" if np.isnan(v) else "Inf" for v in block[~finite][:1000]})
    at = (start_frame + int(bad_rows[0])) / info.sample_rate
    raise AudioRejectedError(
        f"non-finite samples ({'/'.join(kinds)}) from {at:.3f} s; the file is corrupt or was "
        "written from a failed computation, re-create it",
        "non_finite",
    )


def _span_levels(scan: AudioScan, offset_s: float, duration_s: float) -> tuple[float, float, float]:
    """RMS dBFS, clipped fraction and mono-mix RMS dBFS of a span, from the per-second profile.

    Edge seconds are weighted by their overlap with the span, which assumes energy is spread
    evenly within a second: exact for whole seconds, close enough for threshold checks.
    """
    end = offset_s + duration_s
    sumsq = 0.0
    clipped = 0.0
    mix = 0.0
    has_mix = bool(scan.second_mix_sumsq)
    for index in range(int(offset_s), min(math.ceil(end), len(scan.second_sumsq))):
        overlap = min(end, index + 1) - max(offset_s, index)
        if overlap <= 0:
            continue
        sumsq += scan.second_sumsq[index] * overlap
        clipped += scan.second_clipped[index] * overlap
        if has_mix:
            mix += scan.second_mix_sumsq[index] * overlap
    frames = duration_s * scan.info.sample_rate
    samples = frames * scan.info.channels
    rms = _dbfs(sumsq, samples)
    return rms, (clipped / samples if samples else 0.0), (_dbfs(mix, frames) if has_mix else rms)


def check_span(
    scan: AudioScan,
    offset_s: float,
    duration_s: float | None,
    config: ValidationConfig,
) -> SpanCheck:
    """Fix a span's bounds against the file and apply the length, silence and clipping checks.

    A span at offset 0 whose duration matches the file's (within DURATION_TOLERANCE_S) or is
    None means the whole file; a span ending just past the file's end is clamped.
    """
    total = scan.info.duration_s
    offset = max(0.0, float(offset_s))
    problem: Problem | None = None
    duration = max(0.0, total - offset) if duration_s is None else float(duration_s)
    whole = offset <= 1e-6 and abs(duration - total) <= DURATION_TOLERANCE_S
    if whole:
        offset, duration = 0.0, total
    elif offset + duration > total:
        if offset + duration - total <= DURATION_TOLERANCE_S:
            duration = max(0.0, total - offset)
        else:
            problem = Problem(
                "out_of_range",
                f"span {offset:.3f}+{duration:.3f} s ends past the file's end ({total:.3f} s); "
                "fix the offset/duration in the manifest",
            )
    if problem is None and not whole and offset >= total:
        problem = Problem(
            "out_of_range", f"offset {offset:.3f} s is past the file's end ({total:.3f} s)"
        )
    rms, clipped, mix = _span_levels(scan, offset, max(duration, 0.0))
    if whole:
        rms, clipped = scan.rms_dbfs, scan.clipped_fraction
    tags: tuple[str, ...] = ()
    if problem is None:
        problem = _level_problem(duration, rms, config)
    if problem is None and mix < config.silence_dbfs:
        # Channels that cancel out (one inverted) sound silent once mixed to mono.
        tags = ("silent_mix",)
    if problem is None and clipped > config.clipping_fraction:
        if config.reject_clipped:
            problem = Problem(
                "clipped",
                f"{clipped:.1%} of samples at full scale, over validation.clipping_fraction="
                f"{config.clipping_fraction}",
            )
        else:
            tags = (*tags, "clipped")
    return SpanCheck(offset, duration, whole, rms, clipped, tags, problem)


def _level_problem(duration: float, rms: float, config: ValidationConfig) -> Problem | None:
    if duration <= 0:
        return Problem("too_short", "zero-length audio (no samples)")
    if duration < config.min_duration_s:
        return Problem(
            "too_short",
            f"{duration:.3f} s is shorter than validation.min_duration_s={config.min_duration_s}",
        )
    if duration > config.max_duration_s:
        return Problem(
            "too_long",
            f"{duration:.0f} s is longer than validation.max_duration_s="
            f"{config.max_duration_s:.0f}; cut it with segmentation first",
        )
    if rms < config.silence_dbfs:
        level = "-inf" if not math.isfinite(rms) else f"{rms:.1f}"
        return Problem(
            "silence",
            f"silence only: RMS {level} dBFS is below validation.silence_dbfs="
            f"{config.silence_dbfs}",
        )
    return None
