"""Speech synthesis through the bundled espeak-ng: audible, length-aware, repeatable, safe."""

from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from voxcart.datasets.demo.synth import (
    MAX_DATA_PATH_BYTES,
    Voice,
    available_voices,
    short_data_path,
    synthesize,
)
from voxcart.datasets.errors import SynthesisError

SENTENCE = "show me sony wireless earbuds under fifty dollars"
US = Voice("en-us", "en-US", rate_wpm=175, pitch=50)


def _rms_db(samples: np.ndarray) -> float:
    return 20 * np.log10(float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) + 1e-12)


def _digest(samples: np.ndarray) -> str:
    return hashlib.sha256(samples.tobytes()).hexdigest()


def test_sentence_is_audible_float32_mono_at_native_rate() -> None:
    samples, rate = synthesize(SENTENCE, US)
    assert rate == 22050
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert _rms_db(samples) > -30
    assert float(np.max(np.abs(samples))) <= 1.0
    assert 1.0 < samples.size / rate < 6.0


def test_duration_grows_with_text_and_shrinks_with_rate() -> None:
    short, _ = synthesize("show me earbuds", US)
    long, _ = synthesize(SENTENCE + " and add the black ones to my cart", US)
    slow, _ = synthesize(SENTENCE, Voice("en-us", "en-US", rate_wpm=120))
    fast, _ = synthesize(SENTENCE, Voice("en-us", "en-US", rate_wpm=260))
    assert long.size > 2 * short.size
    assert slow.size > 1.5 * fast.size


def test_same_input_gives_same_samples_whatever_ran_before() -> None:
    voice = Voice("en-gb-scotland", "en-GB", rate_wpm=177, pitch=32, variant="f2", pitch_range=72)
    first, _ = synthesize(SENTENCE, voice)
    synthesize("something else entirely, to move any internal state", US)
    synthesize("klatt voices draw random noise", Voice("en-us", "en-US", variant="klatt"))
    # espeak-ng seeds its breath noise (f* variants) from the clock, in whole seconds.
    time.sleep(1.05)
    second, _ = synthesize(SENTENCE, voice)
    assert _digest(first) == _digest(second)


def test_variants_and_pitch_change_the_voice() -> None:
    base, _ = synthesize(SENTENCE, US)
    female, _ = synthesize(SENTENCE, Voice("en-us", "en-US", variant="f2"))
    high, _ = synthesize(SENTENCE, Voice("en-us", "en-US", pitch=90))
    assert len({_digest(base), _digest(female), _digest(high)}) == 3


def test_concurrent_calls_are_serialized_and_repeatable() -> None:
    texts = [f"add {n} coffee pods to my cart" for n in ("two", "three", "four", "five")]
    serial = [_digest(synthesize(t, US)[0]) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda t: _digest(synthesize(t, US)[0]), texts))
    assert parallel == serial


def test_available_voices_lists_english_voice_names() -> None:
    voices = available_voices("en")
    assert "en-us" in voices
    assert all(name.startswith("en") for name in voices)
    assert "de" not in voices and "de" in available_voices("de")


def test_unknown_voice_name_falls_back_to_its_language() -> None:
    samples, _ = synthesize("hello there", Voice("no-such-voice", "en-GB"))
    assert _rms_db(samples) > -30


def test_unknown_voice_and_language_is_a_clear_error() -> None:
    with pytest.raises(SynthesisError, match="available_voices"):
        synthesize("hello", Voice("no-such-voice", "zz-ZZ"))


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01"])
def test_empty_text_is_rejected(text: str) -> None:
    with pytest.raises(SynthesisError, match="empty"):
        synthesize(text, US)


def test_markup_and_formulas_are_read_as_text() -> None:
    samples, _ = synthesize("<b>hi</b> =cmd|' /C calc'!A0 café \u4e2d", US)
    assert _rms_db(samples) > -35


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rate_wpm": 20}, "rate_wpm"),
        ({"pitch": 101}, "pitch"),
        ({"pitch_range": -1}, "pitch_range"),
        ({"variant": "../f2"}, "variant"),
        ({"name": "en us; rm"}, "name"),
    ],
)
def test_voice_validates_its_fields(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"name": "en-us", "language": "en-US", **kwargs}
    with pytest.raises(SynthesisError, match=field):
        Voice(**args)


def test_long_data_path_is_copied_to_a_short_cache(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 60) / ("y" * 60) / "espeak-ng-data"
    (deep / "voices").mkdir(parents=True)
    (deep / "phontab").write_bytes(b"phon")
    (deep / "voices" / "en").write_text("name en\n")
    cache = tmp_path / "c"
    short = short_data_path(deep, cache_root=cache)
    assert short != deep and len(str(short).encode()) <= MAX_DATA_PATH_BYTES
    assert (short / "phontab").read_bytes() == b"phon"
    assert (short / "voices" / "en").is_file()
    # A second call reuses the finished copy and leaves no staging folders behind.
    assert short_data_path(deep, cache_root=cache) == short
    assert [p.name for p in cache.iterdir()] == [short.name]


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_others_can_write_is_refused(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 120) / "espeak-ng-data"
    deep.mkdir(parents=True)
    (deep / "phontab").write_bytes(b"phon")
    short = short_data_path(deep, cache_root=tmp_path / "c")
    assert short.stat().st_mode & 0o077 == 0
    short.chmod(0o777)
    with pytest.raises(SynthesisError, match="not private"):
        short_data_path(deep, cache_root=tmp_path / "c")


def test_short_ascii_data_path_is_used_in_place(tmp_path: Path) -> None:
    (tmp_path / "phontab").write_bytes(b"phon")
    assert short_data_path(tmp_path, cache_root=tmp_path / "c") == tmp_path


def test_incomplete_data_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SynthesisError, match="phontab"):
        short_data_path(tmp_path)
