"""Seeded application: determinism, recorded parameters, exact reproduction."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from tests.augment.conftest import speechy
from voxcart.augment.apply import augment_audio, reapply
from voxcart.augment.bank_cache import Banks
from voxcart.augment.errors import AugmentError, BankError

PRESETS = ["store-noise", "far-field", "phone", "car", "mild"]


@pytest.mark.parametrize("preset", PRESETS)
def test_same_seed_same_output_different_seed_different(tiny_banks: Banks, preset: str) -> None:
    audio = speechy()
    first = augment_audio(audio, 16_000, preset, seed=3, banks=tiny_banks)
    again = augment_audio(audio, 16_000, preset, seed=3, banks=tiny_banks)
    outputs = [
        augment_audio(audio, 16_000, preset, seed=s, banks=tiny_banks).audio for s in range(4, 8)
    ]
    assert np.array_equal(first.audio, again.audio)
    assert first.params == again.params
    assert any(not np.array_equal(first.audio, other) for other in outputs)
    assert first.audio.shape == audio.shape and first.audio.dtype == np.float32
    assert np.max(np.abs(first.audio)) <= 0.99 + 1e-6


@pytest.mark.parametrize("preset", PRESETS)
def test_reapply_from_recorded_params_is_exact(tiny_banks: Banks, preset: str) -> None:
    audio = speechy(seed=1)
    result = augment_audio(audio, 16_000, preset, seed=11, banks=tiny_banks)
    stored = json.loads(json.dumps(result.params))  # what lineage keeps
    assert np.array_equal(reapply(audio, stored, banks=tiny_banks).audio, result.audio)


def test_params_record_what_was_sampled(tiny_banks: Banks) -> None:
    params = augment_audio(speechy(), 16_000, "far-field", seed=0, banks=tiny_banks).params
    reverb = params["transforms"][0]
    assert reverb["transform"] == "BankReverb" and reverb["applied"] is True
    assert reverb["rir_id"].startswith("rir:") and 0.2 <= reverb["rt60_s"] <= 0.8
    assert len(reverb["room_dim_m"]) == 3
    assert reverb["rir_id"] in params["bank_ids"]
    phone = augment_audio(speechy(), 16_000, "phone", seed=0, banks=tiny_banks).params
    names = [t["transform"] for t in phone["transforms"]]
    assert names[:4] == ["HighPassFilter", "LowPassFilter", "SampleRateRoundTrip", "OneOf"]
    assert 250 <= phone["transforms"][0]["cutoff_freq"] <= 350
    assert phone["transforms"][2]["target_rate"] == 8000
    codec = phone["transforms"][3]["children"][0]
    assert codec["transform"] in {"MuLaw", "Mp3Compression"}


def test_bank_noise_hits_the_requested_snr(tiny_banks: Banks) -> None:
    audio = speechy(1.0)
    pipeline = {
        "transforms": [{"name": "BankNoise", "min_snr_db": 10.0, "max_snr_db": 10.0, "p": 1.0}]
    }
    result = augment_audio(audio, 16_000, pipeline, seed=5, banks=tiny_banks)
    noise = result.audio / result.params["output_gain"] - audio
    snr = 20 * np.log10(np.sqrt(np.mean(audio**2)) / np.sqrt(np.mean(noise**2)))
    assert snr == pytest.approx(10.0, abs=0.1)


def test_global_random_state_is_restored(tiny_banks: Banks) -> None:
    random.seed(42)
    np.random.seed(42)
    expected = (random.random(), np.random.random())
    random.seed(42)
    np.random.seed(42)
    augment_audio(speechy(), 16_000, "store-noise", seed=9, banks=tiny_banks)
    assert (random.random(), np.random.random()) == expected


def test_other_sample_rates_work(tiny_banks: Banks) -> None:
    audio = speechy(0.5)[::2].copy()  # 8 kHz
    result = augment_audio(audio, 8000, "far-field", seed=1, banks=tiny_banks)
    assert result.audio.shape == audio.shape and result.sample_rate == 8000


@pytest.mark.parametrize(
    ("audio", "match"),
    [
        (np.zeros((2, 800), dtype=np.float32), "must be mono"),
        (np.zeros(800, dtype=np.int16), "float samples"),
        (np.array([0.1, np.nan], dtype=np.float32), "NaN"),
    ],
)
def test_bad_audio_is_refused(tiny_banks: Banks, audio: np.ndarray, match: str) -> None:
    with pytest.raises(AugmentError, match=match):
        augment_audio(audio, 16_000, "mild", seed=0, banks=tiny_banks)


def test_bad_seed_is_refused(tiny_banks: Banks) -> None:
    with pytest.raises(AugmentError, match="seed=-1"):
        augment_audio(speechy(), 16_000, "mild", seed=-1, banks=tiny_banks)


def test_reapply_with_changed_bank_fails_clearly(tiny_banks: Banks, tmp_path) -> None:
    result = augment_audio(speechy(), 16_000, "car", seed=2, banks=tiny_banks)
    other = Banks(cache_dir=tiny_banks.cache_dir, rooms=8, noise_seconds=1.0, seed=1)
    with pytest.raises(BankError, match="has no item 'noise:rumble-0-"):
        reapply(speechy(), result.params, banks=other)
