"""The clip policy: merging, splitting at the quietest point, padding, dropping, labelling."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.datasets.segment_sessions import boundary_errors, build_session, pink_noise
from voxcart.datasets.errors import SegmentationError
from voxcart.datasets.segment.activity import SpeechRegion, frame_energy_db
from voxcart.datasets.segment.cut import (
    SegmentConfig,
    build_clips,
    label_clips,
    make_detector,
    segment_audio,
)
from voxcart.datasets.segment.vad_energy import EnergyVad

CONFIG = SegmentConfig(min_clip_s=0.3, max_clip_s=6.0, pad_s=0.2, merge_gap_s=0.4)


def test_short_pauses_merge_and_long_ones_split_clips() -> None:
    speech = [SpeechRegion(1.0, 2.0), SpeechRegion(2.3, 3.0), SpeechRegion(5.0, 6.0)]
    clips = build_clips(speech, 10.0, CONFIG)
    assert [(c.speech_start_s, c.speech_end_s) for c in clips] == [(1.0, 3.0), (5.0, 6.0)]
    assert [c.offset_s for c in clips] == [0.8, 4.8]
    assert [c.end_s for c in clips] == pytest.approx([3.2, 6.2])


def test_padding_stops_at_the_recording_edges_and_between_close_neighbours() -> None:
    config = SegmentConfig(min_clip_s=0.3, max_clip_s=6.0, pad_s=0.5, merge_gap_s=0.1)
    clips = build_clips([SpeechRegion(0.1, 1.0), SpeechRegion(1.4, 2.9)], 3.0, config)
    assert clips[0].offset_s == 0.0
    assert clips[0].end_s == pytest.approx(1.2)
    assert clips[1].offset_s == pytest.approx(1.2)
    assert clips[1].end_s == 3.0


def test_speech_shorter_than_the_minimum_is_dropped() -> None:
    clips = build_clips([SpeechRegion(1.0, 1.1), SpeechRegion(3.0, 4.0)], 10.0, CONFIG)
    assert [c.speech_start_s for c in clips] == [3.0]


def test_over_long_speech_is_split_at_its_quietest_point() -> None:
    sr = 16_000
    rng = np.random.default_rng(0)
    audio = 0.3 * rng.standard_normal(12 * sr).astype(np.float32)
    audio[round(7.0 * sr) : round(7.2 * sr)] *= 0.001  # the only quiet moment
    clips = build_clips([SpeechRegion(2.0, 11.5)], 12.0, CONFIG, frame_energy_db(audio, sr))
    assert len(clips) == 2
    assert 7.0 <= clips[0].speech_end_s <= 7.2
    assert clips[1].speech_start_s == clips[0].speech_end_s
    assert clips[0].end_s <= clips[1].offset_s  # no padding across a forced cut


def test_label_clips_picks_the_longest_speaker_and_measures_overlap() -> None:
    clips = build_clips([SpeechRegion(1.0, 4.0), SpeechRegion(6.0, 7.0)], 10.0, CONFIG)
    turns = [
        SpeechRegion(0.9, 3.0, "rec:SPEAKER_00"),
        SpeechRegion(2.5, 4.0, "rec:SPEAKER_01"),
        SpeechRegion(6.0, 7.0, "rec:SPEAKER_01"),
    ]
    labelled = label_clips(clips, overlap=[SpeechRegion(6.2, 6.4)], turns=turns)
    assert labelled[0].speaker == "rec:SPEAKER_00"
    assert labelled[0].overlap_s == pytest.approx(0.5)  # the two turns overlap 2.5-3.0
    assert labelled[0].speakers == {"rec:SPEAKER_00": 2.0, "rec:SPEAKER_01": 1.5}
    assert labelled[1].speaker == "rec:SPEAKER_01"
    assert labelled[1].overlap_s == pytest.approx(0.2)
    assert label_clips(clips)[0].speaker is None


regions = st.lists(
    st.tuples(st.floats(0, 100, allow_nan=False), st.floats(0.01, 30, allow_nan=False)),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(regions, st.floats(0.0, 1.0), st.floats(0.0, 0.5), st.floats(0.1, 1.0))
def test_clips_are_ordered_disjoint_bounded_and_cover_their_speech(
    spans: list[tuple[float, float]], pad: float, gap: float, min_clip: float
) -> None:
    config = SegmentConfig(min_clip_s=min_clip, max_clip_s=5.0, pad_s=pad, merge_gap_s=gap)
    duration = 110.0
    clips = build_clips([SpeechRegion(a, a + d) for a, d in spans], duration, config)
    for clip in clips:
        assert 0.0 <= clip.offset_s <= clip.speech_start_s < clip.speech_end_s
        assert clip.speech_end_s <= clip.end_s + 1e-6
        assert clip.end_s <= duration + 1e-6
        assert clip.duration_s <= config.max_clip_s + 2e-3
        assert clip.speech_end_s - clip.speech_start_s >= min_clip - 2e-3
    for first, second in itertools.pairwise(clips):
        assert first.end_s <= second.offset_s + 1e-6


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("method", "whisper", "method='whisper'"),
        ("threshold", 1.5, "threshold=1.5"),
        ("pad_s", -1.0, "pad_s=-1.0"),
        ("max_clip_s", 0.5, "max_clip_s=0.5"),
    ],
)
def test_bad_config_names_the_field(field: str, value: object, message: str) -> None:
    with pytest.raises(SegmentationError, match=message):
        SegmentConfig(**{field: value})


def test_pyannote_without_a_checkpoint_is_refused() -> None:
    with pytest.raises(SegmentationError, match="--segmentation"):
        make_detector(SegmentConfig(method="pyannote"))


def test_energy_baseline_finds_each_query_in_a_clean_session() -> None:
    session = build_session(6, seed=1)
    clips, activity = segment_audio(session.audio, SegmentConfig(), EnergyVad())
    assert activity.backend == "energy"
    assert len(clips) == len(session.utterances)
    errors = boundary_errors(
        [(c.speech_start_s, c.speech_end_s) for c in clips], session.utterances
    )
    assert len(errors) == len(session.utterances)
    assert np.max(np.abs(errors)) <= 0.25


def test_energy_baseline_hears_nothing_in_steady_noise() -> None:
    clips, _ = segment_audio(0.05 * pink_noise(10.0), SegmentConfig(), EnergyVad())
    assert clips == []
