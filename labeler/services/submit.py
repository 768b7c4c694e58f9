"""Submitting an annotation: one transaction that appends a revision and completes the task.

A submit names the revision the editor started from (`base_revision_id`); if the clip has a
newer one, the submit is refused with :class:`StaleEditError` instead of overwriting someone
else's work. Undo appends a revision that restores the previous text: history is never
deleted or changed.
"""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.queue import DEFAULT_LEASE_S, LeasedTask, complete, enqueue, resolve_now
from voxcart.datasets.store.revisions import (
    TranscriptView,
    add_revision,
    build_revision,
    current_transcripts,
)
from voxcart.datasets.store.schema import (
    Clip,
    Revision,
    RevisionStatus,
    Suggestion,
    Task,
    TaskState,
)
from voxcart.labeler.errors import NothingToUndoError, StaleEditError, SubmitError
from voxcart.labeler.services import double_annotation
from voxcart.labeler.services.checks import (
    DEFAULT_CHECKS,
    CheckConfig,
    TranscriptWarning,
    check_transcript,
)

TEXT_MAX = 2000
"""Longest transcript accepted (voice queries are a sentence; this catches pasted documents)."""
FLAG_MAX = 64
SUBMIT_SOURCE = "human"
UNDO_SOURCE = "undo"
UNDO_FLAG_PREFIX = "undo-of:"


class SkipReason(enum.StrEnum):
    """Why a clip was skipped instead of transcribed (stored as a revision flag)."""

    NO_SPEECH = "no_speech"
    WRONG_LANGUAGE = "wrong_language"
    MULTIPLE_SPEAKERS = "multiple_speakers"
    NOISE = "noise"
    TRUNCATED = "truncated"
    PERSONAL_DATA = "personal_data"


@dataclass(frozen=True)
class SubmitResult:
    """What a submit wrote."""

    revision_id: int
    clip_id: int
    previous_revision_id: int | None
    task_id: int | None
    task_completed: bool
    """False when there was no task, or it was already done or cancelled."""
    warnings: tuple[TranscriptWarning, ...]
    """The submit-time checks' findings (already saved; shown so the annotator can fix them)."""


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


_WS_CONTROLS_RE = re.compile(r"[\t\n\r\v\f]+")


def clean_text(text: str) -> str:
    """Fold line breaks and tabs to spaces and trim; reject other control characters.

    Raises:
        SubmitError: the text is not a string, is too long, or holds a control character.
    """
    if not isinstance(text, str):
        raise SubmitError(f"text must be a string, got {type(text).__name__}")
    folded = _WS_CONTROLS_RE.sub(" ", text).strip()
    if len(folded) > TEXT_MAX:
        raise SubmitError(f"text has {len(folded)} characters; a transcript has at most {TEXT_MAX}")
    for i, ch in enumerate(folded):
        if unicodedata.category(ch) == "Cc":
            raise SubmitError(
                f"text holds control character U+{ord(ch):04X} at position {i}; remove it"
            )
    return folded


def _clean_flags(flags: Sequence[str]) -> list[str]:
    if isinstance(flags, str):
        raise SubmitError(f"flags={flags!r} must be a list of strings, not one string")
    out: list[str] = []
    for flag in flags:
        if not isinstance(flag, str) or not 1 <= len(flag) <= FLAG_MAX or not flag.isprintable():
            raise SubmitError(f"flag {flag!r}: use printable text of 1 to {FLAG_MAX} characters")
        if flag not in out:
            out.append(flag)
    return out


def _check_skip(status: RevisionStatus, flags: list[str]) -> None:
    reasons = {r.value for r in SkipReason}
    if status is RevisionStatus.SKIPPED and not reasons.intersection(flags):
        raise SubmitError(
            f"a skip needs a reason in flags; use one of: {', '.join(sorted(reasons))}"
        )


