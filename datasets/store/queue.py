"""The work queue: enqueue clips, lease the next one atomically, renew, release, complete.

A task is leased by a conditional UPDATE (``WHERE id = :id AND (pending OR lease expired)``)
whose row count says whether this caller won; a loser tries the next candidate. That is
portable (SQLite serializes writers; PostgreSQL re-checks the WHERE on the newest row version
under READ COMMITTED), so two annotators never hold the same task. An abandoned lease simply
expires: the task becomes leasable again without any sweeper.

Candidates are read through the ``(kind, state, priority)`` index, highest priority first, a
few at a time, so that leasing costs the same on a queue of ten or a million tasks. A lone
annotator gets tasks in strict priority order; under contention a loser takes one of the next
few best. Among tasks of equal priority the order is unspecified.

Tasks of kind :data:`SECOND_PASS_KIND` (double annotation) are never leased to a user who
already wrote a revision of the clip: both the candidate read and the claiming UPDATE carry a
``NOT EXISTS`` over that user's revisions of the task's clip, so the rule holds atomically.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Result,
    and_,
    exists,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session

from voxcart.datasets.errors import LeaseLostError, QueueBusyError, QueueError
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import (
    OPEN_TASK_SQL,
    OPEN_TASK_STATES,
    ALRound,
    Clip,
    Revision,
    Task,
    TaskState,
    utcnow,
)

DEFAULT_LEASE_S = 600
"""How long a leased task stays reserved without a renewal."""
MAX_LEASE_S = 24 * 3600
_CANDIDATES = 8
# After losing the best and one other candidate, fresh candidates beat stale ones.
_TRIES_PER_READ = 2
_MAX_ROUNDS = 100
_CHUNK = 500
KIND_MAX = 16
SECOND_PASS_KIND = "second"
"""Queue of second, independent annotations; never leased to someone who wrote the clip."""


@dataclass(frozen=True)
class LeasedTask:
    """A task reserved for one user until `lease_expires_at`."""

    task_id: int
    clip_id: int
    kind: str
    priority: float
    round_id: int | None
    user_id: int
    lease_expires_at: datetime


@dataclass(frozen=True)
class EnqueueResult:
    """What :func:`enqueue` did."""

    created: tuple[int, ...]
    """Ids of the new tasks."""
    already_open: tuple[int, ...]
    """Clip ids that already had a pending or leased task of this kind (left unchanged)."""


def resolve_now(now: datetime | None) -> datetime:
    """`now` in UTC, or the current time when None.

    Raises:
        QueueError: `now` is a naive datetime.
    """
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise QueueError(f"now={now!r} has no timezone; pass an aware datetime (UTC)")
    return now.astimezone(UTC)


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes; the store writes UTC only.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not 1 <= len(kind) <= KIND_MAX or not kind.isprintable():
        raise QueueError(f"kind={kind!r}: use a printable name of 1 to {KIND_MAX} characters")
    return kind


def _check_lease_s(lease_s: float) -> float:
    if not (isinstance(lease_s, int | float) and 0 < lease_s <= MAX_LEASE_S):
        raise QueueError(f"lease_s={lease_s!r}: use a number of seconds in (0, {MAX_LEASE_S}]")
    return float(lease_s)


def _check_priority(clip_id: int, priority: float) -> float:
    if not isinstance(priority, int | float) or not math.isfinite(priority):
        raise QueueError(f"priority {priority!r} of clip {clip_id} must be a finite number")
    return float(priority)


def task_is_open() -> ColumnElement[bool]:
    """The condition on a task that is open (pending or leased)."""
    return Task.state.in_(OPEN_TASK_STATES)


def _rowcount(result: Result[Any]) -> int:
    # UPDATE results are cursor results; the generic Result type does not declare rowcount.
    return int(cast(CursorResult[Any], result).rowcount)


def enqueue(
    session: Session,
    clip_ids: Iterable[int],
    priority: float | Mapping[int, float],
    kind: str = "annotate",
    round_id: int | None = None,
) -> EnqueueResult:
    """Add a task per clip, skipping clips that already have an open task of this kind.

    Idempotent while a task is open (pending or leased): enqueuing the same clips twice
    creates no duplicates. A clip whose task was completed or cancelled gets a new task.

    Args:
        session: the caller's transaction (committed by the caller).
        clip_ids: clips to queue; duplicates are ignored.
        priority: one priority for all, or a priority per clip id; higher is served first.
        kind: queue name, e.g. "annotate" or "review".
        round_id: the active-learning round that selected these clips, if any.

    Raises:
        QueueError: an unknown clip or round id, a missing or non-finite priority, or a bad
            kind. Nothing is queued then.
    """
    _check_kind(kind)
    if round_id is not None and session.get(ALRound, round_id) is None:
        raise QueueError(f"round_id={round_id} names no active-learning round; create it first")
    ids = list(dict.fromkeys(int(c) for c in clip_ids))
    priorities: dict[int, float] = {}
    for cid in ids:
        if isinstance(priority, Mapping):
            if cid not in priority:
                raise QueueError(f"priority mapping has no entry for clip {cid}; add one")
            priorities[cid] = _check_priority(cid, priority[cid])
        else:
            priorities[cid] = _check_priority(cid, priority)
    open_clips: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        known = set(session.scalars(select(Clip.id).where(Clip.id.in_(chunk))))
        missing = [c for c in chunk if c not in known]
        if missing:
            raise QueueError(f"clip id(s) {missing[:10]} do not exist; nothing was queued")
        open_clips.update(
            session.scalars(
                select(Task.clip_id).where(
                    Task.clip_id.in_(chunk), Task.kind == kind, task_is_open()
                )
            )
        )
    rows = [
        {
            "clip_id": cid,
            "kind": kind,
            "priority": priorities[cid],
            "round_id": round_id,
            "state": TaskState.PENDING,
            "created_at": utcnow(),
        }
        for cid in ids
        if cid not in open_clips
    ]
    created: dict[int, int] = {}
    statement = _insert_open_task(session)
    for start in range(0, len(rows), _CHUNK * 10):
        # Bulk INSERT ... ON CONFLICT DO NOTHING RETURNING: a clip that another process queued
        # since the check above is skipped by the partial unique index, not queued twice.
        for task_id, clip_id in session.execute(statement, rows[start : start + _CHUNK * 10]):
            created[int(clip_id)] = int(task_id)
    return EnqueueResult(
        created=tuple(created[c] for c in ids if c in created),
        already_open=tuple(c for c in ids if c not in created),
    )


def _insert_open_task(session: Session) -> Any:
    """INSERT into tasks that skips a clip already holding an open task of the same kind."""
    where = text(OPEN_TASK_SQL)
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return (
            pg_insert(Task)
            .on_conflict_do_nothing(index_elements=["clip_id", "kind"], index_where=where)
            .returning(Task.id, Task.clip_id)
        )
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return (
        sqlite_insert(Task)
        .on_conflict_do_nothing(index_elements=["clip_id", "kind"], index_where=where)
        .returning(Task.id, Task.clip_id)
    )


@dataclass(frozen=True)
class _Candidate:
    task_id: int
    priority: float
    clip_id: int
    round_id: int | None


def _leasable_by(kind: str, user_id: int) -> ColumnElement[bool]:
    """Extra condition on the tasks of `kind` that `user_id` may lease (always true but one)."""
    if kind != SECOND_PASS_KIND:
        return true()
    written = exists().where(Revision.clip_id == Task.clip_id, Revision.user_id == user_id)
    return ~written


def _candidates(session: Session, kind: str, now: datetime, user_id: int) -> list[_Candidate]:
    # Two index range scans instead of one OR, so that each stays an ordered index walk.
    columns = (Task.id, Task.priority, Task.clip_id, Task.round_id)
    allowed = _leasable_by(kind, user_id)
    pending = session.execute(
        select(*columns)
        .where(Task.kind == kind, Task.state == TaskState.PENDING, allowed)
        .order_by(Task.priority.desc())
        .limit(_CANDIDATES)
    ).all()
    expired = session.execute(
        select(*columns)
        .where(
            Task.kind == kind,
            Task.state == TaskState.LEASED,
            Task.lease_expires_at < now,
            allowed,
        )
        .order_by(Task.priority.desc())
        .limit(_CANDIDATES)
    ).all()
    rows = [_Candidate(int(r[0]), float(r[1]), int(r[2]), r[3]) for r in (*pending, *expired)]
    rows.sort(key=lambda c: (-c.priority, c.task_id))
    return rows[:_CANDIDATES]


def _attempt_order(candidates: list[_Candidate], user_id: int) -> list[_Candidate]:
    # Everyone tries the best task first (so a lone annotator gets strict priority order);
    # a loser's next try starts at a different place for each user, instead of everyone
    # colliding again on the second best.
    best, rest = candidates[:1], candidates[1:]
    if not rest:
        return best
    shift = user_id % len(rest)
    return [*best, *rest[shift:], *rest[:shift]]


def _claim(
    session: Session, kind: str, task_id: int, user_id: int, now: datetime, until: datetime
) -> bool:
    stmt = (
        update(Task)
        .where(
            Task.id == task_id,
            or_(
                Task.state == TaskState.PENDING,
                and_(Task.state == TaskState.LEASED, Task.lease_expires_at < now),
            ),
            _leasable_by(kind, user_id),
        )
        .values(state=TaskState.LEASED, leased_by=user_id, lease_expires_at=until)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(stmt)
    won = _rowcount(result) == 1
    if won:
        session.commit()
    else:
        session.rollback()
    return won


def lease_next(
    project: Project,
    user_id: int,
    kind: str = "annotate",
    lease_s: float = DEFAULT_LEASE_S,
    now: datetime | None = None,
) -> LeasedTask | None:
    """Reserve the highest-priority available task of `kind` for `user_id`.

    Available means pending, or leased with an expired lease (an abandoned task returns to
    the queue this way); a :data:`SECOND_PASS_KIND` task is not available to a user who
    already wrote a revision of its clip. Runs its own short transactions, one per attempt.

    Args:
        project: the open project.
        user_id: who takes the task.
        kind: which queue.
        lease_s: seconds until the lease expires unless renewed.
        now: the current time (tests); defaults to the clock.

    Returns:
        The leased task, or None when nothing of this kind is available.

    Raises:
        QueueBusyError: other annotators won every candidate for many rounds in a row.
        QueueError: bad kind, lease length or naive `now`.
    """
    _check_kind(kind)
    duration = timedelta(seconds=_check_lease_s(lease_s))
    for _ in range(_MAX_ROUNDS):
        at = resolve_now(now)
        until = at + duration
        with project.session() as session:
            candidates = _candidates(session, kind, at, user_id)
            if not candidates:
                return None
            for c in _attempt_order(candidates, user_id)[:_TRIES_PER_READ]:
                if _claim(session, kind, c.task_id, user_id, at, until):
                    # A task's clip, kind, priority and round never change once queued.
                    return LeasedTask(
                        c.task_id, c.clip_id, kind, c.priority, c.round_id, user_id, until
                    )
    raise QueueBusyError(
        f"could not lease a {kind!r} task after {_MAX_ROUNDS} rounds of lost races; retry"
    )


def best_priority(
    project: Project, user_id: int, kind: str = "annotate", now: datetime | None = None
) -> float | None:
    """The priority of the best task of `kind` that `user_id` could lease now, or None.

    A hint for choosing between queues (it is not a reservation: lease with
    :func:`lease_next`).
    """
    _check_kind(kind)
    with project.session() as session:
        candidates = _candidates(session, kind, resolve_now(now), user_id)
    return candidates[0].priority if candidates else None


def _leased(task: Task, user_id: int, until: datetime) -> LeasedTask:
    return LeasedTask(
        task_id=task.id,
        clip_id=task.clip_id,
        kind=task.kind,
        priority=float(task.priority),
        round_id=task.round_id,
        user_id=user_id,
        lease_expires_at=until,
    )


def current_leases(
    project: Project, user_id: int, kind: str = "annotate", now: datetime | None = None
) -> list[LeasedTask]:
    """The unexpired tasks of `kind` that `user_id` holds, highest priority first.

    The app calls this on page load to resume the clip a user was working on instead of
    leasing another.
    """
    _check_kind(kind)
    at = resolve_now(now)
    with project.session() as session:
        rows = session.scalars(
            select(Task)
            .where(
                Task.kind == kind,
                Task.state == TaskState.LEASED,
                Task.leased_by == user_id,
                Task.lease_expires_at >= at,
            )
            .order_by(Task.priority.desc(), Task.id)
        ).all()
        return [_leased(t, user_id, _aware(t.lease_expires_at or at)) for t in rows]


def renew(
    project: Project,
    task_id: int,
    user_id: int,
    lease_s: float = DEFAULT_LEASE_S,
    now: datetime | None = None,
) -> LeasedTask:
    """Extend a lease the user still holds (also one that expired but was not retaken).

    Raises:
        LeaseLostError: the task is not leased to this user any more.
    """
    until = resolve_now(now) + timedelta(seconds=_check_lease_s(lease_s))
    with project.session() as session:
        result = session.execute(
            update(Task)
            .where(Task.id == task_id, Task.state == TaskState.LEASED, Task.leased_by == user_id)
            .values(lease_expires_at=until)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1:
            raise LeaseLostError(_lost(task_id, user_id))
        task = session.get(Task, task_id)
        if task is None:
            raise LeaseLostError(_lost(task_id, user_id))
        return _leased(task, user_id, until)


def release(project: Project, task_id: int, user_id: int) -> None:
    """Give a leased task back to the queue (e.g. the annotator leaves without submitting).

    Raises:
        LeaseLostError: the task is not leased to this user any more.
    """
    with project.session() as session:
        result = session.execute(
            update(Task)
            .where(Task.id == task_id, Task.state == TaskState.LEASED, Task.leased_by == user_id)
            .values(state=TaskState.PENDING, leased_by=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1:
            raise LeaseLostError(_lost(task_id, user_id))


def complete(session: Session, task_id: int, clip_id: int, now: datetime | None = None) -> bool:
    """Mark an open task done inside the caller's transaction (the submit's).

    The work is accepted even if the lease expired or was retaken meanwhile: the revision
    history's stale-edit check, not the lease, protects the other annotator's edit.

    Returns:
        True if the task was open and is now done; False if it was already done or cancelled.

    Raises:
        QueueError: no task has this id, or it belongs to another clip.
    """
    result = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.clip_id == clip_id, task_is_open())
        .values(state=TaskState.DONE, completed_at=resolve_now(now), lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) == 1:
        return True
    task = session.get(Task, task_id)
    if task is None:
        raise QueueError(f"task {task_id} does not exist")
    if task.clip_id != clip_id:
        raise QueueError(
            f"task {task_id} is for clip {task.clip_id}, not clip {clip_id}; reload the task"
        )
    return False


def cancel(session: Session, clip_ids: Iterable[int], kind: str = "annotate") -> int:
    """Cancel the open tasks of `kind` for these clips; returns how many were cancelled."""
    ids = list(dict.fromkeys(int(c) for c in clip_ids))
    count = 0
    for start in range(0, len(ids), _CHUNK):
        result = session.execute(
            update(Task)
            .where(Task.clip_id.in_(ids[start : start + _CHUNK]), Task.kind == kind, task_is_open())
            .values(state=TaskState.CANCELLED, leased_by=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        count += _rowcount(result)
    return count


def reclaim_expired(project: Project, now: datetime | None = None) -> int:
    """Turn expired leases back into pending tasks; returns how many.

    Not needed for correctness (:func:`lease_next` takes expired tasks anyway); it keeps the
    queue's counts honest for dashboards.
    """
    at = resolve_now(now)
    with project.session() as session:
        result = session.execute(
            update(Task)
            .where(Task.state == TaskState.LEASED, Task.lease_expires_at < at)
            .values(state=TaskState.PENDING, leased_by=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result)


def _lost(task_id: int, user_id: int) -> str:
    return (
        f"task {task_id} is no longer leased to user {user_id} (it expired and was taken, "
        "or was completed); lease the next task"
    )
