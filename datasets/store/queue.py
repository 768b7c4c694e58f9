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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Result,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
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


def _leasable_by(kind: str, user_id: Any) -> ColumnElement[bool]:
    """Extra condition on the tasks of `kind` that `user_id` may lease (always true but one)."""
    if kind != SECOND_PASS_KIND:
        return true()
    written = exists().where(Revision.clip_id == Task.clip_id, Revision.user_id == user_id)
    return ~written


def _best_of(kinds: Sequence[str]) -> Any:
    """The best leasable task over `kinds`: one ``LIMIT 1`` index walk per (kind, state).

    Each branch walks the ``(kind, state, priority)`` index from the top and stops at the
    first row, so the cost does not grow with the queue. On PostgreSQL every branch locks its
    row ``FOR UPDATE SKIP LOCKED``: concurrent annotators pass over a row another is leasing
    instead of queueing behind its lock (SQLite ignores the clause; it runs one writer at a
    time, and the whole lease is one statement).
    """
    user: Any = bindparam("user_id")
    now: Any = bindparam("now")
    branches = []
    for kind in kinds:
        allowed = _leasable_by(kind, user)
        # Second passes win ties, so that a chosen clip reaches review promptly.
        rank = literal(1 if kind == SECOND_PASS_KIND else 0)
        for state in (
            Task.state == TaskState.PENDING,
            and_(Task.state == TaskState.LEASED, Task.lease_expires_at < now),
        ):
            inner = (
                select(Task.id, Task.priority)
                .where(Task.kind == kind, state, allowed)
                .order_by(Task.priority.desc())
                .limit(1)
                .with_for_update(skip_locked=True)
                .subquery()
            )
            branches.append(select(inner.c.id, inner.c.priority, rank.label("rank")))
    ranked = union_all(*branches).subquery()
    return (
        select(ranked.c.id)
        .order_by(ranked.c.priority.desc(), ranked.c.rank.desc(), ranked.c.id)
        .limit(1)
        .scalar_subquery()
    )


def _held_by_user(kinds: Sequence[str]) -> Any:
    """The best unexpired task of `kinds` that the user already holds (a scalar subquery)."""
    return (
        select(Task.id)
        .where(
            Task.kind.in_(kinds),
            Task.state == TaskState.LEASED,
            Task.leased_by == bindparam("user_id"),
            Task.lease_expires_at >= bindparam("now"),
        )
        .order_by(Task.priority.desc(), Task.id)
        .limit(1)
        .scalar_subquery()
    )


@lru_cache(maxsize=32)
def _lease_statement(kinds: tuple[str, ...], resume: bool) -> Any:
    # Built once per set of kinds; the values travel as bound parameters. With `resume`, a
    # task the user holds is taken first (its lease renewed), in the same statement.
    now: Any = bindparam("now")
    user: Any = bindparam("user_id")
    target = func.coalesce(_held_by_user(kinds), _best_of(kinds)) if resume else _best_of(kinds)
    open_to_user = [
        Task.state == TaskState.PENDING,
        and_(Task.state == TaskState.LEASED, Task.lease_expires_at < now),
    ]
    if resume:
        open_to_user.append(and_(Task.state == TaskState.LEASED, Task.leased_by == user))
    return (
        update(Task)
        .where(Task.id == target, or_(*open_to_user))
        .values(
            state=TaskState.LEASED,
            leased_by=bindparam("user_id"),
            lease_expires_at=bindparam("until"),
        )
        .returning(Task.id, Task.clip_id, Task.kind, Task.priority, Task.round_id)
        .execution_options(synchronize_session=False)
    )


def lease_best(
    project: Project,
    user_id: int,
    kinds: Sequence[str] = ("annotate",),
    lease_s: float = DEFAULT_LEASE_S,
    now: datetime | None = None,
    *,
    resume: bool = False,
) -> LeasedTask | None:
    """Reserve the highest-priority available task among `kinds` for `user_id`.

    With `resume`, a task of `kinds` the user still holds (an unexpired lease) is returned
    instead, its lease renewed, by the same statement (a page reload must not lease a second
    clip).

    Available means pending, or leased with an expired lease (an abandoned task returns to
    the queue this way); a :data:`SECOND_PASS_KIND` task is not available to a user who
    already wrote a revision of its clip, and wins a tie of priority. One UPDATE picks and
    claims the task in one short transaction; see :func:`_best_of` for why two annotators
    never get the same task and never wait on each other.

    Raises:
        QueueBusyError: the chosen task was taken between choice and claim many times in a
            row (not expected; the claim re-checks the task's state).
        QueueError: bad kind, lease length or naive `now`.
    """
    chosen = tuple(dict.fromkeys(_check_kind(k) for k in kinds))
    if not chosen:
        raise QueueError("kinds is empty; name at least one queue")
    duration = timedelta(seconds=_check_lease_s(lease_s))
    statement = _lease_statement(chosen, resume)
    for _ in range(_MAX_ROUNDS):
        at = resolve_now(now)
        until = at + duration
        # Core, not the ORM session: the lease runs after every submit.
        with project.engine.begin() as conn:
            row = conn.execute(statement, {"user_id": user_id, "now": at, "until": until}).first()
        if row is not None:
            task_id, clip_id, kind, priority, round_id = row
            return LeasedTask(
                int(task_id), int(clip_id), str(kind), float(priority), round_id, user_id, until
            )
        with project.session() as session:
            # The UPDATE matched nothing: either the queue is empty, or (rarely) the task it
            # chose changed state in between; only the second is worth another try.
            probe = select(_best_of(chosen))
            if session.execute(probe, {"user_id": user_id, "now": at}).scalar() is None:
                return None
    raise QueueBusyError(
        f"could not lease a task of {', '.join(chosen)} after {_MAX_ROUNDS} tries; retry"
    )