def _parse_status(status: RevisionStatus | str) -> RevisionStatus:
    try:
        return RevisionStatus(status)
    except ValueError as exc:
        allowed = ", ".join(s.value for s in RevisionStatus)
        raise SubmitError(f"status {status!r} is unknown; use one of: {allowed}") from exc


def _lock_clip(session: Session | Connection, clip_id: int) -> float:
    """Lock the clip's row and return its duration.

    A no-op UPDATE takes the write lock on SQLite and the row lock on PostgreSQL, so that the
    stale check and the insert after it cannot interleave with another submit of this clip.

    Raises:
        SubmitError: no clip has this id.
    """
    duration = session.execute(_STATEMENTS.lock_clip, {"clip_id": clip_id}).scalar()
    if duration is None:
        raise SubmitError(f"clip {clip_id} does not exist")
    return float(duration)


def _newest(session: Session | Connection, clip_id: int) -> int | None:
    return session.execute(_STATEMENTS.newest, {"clip_id": clip_id}).scalar()


class _Statements:
    """The statements every submit runs, built once (building them cost more than running)."""

    @cached_property
    def lock_clip(self) -> Any:
        return (
            update(Clip)
            .where(Clip.id == bindparam("clip_id"))
            .values(id=Clip.id)
            .returning(Clip.duration_s)
            .execution_options(synchronize_session=False)
        )

    @cached_property
    def newest(self) -> Any:
        return (
            select(Revision.id)
            .where(Revision.clip_id == bindparam("clip_id"))
            .order_by(Revision.id.desc())
            .limit(1)
        )

    @cached_property
    def suggestion_clip(self) -> Any:
        return select(Suggestion.clip_id).where(Suggestion.id == bindparam("suggestion_id"))

    @cached_property
    def insert_revision(self) -> Any:
        return insert(Revision).returning(Revision.id)


_STATEMENTS = _Statements()


def _refuse_if_stale(
    session: Session | Connection, clip_id: int, base_revision_id: int | None
) -> int | None:
    newest = _newest(session, clip_id)
    if newest != base_revision_id:
        if newest is None:
            raise SubmitError(
                f"base_revision_id={base_revision_id} is not a revision of clip {clip_id} "
                "(the clip has none); submit with base_revision_id=None"
            )
        orm = session if isinstance(session, Session) else Session(bind=session)
        raise StaleEditError(
            clip_id, base_revision_id, current_transcripts(orm, [clip_id])[clip_id]
        )
    return newest


def _revision_values(revision: Revision) -> dict[str, object]:
    """The column values of an unsaved revision, for a Core INSERT (defaults fill the rest)."""
    values = {}
    for column in Revision.__table__.columns:
        value = getattr(revision, column.key, None)
        if value is not None:
            values[column.key] = value
    return values


