"""Probing, span loading with resampling, and atomic WAV writing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import make_audio, write_audio
from voxcart.datasets.audio import TARGET_SR, load_audio, probe, write_wav
from voxcart.datasets.errors import AudioError


@pytest.mark.parametrize(
    ("name", "kwargs", "fmt", "subtype"),
    [
        ("a.wav", {}, "WAV", "PCM_16"),
        ("b.wav", {"subtype": "PCM_24"}, "WAV", "PCM_24"),
        ("c.wav", {"subtype": "FLOAT"}, "WAV", "FLOAT"),
        ("d.flac", {}, "FLAC", "PCM_16"),
        ("e.ogg", {}, "OGG", "VORBIS"),
        ("f.mp3", {}, "MP3", "MPEG_LAYER_III"),
    ],
)
def test_probe_reads_each_format(
    tmp_path: Path, name: str, kwargs: dict, fmt: str, subtype: str
) -> None:
    path = write_audio(tmp_path / name, seconds=0.5, sr=16_000, **kwargs)
    info = probe(path)
    assert (info.format, info.subtype, info.sample_rate, info.channels) == (fmt, subtype, 16_000, 1)
    assert info.duration_s == pytest.approx(0.5, abs=0.06)
    assert info.size_bytes == path.stat().st_size


def test_load_audio_reads_only_the_span_and_resamples(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "s.wav", seconds=1.0, sr=48_000, channels=2)
    audio = load_audio(path, offset_s=0.25, duration_s=0.5)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert len(audio) == pytest.approx(0.5 * TARGET_SR, abs=2)
    source = make_audio(1.0, 48_000)[:, 0]
    # the mid-span of the mono mix matches the source resampled (same tone, same level)
    expected_rms = float(np.sqrt(np.mean(source[12_000:36_000] ** 2)))
    assert float(np.sqrt(np.mean(audio**2))) == pytest.approx(expected_rms, rel=0.05)


def test_load_audio_8k_is_upsampled_and_to_end(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "n.wav", seconds=1.0, sr=8_000)
    assert len(load_audio(path)) == TARGET_SR
    assert len(load_audio(path, offset_s=0.5, sr=8_000)) == 4_000


def test_load_audio_offset_past_end_is_an_error(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "n.wav", seconds=0.2)
    with pytest.raises(AudioError, match="past the end"):
        load_audio(path, offset_s=5.0)
    with pytest.raises(AudioError, match="negative"):
        load_audio(path, offset_s=-1.0)


def test_write_wav_is_pcm16_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "out" / "x.wav"
    write_wav(target, np.linspace(-2, 2, 1600, dtype=np.float32), 16_000)
    info = probe(target)
    assert (info.subtype, info.num_frames) == ("PCM_16", 1600)
    data, _sr = sf.read(target)
    assert data.max() <= 1.0 and data.min() >= -1.0
    assert [p.name for p in target.parent.iterdir()] == ["x.wav"]
    with pytest.raises(AudioError):
        write_wav(tmp_path / "y.wav", np.zeros((2, 2, 2)), 16_000)


@pytest.mark.parametrize(
    ("content", "match"),
    [(None, "not found"), (b"", "empty file"), (b"RIFF" + bytes(range(200)), "unreadable")],
)
def test_probe_errors_name_the_reason(tmp_path: Path, content: bytes | None, match: str) -> None:
    path = tmp_path / "bad.wav"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AudioError, match=match):
        probe(path)


def test_probe_refuses_truncated_wav_and_unsupported_containers(tmp_path: Path) -> None:
    whole = write_audio(tmp_path / "w.wav", seconds=0.5).read_bytes()
    (tmp_path / "t.wav").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(AudioError, match="truncated"):
        probe(tmp_path / "t.wav")
    (tmp_path / "a.m4a").write_bytes(b"\x00\x00\x00\x20ftypM4A ")
    with pytest.raises(AudioError, match="M4A"):
        probe(tmp_path / "a.m4a")
