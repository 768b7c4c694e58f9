"""Fixtures of the augment tests: tiny generated banks and a project with transcribed clips."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests import factories
from tests.conftest import make_audio, write_audio
from voxcart.augment.bank_cache import Banks
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import RevisionStatus, Split

SR = 16_000


@pytest.fixture(scope="session")
def tiny_banks(tmp_path_factory: pytest.TempPathFactory) -> Banks:
    """Default banks, but small: 8 simulated rooms and 1 s noise snippets."""
    banks = Banks(cache_dir=tmp_path_factory.mktemp("bankcache"), rooms=8, noise_seconds=1.0)
    banks.noise()
    banks.rir()
    return banks


@pytest.fixture(scope="session")
def user_bank_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Tiny user noise and RIR folders at mixed rates and channel counts."""
    root = tmp_path_factory.mktemp("userbanks")
    noise, rir = root / "noise", root / "rir"
    write_audio(noise / "hum_8k.wav", 0.5, sr=8000, kind="noise", seed=1)
    write_audio(noise / "fan_44k_stereo.wav", 0.4, sr=44_100, channels=2, kind="noise", seed=2)
    write_audio(noise / "sub" / "hiss_48k.flac", 0.3, sr=48_000, kind="noise", seed=3)
    for name, sr, channels, decay_s in (
        ("small_16k.wav", 16_000, 1, 0.3),
        ("hall_44k_stereo.wav", 44_100, 2, 0.6),
    ):
        rir.mkdir(parents=True, exist_ok=True)
        sf.write(rir / name, exponential_rir(sr, decay_s, channels), sr)
    return noise, rir


def exponential_rir(sr: int, rt60_s: float, channels: int = 1, seed: int = 0) -> np.ndarray:
    """A synthetic impulse response: a direct-path spike then noise decaying 60 dB in rt60_s."""
    rng = np.random.default_rng(seed)
    n = int(sr * rt60_s * 1.5)
    t = np.arange(n) / sr
    tail = rng.standard_normal(n) * 10 ** (-3 * t / rt60_s)
    tail[0] = 4.0
    data = (tail / np.max(np.abs(tail)) * 0.9).astype(np.float32)
    return np.repeat(data[:, None], channels, axis=1)


def speechy(seconds: float = 0.5, seed: int = 0) -> np.ndarray:
    """Tiny mono test signal (a harmonic tone burst) at 16 kHz."""
    return make_audio(seconds, SR, 1, "tone", seed)[:, 0]


def add_clip(
    project: Project,
    path: Path,
    uid: str,
    split: Split | None,
    transcript: str | None = "show me wireless earbuds",
    seed: int = 0,
    seconds: float = 0.5,
) -> int:
    """Store a generated WAV as a recording and one clip (with a human transcript)."""
    write_audio(path, seconds, sr=SR, seed=seed)
    with project.session() as session:
        recording = factories.add_recording_file(session, path)
        clip = factories.add_clip(
            session, recording, uid, speaker=f"spk-{seed}", split=split, tags=["demo"]
        )
        if transcript is not None:
            add_revision(session, clip.id, transcript, RevisionStatus.ACCEPTED)
        return clip.id


@pytest.fixture
def populated(project: Project, tmp_path: Path) -> Iterator[Project]:
    """A project with 3 train, 1 dev and 2 test clips, all transcribed."""
    audio = tmp_path / "audio"
    plan = [
        ("tr-1", Split.TRAIN),
        ("tr-2", Split.TRAIN),
        ("tr-3", Split.TRAIN),
        ("dv-1", Split.DEV),
        ("te-1", Split.TEST),
        ("te-2", Split.TEST),
    ]
    for index, (uid, split) in enumerate(plan):
        add_clip(project, audio / f"{uid}.wav", uid, split, f"query number {index}", seed=index)
    yield project
