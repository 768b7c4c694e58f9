"""Test factories for store rows: a recording (described, or read from a real audio file) and
its clips, so that tests do not spell out every column of ``Recording(...)`` again."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import soundfile as sf
from sqlalchemy.orm import Session

from voxcart.datasets.store.schema import Clip, Recording


def add_recording(
    session: Session,
    path: str | Path = "/a.wav",
    /,
    *,
    content_hash: str | None = None,
    duration_s: float = 9.0,
    sample_rate: int = 16_000,
    channels: int = 1,
    **columns: Any,
) -> Recording:
    """Insert a 16 kHz mono WAV recording row (no file needed) and flush it.

    Args:
        session: an open session.
        path: its source path.
        content_hash: its (unique) hash; default derived from the path.
        duration_s: its length; ``num_frames`` follows from it and the sample rate.
        sample_rate: its rate.
        channels: its channels.
        **columns: any other ``Recording`` column (``format``, ``subtype``, ...).
    """
    columns.setdefault("format", "WAV")
    recording = Recording(
        source_path=str(path),
        content_hash=content_hash or hashlib.sha256(str(path).encode()).hexdigest(),
        duration_s=duration_s,
        sample_rate=sample_rate,
        channels=channels,
        num_frames=round(duration_s * sample_rate),
        **columns,
    )
    session.add(recording)
    session.flush()
    return recording


def add_recording_file(session: Session, path: Path, /, **columns: Any) -> Recording:
    """Insert the recording row of a real audio file (format and length read from it)."""
    info = sf.info(str(path))
    columns.setdefault("subtype", info.subtype)
    columns.setdefault("size_bytes", path.stat().st_size)
    recording = Recording(
        source_path=str(path.resolve()),
        content_hash=columns.pop("content_hash", None)
        or hashlib.sha256(path.read_bytes()).hexdigest(),
        format=info.format,
        duration_s=info.frames / info.samplerate,
        sample_rate=info.samplerate,
        channels=info.channels,
        num_frames=info.frames,
        **columns,
    )
    session.add(recording)
    session.flush()
    return recording


def add_clip(
    session: Session,
    recording: Recording,
    uid: str,
    /,
    *,
    offset_s: float = 0.0,
    duration_s: float | None = None,
    **columns: Any,
) -> Clip:
    """Insert a clip of `recording` (default: all of it from `offset_s`) and flush it."""
    clip = Clip(
        uid=uid,
        recording_id=recording.id,
        offset_s=offset_s,
        duration_s=recording.duration_s - offset_s if duration_s is None else duration_s,
        **columns,
    )
    session.add(clip)
    session.flush()
    return clip
