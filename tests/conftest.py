"""Fixtures shared by the whole suite: a fresh project per test, generated audio, shared data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voxcart.datasets.store.project import Project, init_project

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """A new, empty project on SQLite in a temporary directory."""
    proj = init_project(tmp_path / "proj")
    yield proj
    proj.close()


@pytest.fixture
def shared_data() -> Path:
    """The real recordings in ../shared/data; skips the test where they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real recordings not found at {SHARED_DATA} (only present beside the repo)")
    return SHARED_DATA


def make_audio(
    seconds: float = 1.0,
    sr: int = 16_000,
    channels: int = 1,
    kind: str = "tone",
    seed: int = 0,
    level: float = 0.3,
) -> np.ndarray:
    """Seeded test audio, shape (frames, channels): a speech-like tone burst, noise or silence."""
    rng = np.random.default_rng(seed)
    n = max(0, round(seconds * sr))
    t = np.arange(n) / sr
    if kind == "tone":
        f0 = 120 + 80 * rng.random()
        envelope = 0.5 * (1 - np.cos(2 * np.pi * np.minimum(t / max(seconds, 1e-9), 1.0)))
        signal = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6)) * envelope
        signal = signal + 0.01 * rng.standard_normal(n)
    elif kind == "noise":
        signal = rng.standard_normal(n)
    elif kind == "silence":
        signal = np.zeros(n)
    else:
        raise ValueError(f"kind={kind!r}: use tone, noise or silence")
    peak = float(np.max(np.abs(signal))) if n else 0.0
    if peak > 0:
        signal = signal / peak * level
    data = np.repeat(np.asarray(signal, dtype=np.float32)[:, None], channels, axis=1)
    return data


def write_audio(
    path: Path,
    seconds: float = 1.0,
    sr: int = 16_000,
    channels: int = 1,
    kind: str = "tone",
    seed: int = 0,
    level: float = 0.3,
    **kwargs: object,
) -> Path:
    """Write generated audio to `path` (format from the suffix) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, make_audio(seconds, sr, channels, kind, seed, level), sr, **kwargs)
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a throwaway local PostgreSQL server; skips where none can be started."""
    from voxcart.datasets.store import local_postgres

    reason = local_postgres.unavailable()
    if reason:
        pytest.skip(reason)
    with local_postgres.temporary_server() as url:
        yield url


@pytest.fixture
def pg_project(tmp_path: Path, postgres_url: str) -> Iterator[Project]:
    """A new project whose database is a fresh PostgreSQL database."""
    from voxcart.datasets.store.local_postgres import create_database

    proj = init_project(tmp_path / "pgproj", db_url=create_database(postgres_url))
    yield proj
    proj.close()
