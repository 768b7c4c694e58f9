"""Submitting an annotation: one transaction that appends a revision and completes the task.

A submit names the revision the editor started from (`base_revision_id`); if the clip has a
newer one, the submit is refused with :class:`StaleEditError` instead of overwriting someone
else's work. With ``then_lease`` the
submit also leases the annotator's next task in its transaction (see :func:`submit`); undo
lives in :mod:`voxcart.labeler.services.undo`.
"""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voxcart.datasets.store.driver_sql import DriverStatement
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.queue import (
    LeasedTask,
    LeaseRequest,
    complete,
    complete_statement,
    lease_best,
    lease_in,
    lease_params,
    lease_statement,
    leased_task,
    not_completed,
    resolve_now,
)
from voxcart.datasets.store.revisions import (
    TranscriptView,
    current_transcripts,
    revision_values,
)
from voxcart.datasets.store.schema import (
    Clip,
    Revision,
    RevisionStatus,
    Suggestion,
    Task,
)
from voxcart.labeler.errors import StaleEditError, SubmitError
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
    next_task: LeasedTask | None = None
    """With ``then_lease``: the task leased next in the same transaction (None: queue empty)."""


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


def lock_clip(
    session: Session | Connection, clip_id: int, suggestion_id: int | None = None
) -> tuple[float, int | None]:
    """Lock the clip's row; return its duration and the clip of `suggestion_id` (None if none).

    The lock makes the stale check and the insert after it one step for every other submit
    or undo of this clip: SQLite takes its write lock at a no-op UPDATE; PostgreSQL takes the
    row lock with ``SELECT ... FOR UPDATE``, which writes no new row version. The suggestion's
    clip comes back in the same statement (one round trip fewer).

    Raises:
        SubmitError: no clip has this id.
    """
    bind = session.get_bind() if isinstance(session, Session) else session
    postgres = bind.dialect.name == "postgresql"
    statement = _STATEMENTS.lock_clip_pg if postgres else _STATEMENTS.lock_clip
    row = session.execute(
        statement, {"lock_clip_id": clip_id, "suggestion_id": suggestion_id}
    ).first()
    if row is None:
        raise SubmitError(f"clip {clip_id} does not exist")
    return float(row[0]), row[1]


def newest_revision_id(session: Session | Connection, clip_id: int) -> int | None:
    """The id of the clip's newest revision, or None when it has none."""
    return session.execute(_STATEMENTS.newest, {"clip_id": clip_id}).scalar()


_INSERTED = tuple(c for c in Revision.__table__.columns if c.key != "id")


class _Statements:
    """The statements every submit runs, built once (building them cost more than running)."""

    @cached_property
    def suggestion_clip(self) -> Any:
        return (
            select(Suggestion.clip_id)
            .where(Suggestion.id == bindparam("suggestion_id", type_=Integer))
            .scalar_subquery()
        )

    @cached_property
    def lock_clip(self) -> Any:
        return (
            update(Clip)
            .where(Clip.id == bindparam("lock_clip_id"))
            .values(id=Clip.id)
            .returning(Clip.duration_s, self.suggestion_clip)
            .execution_options(synchronize_session=False)
        )

    @cached_property
    def lock_clip_pg(self) -> Any:
        return (
            select(Clip.duration_s, self.suggestion_clip)
            .where(Clip.id == bindparam("lock_clip_id"))
            .with_for_update(of=Clip)
        )

    @cached_property
    def lock_and_complete_pg(self) -> Any:
        done = complete_statement().returning(Task.id).cte("done")
        completed = select(func.count()).select_from(done).scalar_subquery()
        return self.lock_clip_pg.add_columns(completed)

    @cached_property
    def lock_and_complete_pg_driver(self) -> DriverStatement:
        return DriverStatement(self.lock_and_complete_pg)

    @cached_property
    def insert_if_current_driver(self) -> DriverStatement:
        return DriverStatement(self.insert_if_current)

    @cached_property
    def newest(self) -> Any:
        return (
            select(Revision.id)
            .where(Revision.clip_id == bindparam("clip_id"))
            .order_by(Revision.id.desc())
            .limit(1)
        )

    @cached_property
    def insert_if_current(self) -> Any:
        # INSERT ... SELECT ... WHERE the clip's newest revision is still the editor's base:
        # the stale check and the insert in one statement (the clip's lock is already held).
        newest = select(func.max(Revision.id)).where(Revision.clip_id == bindparam("v_clip_id"))
        base = bindparam("v_previous_id", type_=Integer)
        values = select(*(bindparam(f"v_{c.key}", type_=c.type) for c in _INSERTED)).where(
            newest.scalar_subquery().is_not_distinct_from(base)
        )
        return insert(Revision).from_select(list(_INSERTED), values).returning(Revision.id)