def lease_next(
    project: Project,
    user_id: int,
    kind: str = "annotate",
    lease_s: float = DEFAULT_LEASE_S,
    now: datetime | None = None,
) -> LeasedTask | None:
    """Reserve the highest-priority available task of `kind` for `user_id` (see
    :func:`lease_best`).

    Args:
        project: the open project.
        user_id: who takes the task.
        kind: which queue.
        lease_s: seconds until the lease expires unless renewed.
        now: the current time (tests); defaults to the clock.

    Returns:
        The leased task, or None when nothing of this kind is available.

    Raises:
        QueueBusyError: the claim kept losing races (not expected).
        QueueError: bad kind, lease length or naive `now`.
    """
    return lease_best(project, user_id, (kind,), lease_s, now)


def best_priority(
    project: Project, user_id: int, kind: str = "annotate", now: datetime | None = None
) -> float | None:
    """The priority of the best task of `kind` that `user_id` could lease now, or None.

    A hint for choosing between queues (it is not a reservation: lease with
    :func:`lease_next`).
    """
    _check_kind(kind)
    best = _best_of((kind,))
    with project.session() as session:
        task_id = session.execute(
            select(best), {"user_id": user_id, "now": resolve_now(now)}
        ).scalar()
        if task_id is None:
            return None
        return session.scalar(select(Task.priority).where(Task.id == task_id))


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
    project: Project,
    user_id: int,
    kind: str | Sequence[str] = "annotate",
    now: datetime | None = None,
) -> list[LeasedTask]:
    """The unexpired tasks of `kind` (one name or several) that `user_id` holds, highest
    priority first.

    The app calls this on page load to resume the clip a user was working on instead of
    leasing another.
    """
    kinds = tuple(_check_kind(k) for k in ([kind] if isinstance(kind, str) else kind))
    at = resolve_now(now)
    with project.engine.connect() as conn:
        return _held(conn, kinds, user_id, at)


def _held(conn: Connection, kinds: Sequence[str], user_id: int, at: datetime) -> list[LeasedTask]:
    # Core, not the ORM: this runs before every clip an annotator gets.
    rows = conn.execute(_held_statement(), {"kinds": list(kinds), "user_id": user_id, "now": at})
    return [
        LeasedTask(
            int(r.id),
            int(r.clip_id),
            str(r.kind),
            float(r.priority),
            r.round_id,
            user_id,
            _aware(r.lease_expires_at or at),
        )
        for r in rows
    ]


@lru_cache(maxsize=1)
def _held_statement() -> Any:
    return (
        select(
            Task.id, Task.clip_id, Task.kind, Task.priority, Task.round_id, Task.lease_expires_at
        )
        .where(
            Task.kind.in_(bindparam("kinds", expanding=True)),
            Task.state == TaskState.LEASED,
            Task.leased_by == bindparam("user_id"),
            Task.lease_expires_at >= bindparam("now"),
        )
        .order_by(Task.priority.desc(), Task.id)
    )


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


def complete(
    session: Session | Connection, task_id: int, clip_id: int, now: datetime | None = None
) -> bool:
    """Mark an open task done inside the caller's transaction (the submit's).

    The work is accepted even if the lease expired or was retaken meanwhile: the revision
    history's stale-edit check, not the lease, protects the other annotator's edit.

    Returns:
        True if the task was open and is now done; False if it was already done or cancelled.

    Raises:
        QueueError: no task has this id, or it belongs to another clip.
    """
    result = session.execute(
        _complete_statement(),
        {"b_task_id": task_id, "b_clip_id": clip_id, "b_at": resolve_now(now)},
    )
    if _rowcount(result) == 1:
        return True
    owner = session.execute(select(Task.clip_id).where(Task.id == task_id)).scalar()
    if owner is None:
        raise QueueError(f"task {task_id} does not exist")
    if owner != clip_id:
        raise QueueError(f"task {task_id} is for clip {owner}, not clip {clip_id}; reload the task")
    return False


@lru_cache(maxsize=1)
def _complete_statement() -> Any:
    # Built once: complete runs inside every submit.
    return (
        update(Task)
        .where(
            Task.id == bindparam("b_task_id"),
            Task.clip_id == bindparam("b_clip_id"),
            task_is_open(),
        )
        .values(state=TaskState.DONE, completed_at=bindparam("b_at"), lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )


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
