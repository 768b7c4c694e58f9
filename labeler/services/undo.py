"""Undoing a submit: a new revision that restores the text before it, and the clip back in the
annotator's hands. History is never deleted or changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.queue import DEFAULT_LEASE_S, LeasedTask, enqueue, resolve_now
from voxcart.datasets.store.revisions import add_revision, current_transcripts
from voxcart.datasets.store.schema import Revision, RevisionStatus, Task, TaskState
from voxcart.labeler.errors import NothingToUndoError, StaleEditError
from voxcart.labeler.services.submit import SUBMIT_SOURCE, lock_clip, newest_revision_id

UNDO_SOURCE = "undo"
UNDO_FLAG_PREFIX = "undo-of:"


@dataclass(frozen=True)
class UndoResult:
    """What an undo wrote."""

    revision_id: int
    clip_id: int
    undone_revision_id: int
    restored_revision_id: int | None
    """The revision whose text is back; None when the clip had no transcript before."""
    task: LeasedTask | None
    """The clip's new annotation task, leased to the user so they can redo it at once."""
    undone_text: str = ""
    """The text of the undone revision: what the annotator had typed, for the editor."""


def _undone_ids(session: Session, user_id: int) -> set[int]:
    flags = session.scalars(
        select(Revision.flags).where(Revision.user_id == user_id, Revision.source == UNDO_SOURCE)
    )
    return {
        int(rest)
        for fl in flags
        for f in fl or []
        if (rest := str(f).removeprefix(UNDO_FLAG_PREFIX)) != str(f) and rest.isdigit()
    }


def _last_submit(session: Session, user_id: int) -> Revision:
    undone = _undone_ids(session, user_id)
    rows = session.scalars(
        select(Revision)
        .where(Revision.user_id == user_id, Revision.source == SUBMIT_SOURCE)
        .order_by(Revision.id.desc())
        .limit(len(undone) + 1)
    )
    for row in rows:
        if row.id not in undone:
            return row
    raise NothingToUndoError(f"user {user_id} has no submitted annotation left to undo")


def _undone_by(revision: Revision) -> int | None:
    for flag in revision.flags or []:
        rest = str(flag).removeprefix(UNDO_FLAG_PREFIX)
        if rest != str(flag) and rest.isdigit():
            return int(rest)
    return None


def _refuse_undo_if_stale(session: Session, last: Revision) -> None:
    newest_id = newest_revision_id(session, last.clip_id)
    newest = session.get(Revision, newest_id) if newest_id is not None else None
    if newest is None or newest.id == last.id:
        return
    # An undo revision of an older submit shows that submit's predecessor again; if that is
    # `last`, the clip still shows `last`'s text and undoing it discards nobody's work.
    undone_id = _undone_by(newest) if newest.source == UNDO_SOURCE else None
    undone = session.get(Revision, undone_id) if undone_id is not None else None
    if undone is not None and undone.previous_id == last.id:
        return
    raise StaleEditError(
        last.clip_id, last.id, current_transcripts(session, [last.clip_id])[last.clip_id]
    )


def _restorable_flags(before: Revision | None) -> list[str]:
    if before is None:
        return []
    return [f for f in before.flags or [] if not str(f).startswith(UNDO_FLAG_PREFIX)]


def _requeue(
    session: Session, user_id: int, clip_id: int, lease_s: float, now: datetime
) -> LeasedTask | None:
    last = session.scalar(
        select(Task)
        .where(Task.clip_id == clip_id, Task.state == TaskState.DONE)
        .order_by(Task.id.desc())
        .limit(1)
    )
    kind = last.kind if last is not None else "annotate"
    result = enqueue(
        session,
        [clip_id],
        last.priority if last is not None else 0.0,
        kind=kind,
        round_id=last.round_id if last is not None else None,
    )
    if not result.created:
        return None
    task = session.get(Task, result.created[0])
    if task is None:
        return None
    until = now + timedelta(seconds=lease_s)
    task.state = TaskState.LEASED
    task.leased_by = user_id
    task.lease_expires_at = until
    session.flush()
    return LeasedTask(task.id, clip_id, kind, float(task.priority), task.round_id, user_id, until)


def undo_last(
    project: Project, user_id: int, lease_s: float = DEFAULT_LEASE_S, now: datetime | None = None
) -> UndoResult:
    """Undo the user's newest submit that is not undone yet, by appending a revision.

    The new revision copies the text, status and flags of the revision before the undone
    one (or, if there was none, is an empty `flagged` revision marked not human, so that the
    clip counts as unlabelled for exports). The clip is queued again and its task leased to
    the user. Undoing twice undoes the two most recent submits.

    Raises:
        NothingToUndoError: the user has no submit left to undo.
        StaleEditError: someone wrote a newer revision of that clip since; undoing would
            discard their work.
    """
    at = resolve_now(now)
    with project.session() as session:
        last = _last_submit(session, user_id)
        lock_clip(session, last.clip_id)
        _refuse_undo_if_stale(session, last)
        before = session.get(Revision, last.previous_id) if last.previous_id else None
        marker = [f"{UNDO_FLAG_PREFIX}{last.id}"]
        revision = add_revision(
            session,
            last.clip_id,
            before.verbatim if before else "",
            before.status if before else RevisionStatus.FLAGGED,
            source=UNDO_SOURCE,
            user_id=user_id,
            flags=[*_restorable_flags(before), *marker],
            suggestion_id=before.suggestion_id if before else None,
            is_human=before.is_human if before else False,
            note=f"undo of revision {last.id}",
        )
        task = _requeue(session, user_id, last.clip_id, lease_s, at)
        return UndoResult(
            revision_id=revision.id,
            clip_id=last.clip_id,
            undone_revision_id=last.id,
            restored_revision_id=before.id if before else None,
            task=task,
            undone_text=last.verbatim,
        )
