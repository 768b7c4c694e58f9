"""Banks: user folders at any rate and channel count, caching, default banks, real recordings."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from tests.augment.conftest import exponential_rir, speechy
from voxcart.augment.apply import augment_audio
from voxcart.augment.bank_cache import Banks
from voxcart.augment.banks import BANK_SR, Bank, estimate_rt60, folder_bank
from voxcart.augment.errors import AugmentError, BankError


def test_user_folders_at_mixed_rates_and_channels(
    user_bank_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    noise_dir, rir_dir = user_bank_dirs
    bank = folder_bank(noise_dir, "noise", tmp_path)
    by_name = {item.name: item for item in bank.items}
    assert set(by_name) == {"hum_8k.wav", "fan_44k_stereo.wav", "sub/hiss_48k.flac"}
    assert by_name["fan_44k_stereo.wav"].meta["source_channels"] == 2
    assert by_name["hum_8k.wav"].meta["source_sr"] == 8000
    for item, seconds in ((by_name["hum_8k.wav"], 0.5), (by_name["fan_44k_stereo.wav"], 0.4)):
        samples = bank.samples(item)
        assert samples.ndim == 1 and samples.dtype == np.float32
        assert samples.size == pytest.approx(seconds * BANK_SR, abs=2)
    rirs = folder_bank(rir_dir, "rir", tmp_path)
    rt60 = {item.name: item.meta["rt60_s"] for item in rirs.items}
    assert rt60["small_16k.wav"] == pytest.approx(0.3, rel=0.15)
    assert rt60["hall_44k_stereo.wav"] == pytest.approx(0.6, rel=0.15)


def test_user_banks_drive_a_pipeline(
    user_bank_dirs: tuple[Path, Path], tiny_banks: Banks, tmp_path: Path
) -> None:
    noise_dir, rir_dir = user_bank_dirs
    banks = Banks(cache_dir=tmp_path, noise_dir=noise_dir, rir_dir=rir_dir)
    banks_noise_only = Banks(
        cache_dir=tiny_banks.cache_dir, noise_dir=noise_dir, rooms=8, noise_seconds=1.0
    )
    result = augment_audio(speechy(), 16_000, "far-field", seed=0, banks=banks)
    assert result.params["banks"]["rir"]["source"] == str(rir_dir.resolve())
    assert result.params["transforms"][0]["rir_name"] in {"small_16k.wav", "hall_44k_stereo.wav"}
    church = {
        "transforms": [{"name": "BankReverb", "min_rt60_s": 1.5, "max_rt60_s": 3.0, "p": 1.0}]
    }
    with pytest.raises(
        AugmentError, match=r"min_rt60_s=1.5..max_rt60_s=3.0 \(the bank's RT60s: 0.3"
    ):
        augment_audio(speechy(), 16_000, church, seed=0, banks=banks)
    # The user's noise qualifies for any category filter, e.g. the car preset's rumble.
    car = augment_audio(speechy(), 16_000, "car", seed=0, banks=banks_noise_only)
    assert car.params["transforms"][0]["noise_id"] in {i.id for i in banks.noise().items}


def test_bad_files_are_skipped_with_a_reason(tmp_path: Path) -> None:
    folder = tmp_path / "noise"
    folder.mkdir()
    (folder / "broken.wav").write_bytes(b"RIFF\x00\x00not audio at all")
    (folder / "silence.wav").write_bytes(b"")
    from tests.conftest import write_audio

    write_audio(folder / "ok.wav", 0.3, kind="noise")
    write_audio(folder / "zeros.wav", 0.3, kind="silence")
    bank = folder_bank(folder, "noise", tmp_path / "cache")
    assert [item.name for item in bank.items] == ["ok.wav"]
    reasons = dict(bank.skipped)
    assert set(reasons) == {"broken.wav", "silence.wav", "zeros.wav"}
    assert "silent" in reasons["zeros.wav"]


def test_empty_or_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BankError, match="does not exist"):
        folder_bank(tmp_path / "nope", "noise", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BankError, match="holds no audio files"):
        folder_bank(tmp_path / "empty", "noise", tmp_path)


def test_cache_is_reused_and_rebuilt_when_the_folder_changes(tmp_path: Path) -> None:
    from tests.conftest import write_audio

    folder = tmp_path / "noise"
    write_audio(folder / "a.wav", 0.2, kind="noise", seed=1)
    first = folder_bank(folder, "noise", tmp_path / "cache")
    again = folder_bank(folder, "noise", tmp_path / "cache")
    assert again.root == first.root
    write_audio(folder / "b.wav", 0.2, kind="noise", seed=2)
    changed = folder_bank(folder, "noise", tmp_path / "cache")
    assert changed.root != first.root and len(changed) == 2


def test_default_banks(tiny_banks: Banks) -> None:
    noise = tiny_banks.noise()
    categories = {item.category for item in noise.items}
    assert {"color", "rumble", "babble"} <= categories
    rir = tiny_banks.rir()
    assert len(rir) == 8
    for item in rir.items:
        assert item.meta["rt60_s"] > 0.05
        assert len(item.meta["room_dim_m"]) == 3
        assert 0 < item.meta["absorption"] <= 1
    rumble = next(i for i in noise.items if i.category == "rumble")
    spectrum = np.abs(np.fft.rfft(noise.samples(rumble)))
    freqs = np.fft.rfftfreq(rumble.length, 1 / BANK_SR)
    assert spectrum[freqs < 1000].sum() > 20 * spectrum[freqs > 2000].sum()


def test_bank_pickles_without_its_audio(tiny_banks: Banks) -> None:
    bank = tiny_banks.noise()
    _ = bank.audio
    clone = pickle.loads(pickle.dumps(bank))
    assert clone.__dict__["_audio"] is None
    assert np.array_equal(clone.samples(clone.items[0]), bank.samples(bank.items[0]))
    assert isinstance(clone, Bank)


def test_rt60_estimate() -> None:
    rir = exponential_rir(16_000, 0.5)[:, 0]
    assert estimate_rt60(rir) == pytest.approx(0.5, rel=0.1)
    assert estimate_rt60(np.zeros(100, dtype=np.float32)) is None


def test_real_noise_and_rir_recordings(shared_data: Path, tmp_path: Path) -> None:
    banks = Banks(cache_dir=tmp_path, noise_dir=shared_data / "noise", rir_dir=shared_data / "rir")
    noise, rir = banks.noise(), banks.rir()
    assert len(noise) >= 5 and len(rir) >= 5
    assert any(i.meta["source_channels"] == 2 for i in rir.items)
    assert {i.meta["source_sr"] for i in noise.items} >= {16_000, 44_100}
    result = augment_audio(speechy(1.0), 16_000, "far-field", seed=4, banks=banks)
    assert result.params["transforms"][0]["applied"]
    assert np.all(np.isfinite(result.audio))
