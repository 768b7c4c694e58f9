"""One-pass scan (content hash, levels) and the span checks against ValidationConfig."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import make_audio, write_audio
from voxcart.datasets.errors import AudioError
from voxcart.datasets.ingest.validate import check_size, check_span, scan_file
from voxcart.datasets.store.config import ValidationConfig

CONFIG = ValidationConfig()


def test_lossless_reencoding_hashes_the_same(tmp_path: Path) -> None:
    wav = write_audio(tmp_path / "a.wav", seconds=0.5)
    pcm, sr = sf.read(wav, dtype="int16")
    sf.write(tmp_path / "a.flac", pcm, sr)
    sf.write(tmp_path / "copy.wav", pcm, sr, subtype="PCM_24")
    hashes = {scan_file(p).content_hash for p in (wav, tmp_path / "a.flac", tmp_path / "copy.wav")}
    assert len(hashes) == 1


def test_different_audio_rate_or_channels_hash_differently(tmp_path: Path) -> None:
    a = scan_file(write_audio(tmp_path / "a.wav", seconds=0.5, seed=1)).content_hash
    b = scan_file(write_audio(tmp_path / "b.wav", seconds=0.5, seed=2)).content_hash
    data, sr = sf.read(tmp_path / "a.wav", dtype="int16")
    sf.write(tmp_path / "c.wav", data, sr * 2)
    c = scan_file(tmp_path / "c.wav").content_hash
    assert len({a, b, c}) == 3


def test_scan_levels_and_profile(tmp_path: Path) -> None:
    scan = scan_file(write_audio(tmp_path / "t.wav", seconds=2.5, level=0.5))
    assert scan.info.num_frames == 40_000
    assert len(scan.second_sumsq) == 3
    assert scan.peak == pytest.approx(0.5, abs=0.01)
    assert -20 < scan.rms_dbfs < -6
    assert scan.clipped_fraction == 0.0


def test_whole_file_span_and_manifest_rounding(tmp_path: Path) -> None:
    scan = scan_file(write_audio(tmp_path / "t.wav", seconds=1.0))
    for duration in (None, 1.0, 1.04):
        span = check_span(scan, 0.0, duration, CONFIG)
        assert span.whole_file and span.duration_s == 1.0 and span.problem is None
    segment = check_span(scan, 0.2, 0.5, CONFIG)
    assert not segment.whole_file and segment.problem is None
    assert check_span(scan, 0.8, 5.0, CONFIG).problem.code == "out_of_range"


def test_silence_and_short_and_long_are_rejected(tmp_path: Path) -> None:
    silent = scan_file(write_audio(tmp_path / "s.wav", seconds=0.5, kind="silence"))
    assert check_span(silent, 0, None, CONFIG).problem.code == "silence"
    tone = scan_file(write_audio(tmp_path / "t.wav", seconds=0.5))
    assert check_span(tone, 0.0, 0.05, CONFIG).problem.code == "too_short"
    short_max = ValidationConfig(max_duration_s=0.2)
    assert check_span(tone, 0, None, short_max).problem.code == "too_long"


def test_segment_silence_uses_the_per_second_profile(tmp_path: Path) -> None:
    data = np.concatenate([make_audio(1.0), np.zeros((16_000, 1), dtype=np.float32)])
    sf.write(tmp_path / "half.wav", data, 16_000)
    scan = scan_file(tmp_path / "half.wav")
    assert check_span(scan, 0.0, 1.0, CONFIG).problem is None
    assert check_span(scan, 1.0, 1.0, CONFIG).problem.code == "silence"


def test_clipping_is_tagged_or_rejected(tmp_path: Path) -> None:
    loud = np.clip(make_audio(0.5, level=1.0) * 4, -1, 1)
    sf.write(tmp_path / "c.wav", loud, 16_000)
    scan = scan_file(tmp_path / "c.wav")
    assert scan.clipped_fraction > 0.1
    tagged = check_span(scan, 0, None, CONFIG)
    assert tagged.problem is None and tagged.tags == ("clipped",)
    strict = check_span(scan, 0, None, ValidationConfig(reject_clipped=True))
    assert strict.problem is not None and strict.problem.code == "clipped"


def test_size_limit_and_truncated_flac(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "a.flac", seconds=1.0, kind="noise")
    assert check_size(path, ValidationConfig(max_file_bytes=100)).code == "too_large"
    assert check_size(path, CONFIG) is None
    raw = path.read_bytes()
    (tmp_path / "cut.flac").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(AudioError, match=r"truncated|corrupt"):
        scan_file(tmp_path / "cut.flac")
