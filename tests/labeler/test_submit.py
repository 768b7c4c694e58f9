"""Submitting: one revision per call, task completion, stale edits, skips and undo."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from tests.labeler.helpers import make_clips, make_users
from voxcart.datasets.errors import QueueError
from voxcart.datasets.store.project import Project, make_engine
from voxcart.datasets.store.queue import enqueue, lease_next
from voxcart.datasets.store.revisions import history
from voxcart.datasets.store.schema import (
    ModelVersion,
    Revision,
    RevisionStatus,
    Suggestion,
    Task,
    TaskState,
)
from voxcart.labeler.errors import NothingToUndoError, StaleEditError, SubmitError
from voxcart.labeler.services.checks import WarningCode
from voxcart.labeler.services.submit import SkipReason, current, skip, submit
from voxcart.labeler.services.undo import undo_last

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def project(request: pytest.FixtureRequest, project: Project) -> Project:
    """Every test here on both stores: PostgreSQL's submit runs its own statements, prebuilt on
    the driver (see voxcart.datasets.store.driver_sql)."""
    if request.param == "sqlite":
        return project
    pg: Project = request.getfixturevalue("pg_project")
    return pg


def _revisions(project: Project) -> int:
    with project.session() as s:
        return int(s.scalar(select(func.count(Revision.id))) or 0)


def _queued(project: Project, n: int = 2) -> tuple[list[int], int]:
    clips = make_clips(project, n)
    (user,) = make_users(project, 1)
    with project.session() as s:
        enqueue(s, clips, 1.0)
    return clips, user


def test_submit_writes_one_revision_and_completes_the_task(project: Project) -> None:
    _clips, user = _queued(project)
    task = lease_next(project, user, now=T0)
    assert task is not None
    result = submit(
        project, user, task.task_id, task.clip_id, "sony earbuds", "corrected", time_spent_s=4.5
    )
    assert _revisions(project) == 1
    assert result.task_completed and result.previous_revision_id is None
    view = current(project, task.clip_id)
    assert view is not None and view.revision_id == result.revision_id
    assert view.verbatim == "sony earbuds" and view.user_id == user
    with project.session() as s:
        done = s.get(Task, task.task_id)
        assert done is not None and done.state is TaskState.DONE and done.completed_at
    # The clip is not served again.
    nxt = lease_next(project, user, now=T0)
    assert nxt is not None and nxt.clip_id != task.clip_id


def test_stale_edit_is_refused_with_the_newer_revision(project: Project) -> None:
    (clip,) = make_clips(project, 1)
    alice, bob = make_users(project, 2)
    first = submit(project, alice, None, clip, "red shoes", "corrected")
    # Bob loaded the clip before Alice saved, so his base is None.
    with pytest.raises(StaleEditError) as info:
        submit(project, bob, None, clip, "red shoe", "corrected", base_revision_id=None)
    assert info.value.newer.revision_id == first.revision_id
    assert info.value.newer.verbatim == "red shoes"
    assert _revisions(project) == 1  # nothing was overwritten or added
    second = submit(
        project, bob, None, clip, "red shoe", "corrected", base_revision_id=first.revision_id
    )
    assert second.previous_revision_id == first.revision_id
    with pytest.raises(SubmitError, match="not a revision"):
        submit(
            project,
            bob,
            None,
            make_clips(project, 1, tag="x")[0],
            "a",
            "corrected",
            base_revision_id=first.revision_id,
        )


def test_submit_rejects_bad_input_and_writes_nothing(project: Project) -> None:
    (clip,) = make_clips(project, 1)
    (user,) = make_users(project, 1)
    with pytest.raises(SubmitError, match="status"):
        submit(project, user, None, clip, "x", "great")
    with pytest.raises(SubmitError, match="control character"):
        submit(project, user, None, clip, "bad\x00text", "corrected")
    with pytest.raises(SubmitError, match="does not exist"):
        submit(project, user, None, 12345, "x", "corrected")
    with pytest.raises(SubmitError, match="user id"):
        submit(project, 999, None, clip, "x", "corrected")
    with pytest.raises(SubmitError, match="time_spent_s"):
        submit(project, user, None, clip, "x", "corrected", time_spent_s=-1.0)
    with pytest.raises(SubmitError, match="suggestion"):
        submit(project, user, None, clip, "x", "accepted", suggestion_id=77)
    with pytest.raises(SubmitError, match="skip needs a reason"):
        submit(project, user, None, clip, "", "skipped")
    assert _revisions(project) == 0


def test_hostile_text_is_stored_verbatim_and_line_breaks_fold(project: Project) -> None:
    (clip,) = make_clips(project, 1)
    (user,) = make_users(project, 1)
    hostile = "=cmd|' /C calc'!A0 <b>x</b>\r\nnext"
    result = submit(project, user, None, clip, hostile, "corrected")
    view = current(project, clip)
    assert view is not None and view.verbatim == "=cmd|' /C calc'!A0 <b>x</b> next"
    assert {w.code for w in result.warnings} >= {WarningCode.DISALLOWED_CHARS}


def test_submit_records_suggestion_and_returns_warnings(project: Project) -> None:
    (clip,) = make_clips(project, 1)
    (user,) = make_users(project, 1)
    with project.session() as s:
        model = ModelVersion(name="m1", backend="test")
        s.add(model)
        s.flush()
        sug = Suggestion(clip_id=clip, model_version_id=model.id, text="show me 4 tvs")
        s.add(sug)
        s.flush()
        sug_id = sug.id
    result = submit(project, user, None, clip, "show me 4 tvs", "accepted", suggestion_id=sug_id)
    assert [w.code for w in result.warnings] == [WarningCode.DIGITS]
    with project.session() as s:
        rev = s.get(Revision, result.revision_id)
        assert rev is not None and rev.suggestion_id == sug_id


def test_skip_stores_reason_and_no_text(project: Project) -> None:
    _clips, user = _queued(project, 1)
    task = lease_next(project, user, now=T0)
    assert task is not None
    result = skip(project, user, task.task_id, task.clip_id, SkipReason.PERSONAL_DATA)
    view = current(project, task.clip_id)
    assert view is not None and view.status is RevisionStatus.SKIPPED and view.verbatim == ""
    with project.session() as s:
        rev = s.get(Revision, result.revision_id)
        assert rev is not None and rev.flags == ["personal_data"]
    assert result.task_completed
    with pytest.raises(SubmitError, match="unknown"):
        skip(project, user, None, task.clip_id, "boring")


def test_undo_appends_restores_and_requeues(project: Project) -> None:
    clips, user = _queued(project, 2)
    task = lease_next(project, user, now=T0)
    assert task is not None
    clip = task.clip_id
    r1 = submit(project, user, task.task_id, clip, "blue jeans", "corrected")
    other = next(c for c in clips if c != clip)
    r2 = submit(project, user, None, other, "green hat", "corrected")
    r3 = submit(
        project, user, None, clip, "blue jean", "corrected", base_revision_id=r1.revision_id
    )

    undo = undo_last(project, user, now=T0)
    assert undo.undone_revision_id == r3.revision_id
    assert undo.restored_revision_id == r1.revision_id
    assert undo.undone_text == "blue jean"  # what the annotator typed, for the editor
    view = current(project, clip)
    assert view is not None and view.verbatim == "blue jeans" and view.source == "undo"
    # Appended, never deleted: every revision is still there.
    with project.session() as s:
        kept = [v.revision_id for v in history(s, clip)]
    assert kept == [r1.revision_id, r3.revision_id, undo.revision_id]
    assert _revisions(project) == 4
    # The clip is queued again and leased to the user, so they can redo it at once.
    assert undo.task is not None and undo.task.clip_id == clip and undo.task.user_id == user

    second = undo_last(project, user, now=T0)
    assert second.undone_revision_id == r2.revision_id and second.restored_revision_id is None
    gone = current(project, other)
    assert gone is not None and gone.verbatim == "" and gone.status is RevisionStatus.FLAGGED
    assert not gone.is_human

    third = undo_last(project, user, now=T0)
    assert third.undone_revision_id == r1.revision_id
    with pytest.raises(NothingToUndoError):
        undo_last(project, user, now=T0)
    assert _revisions(project) == 6


def test_undo_refuses_to_discard_someone_elses_newer_work(project: Project) -> None:
    (clip,) = make_clips(project, 1)
    alice, bob = make_users(project, 2)
    mine = submit(project, alice, None, clip, "usb cable", "corrected")
    submit(project, bob, None, clip, "usb cables", "corrected", base_revision_id=mine.revision_id)
    with pytest.raises(StaleEditError):
        undo_last(project, alice, now=T0)
    assert _revisions(project) == 2


def _race_two_submits(project: Project) -> None:
    (clip,) = make_clips(project, 1)
    users = make_users(project, 2)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def work(user: int) -> None:
        engine = make_engine(project.db_url)
        own = Project(project.root, project.config, project.db_url, engine, sessionmaker(engine))
        try:
            barrier.wait()
            submit(own, user, None, clip, f"text by {user}", "corrected", base_revision_id=None)
            outcomes.append("saved")
        except StaleEditError:
            outcomes.append("stale")
        finally:
            own.close()

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["saved", "stale"]
    assert _revisions(project) == 1


def test_simultaneous_submits_on_one_clip_never_both_win(project: Project) -> None:
    _race_two_submits(project)


def test_task_of_another_clip_rolls_the_whole_submit_back(project: Project) -> None:
    clips, user = _queued(project, 2)
    task = lease_next(project, user, now=T0)
    assert task is not None
    other = next(c for c in clips if c != task.clip_id)
    with pytest.raises(QueueError, match="not clip"):
        submit(project, user, task.task_id, other, "red shoes", "corrected")
    assert _revisions(project) == 0  # the revision written before the task check is gone


def test_expired_lease_work_is_kept_and_the_new_holder_sees_it(project: Project) -> None:
    (clip,) = make_clips(project, 1)
    alice, bob = make_users(project, 2)
    with project.session() as s:
        enqueue(s, [clip], 1.0)
    slow = lease_next(project, alice, lease_s=60, now=T0)
    fast = lease_next(project, bob, now=T0 + timedelta(seconds=61))
    assert slow is not None and fast is not None and slow.task_id == fast.task_id
    saved = submit(project, alice, slow.task_id, clip, "hdmi cable", "corrected")
    assert saved.task_completed
    with pytest.raises(StaleEditError) as info:
        submit(project, bob, fast.task_id, clip, "hdmi cables", "corrected")
    assert info.value.newer.verbatim == "hdmi cable"
    retry = submit(
        project,
        bob,
        fast.task_id,
        clip,
        "hdmi cables",
        "corrected",
        base_revision_id=saved.revision_id,
    )
    assert not retry.task_completed and _revisions(project) == 2


def test_submit_by_an_unknown_user_is_refused_and_stores_nothing(project: Project) -> None:
    (clip,) = make_clips(project, 1)
    with pytest.raises(SubmitError, match="does not exist; log in again"):
        submit(project, 999_999, None, clip, "red shoes", "corrected")
    assert _revisions(project) == 0
