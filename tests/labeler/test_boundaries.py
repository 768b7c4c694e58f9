"""Clip boundaries: context windows at recording edges, nudges as new versions, queue, the UI."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import write_audio
from tests.factories import add_recording_file
from tests.labeler.app_support import make_accounts, page, texts
from voxcart.datasets.segment.store import SUPERSEDED_TAG
from voxcart.datasets.store import queue
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import add_revision, current_transcripts
from voxcart.datasets.store.schema import Clip, RevisionStatus, Role, Task, TaskState
from voxcart.labeler.accounts import auth
from voxcart.labeler.errors import PermissionDeniedError
from voxcart.labeler.services import boundaries

SR = 16_000
REC_S = 6.0
SPANS = ((0.3, 1.2), (2.0, 1.5), (5.2, 0.8))
"""(offset, duration) of the segment clips: one near each edge of the 6 s recording."""


@pytest.fixture
def segmented(project: Project) -> list[int]:
    """A 6 s recording cut into three segment clips (one near each end); their ids."""
    wav = write_audio(project.root / "media" / "session.wav", seconds=REC_S, kind="noise", seed=5)
    with project.session() as session:
        rec = add_recording_file(session, wav)
        clips = [
            Clip(
                uid=f"session-{round(off * 1000)}",
                recording_id=rec.id,
                offset_s=off,
                duration_s=dur,
                origin="segment",
                lineage={"method": "vad"},
            )
            for off, dur in SPANS
        ]
        session.add_all(clips)
        session.flush()
        add_revision(session, clips[1].id, "show me sony earbuds", RevisionStatus.ACCEPTED)
        return [c.id for c in clips]


def _user(project: Project, role: Role) -> auth.UserView:
    with project.session() as session:
        return auth.create_user(session, role.value, f"pw-{role.value}-12345", role)


def test_context_window_is_cut_at_recording_edges(project, segmented):
    first = boundaries.clip_with_context(project, segmented[0])
    assert first.window_start_s == 0.0
    assert first.clip_start_s == pytest.approx(0.3)
    assert first.clip_end_s == pytest.approx(1.5)
    assert first.audio.size == round(2.5 * SR)
    middle = boundaries.clip_with_context(project, segmented[1])
    assert middle.window_start_s == pytest.approx(1.0)
    assert (middle.clip_start_s, middle.clip_end_s) == pytest.approx((1.0, 2.5))
    assert middle.audio.size == round(3.5 * SR)
    last = boundaries.clip_with_context(project, segmented[2])
    assert last.window_start_s == pytest.approx(4.2)
    assert last.end_s == pytest.approx(REC_S)
    assert last.audio.size == round(1.8 * SR)
    assert last.recording_duration_s == REC_S
    assert not last.superseded and last.superseded_by is None
    # The window's clip span is the clip's own audio.
    clip_audio = boundaries.span_audio(middle, middle.clip_start_s, middle.clip_end_s)
    assert clip_audio.size == round(1.5 * SR)


def test_waveform_marks_the_proposed_span(project, segmented):
    view = boundaries.clip_with_context(project, segmented[1])
    wave = boundaries.waveform(view, 1.0, 2.5, columns=35)
    assert len(wave.peaks) == len(wave.inside) == len(wave.times_s) == 35
    assert sum(wave.inside) == 15  # 1.5 s of 3.5 s in 0.1 s columns
    assert not wave.inside[0] and not wave.inside[-1]


def test_nudge_creates_a_new_version_with_lineage_and_transcript(project, segmented):
    user = _user(project, Role.ANNOTATOR)
    new_id = boundaries.nudge(project, user, segmented[1], -0.25, 0.05)
    with project.session() as session:
        old, new = session.get(Clip, segmented[1]), session.get(Clip, new_id)
        assert (new.offset_s, new.duration_s) == pytest.approx((1.75, 1.8))
        assert new.parent_id == old.id and new.lineage["nudged_from"] == old.uid
        assert new.lineage["user_id"] == user.id
        assert SUPERSEDED_TAG in old.tags and SUPERSEDED_TAG not in new.tags
        copied = current_transcripts(session, [new_id])[new_id]
        assert copied.verbatim == "show me sony earbuds" and copied.user_id == user.id
    view = boundaries.clip_with_context(project, segmented[1])
    assert view.superseded and view.superseded_by == new_id


def test_superseded_clip_is_refused_naming_the_newer_one(project, segmented):
    user = _user(project, Role.REVIEWER)
    new_id = boundaries.nudge(project, user, segmented[0], 0.05, 0.0)
    with pytest.raises(boundaries.BoundaryError, match=f"superseded by clip {new_id}"):
        boundaries.nudge(project, user, segmented[0], 0.05, 0.0)
    # The newest version can be nudged again.
    assert boundaries.nudge(project, user, new_id, 0.05, 0.0) > new_id


@pytest.mark.parametrize(
    ("clip", "start", "end", "message"),
    [
        (0, -0.35, 0.0, "leaves the recording"),
        (2, 0.0, 0.25, "leaves the recording"),
        (2, 0.5, -0.25, "at least 0.2 s"),
        (1, 0.0, 0.0, "nothing to change"),
        (1, float("nan"), 0.0, "finite"),
    ],
)
def test_bad_spans_are_refused_and_nothing_changes(project, segmented, clip, start, end, message):
    user = _user(project, Role.LEAD)
    with pytest.raises(boundaries.BoundaryError, match=message):
        boundaries.nudge(project, user, segmented[clip], start, end)
    with project.session() as session:
        assert session.scalar(select(Clip.id).order_by(Clip.id.desc()).limit(1)) == segmented[-1]


def test_unknown_clip_is_refused(project, segmented):
    with pytest.raises(boundaries.BoundaryError, match="does not exist"):
        boundaries.nudge(project, _user(project, Role.LEAD), 999, 0.1, 0.0)
    with pytest.raises(boundaries.BoundaryError, match="does not exist"):
        boundaries.clip_with_context(project, 999)


def test_nudge_needs_an_active_labeling_role(project, segmented):
    user = _user(project, Role.ANNOTATOR)
    inactive = auth.UserView(
        user.id, user.username, user.display_name, user.role, False, user.created_at
    )
    with pytest.raises(PermissionDeniedError, match="deactivated"):
        boundaries.nudge(project, inactive, segmented[1], 0.1, 0.0)
    with project.session() as session:
        assert session.scalar(select(Clip.id).where(Clip.parent_id == segmented[1])) is None


def test_queue_follows_the_new_version(project, segmented):
    user = _user(project, Role.ANNOTATOR)
    with project.session() as session:
        queue.enqueue(session, [segmented[1]], 0.75)
    new_id = boundaries.nudge(project, user, segmented[1], 0.0, -0.1)
    with project.session() as session:
        tasks = {t.clip_id: t for t in session.scalars(select(Task))}
        assert tasks[segmented[1]].state == TaskState.CANCELLED
        assert tasks[new_id].state == TaskState.PENDING
        assert tasks[new_id].priority == 0.75
    leased = queue.lease_next(project, user.id)
    assert leased is not None and leased.clip_id == new_id
    # A clip that was not queued does not get queued by a nudge.
    other = boundaries.nudge(project, user, segmented[2], 0.1, 0.0)
    with project.session() as session:
        assert session.scalar(select(Task.id).where(Task.clip_id == other)) is None


def test_page_nudges_and_saves_a_new_version(project, segmented, monkeypatch):
    monkeypatch.setenv("VOXCART_PROJECT", str(project.root))
    monkeypatch.delenv("VOXCART_DB", raising=False)
    accounts = make_accounts(project)
    at = page("explore", accounts.annotator)
    at.session_state["voxcart_explore_clip"] = segmented[1]
    at.session_state["voxcart_explore_boundaries"] = True
    at.run()
    assert not at.exception
    assert len(at.get("audio")) >= 2  # the clip player and the context window
    at.button(key=f"voxcart_boundaries_start_{segmented[1]}_-250").click().run()
    at.button(key=f"voxcart_boundaries_end_{segmented[1]}_50").click().run()
    assert "New span: 1.750-3.550 s (1.800 s)" in texts(at)
    at.button(key=f"voxcart_boundaries_save_{segmented[1]}").click().run()
    assert not at.exception
    with project.session() as session:
        new = session.scalars(select(Clip).where(Clip.parent_id == segmented[1])).one()
        assert (new.offset_s, new.duration_s) == pytest.approx((1.75, 1.8))
        assert new.lineage["user_id"] == accounts.annotator
    assert f"Saved as new clip version {new.id}" in texts(at)
    assert f"superseded by clip {new.id}" in texts(at)


def test_page_shows_service_errors(project, segmented, monkeypatch):
    monkeypatch.setenv("VOXCART_PROJECT", str(project.root))
    monkeypatch.delenv("VOXCART_DB", raising=False)
    accounts = make_accounts(project)
    at = page("explore", accounts.reviewer)
    at.session_state["voxcart_explore_clip"] = segmented[2]
    at.session_state["voxcart_explore_boundaries"] = True
    at.run()
    at.button(key=f"voxcart_boundaries_end_{segmented[2]}_250").click().run()
    at.button(key=f"voxcart_boundaries_save_{segmented[2]}").click().run()
    assert "leaves the recording" in "\n".join(e.value for e in at.error)
    with project.session() as session:
        assert session.scalar(select(Clip.id).where(Clip.parent_id == segmented[2])) is None
