"""The annotate service: leasing, bundling, OOV flags, retype mode, events, counters."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import func, select

from tests.labeler.annotate_support import add_catalog, add_suggestion, queue
from tests.labeler.app_support import annotate, make_accounts, make_audio_clips
from tests.labeler.helpers import make_user
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip, Recording, Revision, RevisionStatus, Task, TaskState
from voxcart.labeler.errors import StaleEditError, SubmitError
from voxcart.labeler.services import clip_media
from voxcart.labeler.services.annotate import (
    AnnotateConfig,
    annotator_counters,
    lease_for,
    next_item,
    release_leases,
    retype_mode,
)
from voxcart.labeler.services.editor_events import (
    EditorAction,
    EditorEvent,
    apply_event,
    parse_event,
)
from voxcart.labeler.services.oov import known_words, oov_flags

TERMS = [("brand", "sony"), ("product_type", "headphones"), ("model", "instax mini twelve")]
GOOD = [("show", 0.95), ("me", 0.9), ("sony", 0.4), ("headphones", 0.85)]


@pytest.fixture
def setup(project: Project) -> tuple[Project, int, list[int]]:
    """Three queued one-second clips (priority 3, 2, 1), a catalog and an annotator."""
    accounts = make_accounts(project)
    clips = make_audio_clips(project, 3)
    add_catalog(project, TERMS)
    queue(project, clips, [3.0, 2.0, 1.0])
    return project, accounts.annotator, clips


def _revisions(project: Project, clip_id: int) -> list[Revision]:
    with project.session() as session:
        return list(session.scalars(select(Revision).where(Revision.clip_id == clip_id)))


def _other_user(project: Project) -> int:
    with project.session() as session:
        return make_user(session, "someone-else")


def _event(item_task_id: int, action: str = "submit", **fields: object) -> EditorEvent:
    parsed = parse_event({"action": action, "nonce": "n1", "task_id": item_task_id, **fields})
    assert parsed is not None
    return parsed


def test_next_item_leases_the_top_clip_and_bundles_what_the_editor_needs(setup) -> None:
    project, user, clips = setup
    sid = add_suggestion(project, clips[0], GOOD)
    item = next_item(project, user)
    assert item is not None
    assert item.task.clip_id == clips[0] and item.clip_uid == "clip-000"
    with project.session() as session:
        task = session.get(Task, item.task.task_id)
        assert task is not None and task.state is TaskState.LEASED and task.leased_by == user
    assert item.media is not None and item.audio_error is None
    audio, sr = sf.read(io.BytesIO(item.media.wav), dtype="float32")
    assert sr == 16_000 and audio.ndim == 1 and len(audio) == 16_000
    assert sf.info(io.BytesIO(item.media.wav)).subtype == "PCM_16"
    assert 0 < len(item.media.peaks) <= clip_media.PEAKS and max(item.media.peaks) > 0.1
    assert item.media.spectrogram_png.startswith(b"\x89PNG")
    assert item.suggestion is not None and item.suggestion.id == sid
    assert [(w.word, w.confidence) for w in item.suggestion.words] == GOOD
    assert item.prefill == "show me sony headphones" and not item.retype
    assert item.base_revision_id is None and item.current_text is None
    assert set(item.vocabulary) == {t for _, t in TERMS}


def test_next_item_resumes_the_held_clip_then_moves_on_and_ends(setup) -> None:
    project, user, clips = setup
    first = next_item(project, user)
    again = next_item(project, user)
    assert first is not None and again is not None
    assert again.task.task_id == first.task.task_id
    seen = []
    for _ in clips:
        item = next_item(project, user)
        assert item is not None
        seen.append(item.task.clip_id)
        apply_event(project, user, item, _event(item.task.task_id, text="words"))
    assert seen == clips
    assert next_item(project, user) is None


def test_newest_suggestion_wins_across_models(setup) -> None:
    project, user, clips = setup
    add_suggestion(project, clips[0], [("old", 0.9)], model="old-model", age_s=60)
    newer = add_suggestion(project, clips[0], [("new", 0.9)], model="new-model")
    item = next_item(project, user)
    assert item is not None and item.suggestion is not None
    assert item.suggestion.id == newer and item.suggestion.model_name == "new-model"


def test_retype_mode_hides_a_probably_wrong_suggestion(setup) -> None:
    project, user, clips = setup
    add_suggestion(project, clips[0], [("look", 0.1), ("what", 0.2), ("you", 0.3)])
    item = next_item(project, user)
    assert item is not None and item.suggestion is not None
    assert item.retype and item.prefill == ""
    assert retype_mode(item.suggestion, AnnotateConfig(retype_below=0.2)) is False
    assert retype_mode(None) is True
    assert retype_mode(replace(item.suggestion, text="  ", mean_confidence=1.0)) is True


HIDDEN = [("show", 0.3), ("me", 0.3), ("sony", 0.2), ("headphones", 0.3)]
"""A right suggestion with low confidences: retype mode hides it."""


def test_text_typed_with_the_suggestion_hidden_is_typed_not_accepted(setup) -> None:
    project, user, clips = setup
    add_suggestion(project, clips[0], HIDDEN)
    item = next_item(project, user)
    assert item is not None and item.retype
    # Typed exactly what the hidden suggestion said: still the annotator's own text.
    event = _event(item.task.task_id, text="show me sony headphones", suggestion_shown=False)
    outcome = apply_event(project, user, item, event)
    [rev] = _revisions(project, clips[0])
    assert outcome.status is RevisionStatus.TYPED and rev.status is RevisionStatus.TYPED
    assert rev.verbatim == "show me sony headphones"
    assert rev.suggestion_id == item.suggestion.id  # the hidden suggestion stays linked
    assert outcome.suggestion_wer == 0.0


def test_a_revealed_suggestion_can_be_accepted_and_a_hidden_one_cannot(setup) -> None:
    project, user, clips = setup
    add_suggestion(project, clips[0], HIDDEN)
    item = next_item(project, user)
    assert item is not None and item.retype
    with pytest.raises(SubmitError, match="reveal it first"):
        apply_event(project, user, item, _event(item.task.task_id, "accept"))
    assert _revisions(project, clips[0]) == []
    revealed = _event(item.task.task_id, "accept", suggestion_shown=True)
    assert apply_event(project, user, item, revealed).status is RevisionStatus.ACCEPTED


def test_an_editor_that_does_not_say_falls_back_to_the_retype_decision(setup) -> None:
    project, user, clips = setup
    add_suggestion(project, clips[0], HIDDEN)
    item = next_item(project, user)
    assert item is not None and item.retype
    event = _event(item.task.task_id, text="show me sony headphones")
    assert apply_event(project, user, item, event).status is RevisionStatus.TYPED
    with pytest.raises(SubmitError, match="suggestion_shown"):
        parse_event({"action": "submit", "nonce": "n", "task_id": 1, "suggestion_shown": "yes"})


def test_a_submit_that_draws_warnings_is_held_until_confirmed(setup) -> None:
    project, user, clips = setup
    add_suggestion(project, clips[0], GOOD)
    item = next_item(project, user)
    assert item is not None
    held = apply_event(project, user, item, _event(item.task.task_id, text="sony 50 headphones"))
    assert held.held and held.result is None
    assert [w.code.value for w in held.warnings] == ["digits"]
    assert held.checked_text == "sony 50 headphones"
    assert _revisions(project, clips[0]) == []  # nothing saved: the clip stays on screen
    confirmed = _event(item.task.task_id, text="sony 50 headphones", confirm=True)
    saved = apply_event(project, user, item, confirmed)
    assert not saved.held and saved.result is not None
    [rev] = _revisions(project, clips[0])
    assert rev.verbatim == "sony 50 headphones"


def test_a_check_returns_the_warnings_of_the_text_being_typed(setup) -> None:
    project, user, clips = setup
    item = next_item(project, user)
    assert item is not None
    outcome = apply_event(project, user, item, _event(item.task.task_id, "check", text="tv 4k"))
    assert [w.code.value for w in outcome.warnings] == ["digits"]
    clean = apply_event(project, user, item, _event(item.task.task_id, "check", text="a b"))
    assert clean.warnings == () and _revisions(project, clips[0]) == []


def test_existing_transcript_is_the_prefill_and_the_stale_base(setup) -> None:
    project, user, clips = setup
    add_suggestion(project, clips[0], GOOD)
    rev = annotate(project, clips[0], user, "show me sony headphones please")
    item = next_item(project, user)
    assert item is not None
    assert item.base_revision_id == rev and item.prefill == "show me sony headphones please"


def test_unreadable_audio_is_reported_and_the_clip_can_still_be_skipped(setup) -> None:
    project, user, clips = setup
    with project.session() as session:
        clip = session.get(Clip, clips[0])
        assert clip is not None
        rec = session.get(Recording, clip.recording_id)
        assert rec is not None
        broken = Path(rec.source_path).with_name("broken.wav")
        broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio")
        rec.source_path = str(broken)
    item = next_item(project, user)
    assert item is not None and item.media is None
    assert item.audio_error and "broken.wav" in item.audio_error
    outcome = apply_event(project, user, item, _event(item.task.task_id, "skip", reason="noise"))
    assert outcome.status is RevisionStatus.SKIPPED
    [rev] = _revisions(project, clips[0])
    assert rev.status is RevisionStatus.SKIPPED and rev.flags == ["noise"]


def test_oov_flags_name_unknown_words_with_offsets_and_closest_terms() -> None:
    known = known_words(["sony", "headphones", "instax mini twelve", "cuisinart"])
    text = "show me sonyy hedphones and <b>instax</b> from zzqx 12 xq9 wi-fi"
    flags = oov_flags(text, known)
    assert [f.word for f in flags] == ["sonyy", "hedphones", "zzqx"]
    for flag in flags:
        assert text[flag.start : flag.end] == flag.word
    assert flags[0].closest[0] == "sony"
    assert flags[1].closest[0] == "headphones"
    assert flags[2].closest == ()
    assert oov_flags("Sony HEADPHONES don’t", known) == ()


def test_submit_event_writes_one_corrected_revision_and_completes_the_task(setup) -> None:
    project, user, clips = setup
    sid = add_suggestion(project, clips[0], GOOD)
    item = next_item(project, user)
    assert item is not None
    event = _event(item.task.task_id, text="show me sony\nheadphones now", time_spent_s=4.5)
    outcome = apply_event(project, user, item, event)
    assert outcome.status is RevisionStatus.CORRECTED
    assert outcome.suggestion_wer == pytest.approx(1 / 5)
    [rev] = _revisions(project, clips[0])
    assert rev.verbatim == "show me sony headphones now" and rev.user_id == user
    assert rev.suggestion_id == sid and rev.time_spent_s == 4.5
    with project.session() as session:
        task = session.get(Task, item.task.task_id)
        assert task is not None and task.state is TaskState.DONE


@pytest.mark.parametrize(
    ("action", "text", "flags", "status"),
    [
        ("submit", "show me sony headphones", [], RevisionStatus.ACCEPTED),
        ("accept", "ignored text", [], RevisionStatus.ACCEPTED),
        ("submit", "show me sony headphone", ["unsure"], RevisionStatus.FLAGGED),
    ],
)
def test_status_follows_the_action_and_flags(setup, action, text, flags, status) -> None:
    project, user, clips = setup
    add_suggestion(project, clips[0], GOOD)
    item = next_item(project, user)
    assert item is not None
    event = _event(item.task.task_id, action, text=text, flags=flags)
    assert apply_event(project, user, item, event).status is status
    [rev] = _revisions(project, clips[0])
    assert rev.status is status and rev.flags == flags
    expected = "show me sony headphones" if action == "accept" else text
    assert rev.verbatim == expected


def test_refused_events_write_nothing(setup) -> None:
    project, user, clips = setup
    item = next_item(project, user)
    assert item is not None
    with pytest.raises(SubmitError, match="no suggestion to accept"):
        apply_event(project, user, item, _event(item.task.task_id, "accept"))
    with pytest.raises(SubmitError, match="for task 999"):
        apply_event(project, user, item, _event(999, text="x"))
    with pytest.raises(SubmitError, match="skip reason"):
        apply_event(project, user, item, _event(item.task.task_id, "skip", reason="bored"))
    with pytest.raises(SubmitError, match="control character"):
        apply_event(project, user, item, _event(item.task.task_id, text="a\x00b"))
    assert _revisions(project, clips[0]) == []


def test_stale_edit_keeps_the_other_annotators_text(setup) -> None:
    project, user, clips = setup
    item = next_item(project, user)
    assert item is not None
    other = _other_user(project)
    theirs = annotate(project, clips[0], other, "their text")
    with pytest.raises(StaleEditError) as info:
        apply_event(project, user, item, _event(item.task.task_id, text="my text"))
    assert info.value.newer.revision_id == theirs and info.value.newer.verbatim == "their text"
    assert [r.verbatim for r in _revisions(project, clips[0])] == ["their text"]


def test_check_event_flags_words_and_writes_nothing(setup) -> None:
    project, user, clips = setup
    item = next_item(project, user)
    assert item is not None
    outcome = apply_event(project, user, item, _event(item.task.task_id, "check", text="sonyy"))
    assert outcome.result is None and [f.word for f in outcome.oov] == ["sonyy"]
    assert outcome.oov[0].closest[0] == "sony"
    assert _revisions(project, clips[0]) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"action": "explode", "nonce": "1", "task_id": 1}, "unknown"),
        ({"action": "submit", "nonce": "1", "task_id": "1"}, "task_id"),
        ({"action": "submit", "nonce": "1", "task_id": 1, "flags": "unsure"}, "flags"),
        ({"action": "submit", "nonce": "1", "task_id": 1, "text": 5}, "text must be a string"),
    ],
)
def test_parse_event_rejects_malformed_events(value, message) -> None:
    with pytest.raises(SubmitError, match=message):
        parse_event(value)


def test_parse_event_ignores_non_events_and_bad_times() -> None:
    assert parse_event(None) is None and parse_event({"action": "submit"}) is None
    event = parse_event({"action": "check", "nonce": 7, "task_id": 1, "time_spent_s": "nan"})
    assert event is not None and event.action is EditorAction.CHECK
    assert event.nonce == "7" and event.time_spent_s is None


def test_counters_count_the_annotators_own_submits(setup) -> None:
    project, user, _clips = setup
    times = [2.0, 4.0]
    for spent in times:
        item = next_item(project, user)
        assert item is not None
        apply_event(project, user, item, _event(item.task.task_id, text="a b", time_spent_s=spent))
    item = next_item(project, user)
    assert item is not None
    apply_event(project, user, item, _event(item.task.task_id, "skip", reason="no_speech"))
    other = _other_user(project)
    annotate(project, item.task.clip_id, other, "not mine")
    counters = annotator_counters(project, user)
    assert counters.total == 3 and counters.today == 3
    assert dict(counters.by_status) == {"corrected": 2, "skipped": 1}
    assert counters.mean_time_s == pytest.approx(3.0)
    assert counters.queue_left == 0
    with project.session() as session:
        assert session.scalar(select(func.count()).select_from(Revision)) == 4


def test_long_clips_are_cut_for_the_browser(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "long.wav"
    sf.write(path, np.zeros(48_000, dtype=np.float32), 48_000)
    monkeypatch.setattr(clip_media, "MAX_AUDIO_S", 0.5)
    media = clip_media.clip_media(path, 0.0, 1.0)
    assert media.truncated and media.duration_s == pytest.approx(0.5)
    assert set(media.peaks) == {0.0}


def test_logout_gives_back_every_prefetched_lease(setup) -> None:
    project, user, clips = setup
    held = [lease_for(project, user, holding=())]
    held.append(lease_for(project, user, holding={held[0].task_id}))
    assert len({t.clip_id for t in held if t is not None}) == 2
    assert release_leases(project, user) == 2
    other = _other_user(project)
    # Both clips are free again: another annotator gets the best of them.
    assert lease_for(project, other).clip_id == clips[0]
