"""silero-vad segmentation of synthesized long recordings: clip count and boundaries.

Tolerance: every query becomes exactly one clip, and the clip's detected speech starts and
ends within 250 ms of where the synthesized speech really starts and ends.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.datasets.segment_sessions import (
    VOICES,
    Session,
    boundary_errors,
    build_session,
    pink_noise,
)
from voxcart.datasets.audio import load_audio
from voxcart.datasets.errors import SegmentationError
from voxcart.datasets.segment.cut import SegmentConfig, segment_audio
from voxcart.datasets.segment.vad_silero import SileroVad

TOLERANCE_S = 0.25


@pytest.fixture(scope="module")
def silero() -> SileroVad:
    return SileroVad()


def _check(session: Session, detector: SileroVad, config: SegmentConfig | None = None) -> None:
    clips, activity = segment_audio(session.audio, config or SegmentConfig(), detector)
    assert activity.backend == "silero-vad"
    assert len(clips) == len(session.utterances)
    spans = [(c.speech_start_s, c.speech_end_s) for c in clips]
    errors = boundary_errors(spans, session.utterances)
    assert len(errors) == len(session.utterances)  # each query found by its own clip
    worst = float(np.max(np.abs(errors)))
    assert worst <= TOLERANCE_S, f"worst boundary error {worst:.3f} s"
    for clip in clips:  # the padding keeps the whole query inside the clip
        assert clip.offset_s <= clip.speech_start_s and clip.speech_end_s <= clip.end_s


def test_clean_session(silero: SileroVad) -> None:
    _check(build_session(8, seed=11), silero)


def test_session_over_background_noise(silero: SileroVad) -> None:
    session = build_session(8, seed=12, noise=pink_noise(40.0, seed=5), snr_db=10.0)
    _check(session, silero)


def test_session_with_a_second_voice(silero: SileroVad) -> None:
    _check(build_session(8, seed=13, voices=VOICES), silero)


def test_session_over_real_noise(silero: SileroVad, shared_data: Path) -> None:
    noise = load_audio(shared_data / "noise" / "pyroomacoustics__doing_the_dishes.wav")
    _check(build_session(8, seed=14, voices=VOICES, noise=noise, snr_db=15.0), silero)


def test_over_long_speech_is_cut_below_the_maximum(silero: SileroVad) -> None:
    session = build_session(6, seed=15, pause_s=(0.15, 0.25))
    config = SegmentConfig(max_clip_s=6.0, merge_gap_s=0.5)
    clips, _ = segment_audio(session.audio, config, silero)
    assert len(clips) >= 3
    assert all(c.duration_s <= 6.0 + 1e-6 for c in clips)


def test_silence_gives_no_clips(silero: SileroVad) -> None:
    clips, _ = segment_audio(np.zeros(16_000 * 5, dtype=np.float32), SegmentConfig(), silero)
    assert clips == []


def test_other_sample_rates_are_refused(silero: SileroVad) -> None:
    with pytest.raises(SegmentationError, match="sample_rate=8000"):
        silero.detect(np.zeros(8000, dtype=np.float32), 8000)
