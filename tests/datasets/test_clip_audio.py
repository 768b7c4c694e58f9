"""The one clip-audio reader: a stored clip's span of its recording, at 16 kHz mono."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import write_audio
from tests.factories import add_clip, add_recording_file
from voxcart.datasets.clip_audio import clip_audio
from voxcart.datasets.errors import ClipNotFoundError
from voxcart.datasets.store.project import Project


def test_reads_the_clip_span_resampled(project: Project, tmp_path: Path) -> None:
    wav = write_audio(tmp_path / "rec.wav", seconds=2.0, sr=8_000, seed=1)
    with project.session() as session:
        recording = add_recording_file(session, wav)
        clip_id = add_clip(session, recording, "c1", offset_s=0.5, duration_s=1.0).id
    audio = clip_audio(project, clip_id)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert audio.size == 16_000  # one second at 16 kHz, from an 8 kHz recording


def test_a_missing_clip_is_named(project: Project) -> None:
    with pytest.raises(ClipNotFoundError, match="clip_id=42 does not exist"):
        clip_audio(project, 42)