def submit(
    project: Project,
    user_id: int,
    task_id: int | None,
    clip_id: int,
    text: str,
    status: RevisionStatus | str,
    flags: Sequence[str] = (),
    time_spent_s: float | None = None,
    suggestion_id: int | None = None,
    base_revision_id: int | None = None,
    *,
    now: datetime | None = None,
    checks: CheckConfig = DEFAULT_CHECKS,
) -> SubmitResult:
    """Save an annotation as a new revision and complete its task, in one transaction.

    On a clip chosen for double annotation, the first annotator's transcript also queues a
    second, independent pass (see :mod:`voxcart.labeler.services.double_annotation`).

    Args:
        project: the open project.
        user_id: who submits.
        task_id: the leased task, or None for an edit outside the queue.
        clip_id: the clip transcribed.
        text: the transcript as typed; a skip stores an empty transcript.
        status: accepted (suggestion as is), corrected, skipped or flagged.
        flags: free-form flags; a skip must include a :class:`SkipReason` value.
        time_spent_s: seconds the annotator spent, for throughput statistics.
        suggestion_id: the model suggestion the editor started from, if any.
        base_revision_id: the clip's newest revision when the editor loaded it (None if the
            clip had none).
        now: completion time (tests); defaults to the clock.
        checks: thresholds of the submit-time warnings.

    Returns:
        The new revision's id, whether the task was completed, and the checks' warnings.

    Raises:
        StaleEditError: the clip has a newer revision than `base_revision_id`.
        SubmitError: invalid text, status, flags, time, suggestion or clip.
        QueueError: `task_id` does not exist or is for another clip.
    """
    parsed = _parse_status(status)
    clean_flags = _clean_flags(flags)
    _check_skip(parsed, clean_flags)
    body = "" if parsed is RevisionStatus.SKIPPED else clean_text(text)
    if time_spent_s is not None and not (
        isinstance(time_spent_s, int | float) and math.isfinite(time_spent_s) and time_spent_s >= 0
    ):
        raise SubmitError(f"time_spent_s={time_spent_s!r} must be a non-negative number")
    # Normalizing and checking the text are CPU work: done outside the transaction, so that the
    # clip's lock (SQLite: the database's write lock) is held only for the few statements.
    revision = build_revision(
        clip_id,
        body,
        parsed,
        source=SUBMIT_SOURCE,
        user_id=user_id,
        flags=clean_flags,
        time_spent_s=time_spent_s,
        suggestion_id=suggestion_id,
    )
    # Core statements on one connection, not the ORM session: a submit runs for every clip of
    # every annotator, and the session's bookkeeping cost more than the statements.
    with project.engine.begin() as conn:
        if suggestion_id is not None:
            owner = conn.execute(
                _STATEMENTS.suggestion_clip, {"suggestion_id": suggestion_id}
            ).scalar()
            if owner != clip_id:
                raise SubmitError(
                    f"suggestion {suggestion_id} is not a suggestion for clip {clip_id}"
                )
        duration = _lock_clip(conn, clip_id)
        previous = _refuse_if_stale(conn, clip_id, base_revision_id)
        revision.previous_id = previous
        try:
            # The user's foreign key is checked by the INSERT itself (one round trip fewer).
            revision_id = conn.execute(
                _STATEMENTS.insert_revision, _revision_values(revision)
            ).scalar_one()
        except IntegrityError as exc:
            raise SubmitError(f"user id {user_id} does not exist; log in again") from exc
        done = complete(conn, task_id, clip_id, now) if task_id is not None else False
        if project.config.labeling.double_annotation > 0:
            with Session(bind=conn) as session:
                double_annotation.after_submit(
                    session, project.config.labeling, clip_id, parsed, task_id
                )
                session.flush()
    warnings = (
        () if parsed is RevisionStatus.SKIPPED else check_transcript(body, duration, config=checks)
    )
    return SubmitResult(revision_id, clip_id, previous, task_id, done, warnings)


def skip(
    project: Project,
    user_id: int,
    task_id: int | None,
    clip_id: int,
    reason: SkipReason | str,
    base_revision_id: int | None = None,
    time_spent_s: float | None = None,
) -> SubmitResult:
    """Skip a clip for a reason (no speech, wrong language, ...): a `skipped` revision.

    Raises:
        SubmitError: `reason` is not a :class:`SkipReason`.
        StaleEditError: as for :func:`submit`.
    """
    try:
        parsed = SkipReason(reason)
    except ValueError as exc:
        allowed = ", ".join(r.value for r in SkipReason)
        raise SubmitError(f"skip reason {reason!r} is unknown; use one of: {allowed}") from exc
    return submit(
        project,
        user_id,
        task_id,
        clip_id,
        "",
        RevisionStatus.SKIPPED,
        flags=[parsed.value],
        time_spent_s=time_spent_s,
        base_revision_id=base_revision_id,
    )


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
    newest_id = _newest(session, last.clip_id)
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
        _lock_clip(session, last.clip_id)
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


def current(project: Project, clip_id: int) -> TranscriptView | None:
    """The clip's newest revision (what the editor loads, with its id as the base)."""
    with project.session() as session:
        return current_transcripts(session, [clip_id]).get(clip_id)