_STATEMENTS = _Statements()


def _refuse_if_stale(
    session: Session | Connection, clip_id: int, base_revision_id: int | None
) -> int | None:
    newest = newest_revision_id(session, clip_id)
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


def _insert_values(revision: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A new revision's column values (:func:`revision_values`) created at `now`, under the
    names `insert_if_current` binds."""
    row = {**revision, "created_at": now}
    return {f"v_{column.key}": row[column.key] for column in _INSERTED}


@dataclass(frozen=True)
class _Write:
    """What a submit writes, checked and built outside the transaction."""

    user_id: int
    task_id: int | None
    clip_id: int
    suggestion_id: int | None
    values: dict[str, Any]
    """The revision's columns as `insert_if_current` binds them."""
    at: datetime

    @property
    def base_revision_id(self) -> int | None:
        """The revision the editor started from (the new revision's ``previous_id``)."""
        base: int | None = self.values["v_previous_id"]
        return base


@dataclass(frozen=True)
class _Written:
    duration: float
    revision_id: int
    done: bool
    next_task: LeasedTask | None = None
    leased: bool = False
    """True when the write already tried the lease (`next_task` None: nothing claimed)."""


def _check_suggestion(write: _Write, owner: int | None) -> None:
    if write.suggestion_id is not None and owner != write.clip_id:
        raise SubmitError(
            f"suggestion {write.suggestion_id} is not a suggestion for clip {write.clip_id}"
        )


def _inserted(conn: Connection, write: _Write, revision_id: int | None) -> int:
    """`revision_id`, or the reason the conditional INSERT wrote nothing."""
    if revision_id is None:
        _refuse_if_stale(conn, write.clip_id, write.base_revision_id)  # raises: base stale
        raise SubmitError(f"clip {write.clip_id} changed during the submit; submit again")
    return int(revision_id)


def _unknown_user(write: _Write, exc: IntegrityError) -> SubmitError:
    # The user's foreign key is checked by the INSERT itself (one round trip fewer).
    return SubmitError(f"user id {write.user_id} does not exist; log in again")


def _write_portable(conn: Connection, write: _Write) -> _Written:
    """Lock, insert if the base is current, complete: three statements (SQLite)."""
    duration, owner = lock_clip(conn, write.clip_id, write.suggestion_id)
    _check_suggestion(write, owner)
    try:
        revision_id = conn.execute(_STATEMENTS.insert_if_current, write.values).scalar()
    except IntegrityError as exc:
        raise _unknown_user(write, exc) from exc
    inserted = _inserted(conn, write, revision_id)
    done = (
        complete(conn, write.task_id, write.clip_id, write.at)
        if write.task_id is not None
        else False
    )
    return _Written(duration, inserted, done)


def _write_postgres(conn: Connection, write: _Write, then_lease: LeaseRequest | None) -> _Written:
    """Two statements on PostgreSQL: lock the clip and complete the task; then insert if the
    base is current and (with `then_lease`) lease the next task.

    The INSERT must come in a statement after the lock: PostgreSQL reads with the snapshot its
    statement started with, so only a later statement sees a revision that a concurrent submit
    of this clip committed while this one waited for the lock. Everything else rides along in
    common table expressions; a stale base rolls all of it back.
    """
    # Both statements run prebuilt on the driver (driver_sql): through SQLAlchemy's execution
    # they cost more client CPU than everything else a submit does.
    row = _STATEMENTS.lock_and_complete_pg_driver.first(
        conn,
        {
            "lock_clip_id": write.clip_id,
            "suggestion_id": write.suggestion_id,
            "b_task_id": write.task_id,
            "b_clip_id": write.clip_id,
            "b_at": write.at,
        },
    )
    if row is None:
        raise SubmitError(f"clip {write.clip_id} does not exist")
    duration, owner, completed = row
    _check_suggestion(write, owner)
    done = bool(completed)
    if write.task_id is not None and not done:
        done = not_completed(conn, write.task_id, write.clip_id)
    values = write.values
    try:
        if then_lease is None:
            inserted_row = _STATEMENTS.insert_if_current_driver.first(conn, values)
            revision_id = None if inserted_row is None else inserted_row[0]
            return _Written(float(duration), _inserted(conn, write, revision_id), done)
        params = lease_params(then_lease, write.user_id, write.at)
        statement = _insert_and_lease(then_lease.kinds, then_lease.resume)
        found = statement.first(conn, {**values, **params})
        if found is None:  # the statement selects from a one-row table: never empty
            raise SubmitError(f"clip {write.clip_id}: the submit's statement returned no row")
    except IntegrityError as exc:
        raise _unknown_user(write, exc) from exc
    inserted = _inserted(conn, write, found[0])
    next_task = leased_task(found[1:], params) if found[1] is not None else None
    return _Written(float(duration), inserted, done, next_task, leased=True)


@lru_cache(maxsize=8)
def _insert_and_lease(kinds: tuple[str, ...], resume: bool) -> DriverStatement:
    inserted = _STATEMENTS.insert_if_current.cte("inserted")
    leased = lease_statement(LeaseRequest(kinds, resume=resume)).cte("leased")
    one = select(literal_column("1").label("one")).subquery("one")
    return DriverStatement(
        select(
            select(inserted.c.id).scalar_subquery(),
            leased.c.id,
            leased.c.clip_id,
            leased.c.kind,
            leased.c.priority,
            leased.c.round_id,
        ).select_from(one.outerjoin(leased, true()))
    )


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
    then_lease: LeaseRequest | None = None,
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
        then_lease: lease the user's next task in the same transaction (the annotator's
            submit->next in one database round of BEGIN ... COMMIT); it comes back as
            ``next_task``. Undone with the submit if the submit fails.

    Returns:
        The new revision's id, whether the task was completed, the checks' warnings and,
        with `then_lease`, the next task.

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
    at = resolve_now(now)
    revision = revision_values(
        clip_id,
        body,
        parsed,
        source=SUBMIT_SOURCE,
        user_id=user_id,
        flags=clean_flags,
        time_spent_s=time_spent_s,
        suggestion_id=suggestion_id,
        previous_id=base_revision_id,
    )
    write = _Write(user_id, task_id, clip_id, suggestion_id, _insert_values(revision, at), at)
    double = project.config.labeling.double_annotation > 0
    # Core statements on one connection, not the ORM session: a submit runs for every clip of
    # every annotator, and the session's bookkeeping cost more than the statements.
    with project.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # With double annotation the lease waits for after_submit (below), so that it sees
            # this revision and never offers the user a second pass of their own clip.
            written = _write_postgres(conn, write, None if double else then_lease)
        else:
            written = _write_portable(conn, write)
        next_task = written.next_task
        if double:
            with Session(bind=conn) as session:
                double_annotation.after_submit(
                    session, project.config.labeling, clip_id, parsed, task_id
                )
                session.flush()
        if then_lease is not None and next_task is None and (double or not written.leased):
            # The next clip is leased in the same transaction: one BEGIN/COMMIT per cycle.
            next_task = lease_in(conn, user_id, then_lease, at)
    if then_lease is not None and next_task is None:
        # Nothing claimed in the transaction: the queue is empty, or the chosen task changed
        # state in between (rare); lease_best tells the two apart and retries the second.
        next_task = lease_best(
            project, user_id, then_lease.kinds, then_lease.lease_s, now, resume=then_lease.resume
        )
    duration, revision_id, done = written.duration, written.revision_id, written.done
    warnings = (
        () if parsed is RevisionStatus.SKIPPED else check_transcript(body, duration, config=checks)
    )
    return SubmitResult(
        revision_id, clip_id, base_revision_id, task_id, done, warnings, next_task=next_task
    )


def skip(
    project: Project,
    user_id: int,
    task_id: int | None,
    clip_id: int,
    reason: SkipReason | str,
    base_revision_id: int | None = None,
    time_spent_s: float | None = None,
    *,
    then_lease: LeaseRequest | None = None,
) -> SubmitResult:
    """Skip a clip for a reason (no speech, wrong language, ...): a `skipped` revision.

    `then_lease` leases the next task in the same transaction, as for :func:`submit`.

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
        then_lease=then_lease,
    )


def current(project: Project, clip_id: int) -> TranscriptView | None:
    """The clip's newest revision (what the editor loads, with its id as the base)."""
    with project.session() as session:
        return current_transcripts(session, [clip_id]).get(clip_id)
