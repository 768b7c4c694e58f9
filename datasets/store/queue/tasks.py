"""Queue tasks: the records and checks every queue operation shares, and the task lifecycle
outside leasing (enqueue, complete, cancel).

A clip has at most one open (pending or leased) task per kind; a partial unique index in the
database enforces it, so two processes that queue the same clip at once do not queue it twice.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Result,
    bindparam,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from voxcart.datasets.errors import QueueError
from voxcart.datasets.store.schema import (
    OPEN_TASK_SQL,
    OPEN_TASK_STATES,
    ALRound,
    Clip,
    Task,
    TaskState,
    utcnow,
)

DEFAULT_LEASE_S = 600
"""How long a leased task stays reserved without a renewal."""
MAX_LEASE_S = 24 * 3600
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


def aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes; the store writes UTC only.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not 1 <= len(kind) <= KIND_MAX or not kind.isprintable():
        raise QueueError(f"kind={kind!r}: use a printable name of 1 to {KIND_MAX} characters")
    return kind


def check_lease_s(lease_s: float) -> float:
    if not (isinstance(lease_s, int | float) and 0 < lease_s <= MAX_LEASE_S):
        raise QueueError(f"lease_s={lease_s!r}: use a number of seconds in (0, {MAX_LEASE_S}]")
    return float(lease_s)


def _check_priority(clip_id: int, priority: float) -> float:
    if not isinstance(priority, int | float) or not math.isfinite(priority):
        raise QueueError(f"priority {priority!r} of clip {clip_id} must be a finite number")
    return float(priority)


def task_is_open() -> ColumnElement[bool]:
    """The condition on a task that is open (pending or leased).

    The states are written into the SQL, not bound: the statement then needs no expansion at
    execution (it can run prebuilt on the driver, see ``driver_sql``) and PostgreSQL keeps one
    plan for it.
    """
    return Task.state.in_([literal_column(f"'{state.value}'") for state in OPEN_TASK_STATES])


def rowcount(result: Result[Any]) -> int:
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
    check_kind(kind)
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
        complete_statement(),
        {"b_task_id": task_id, "b_clip_id": clip_id, "b_at": resolve_now(now)},
    )
    if rowcount(result) == 1:
        return True
    return not_completed(session, task_id, clip_id)


def not_completed(session: Session | Connection, task_id: int, clip_id: int) -> bool:
    """Why :func:`complete_statement` completed nothing: False if the task was already done
    or cancelled.

    Raises:
        QueueError: no task has this id, or it belongs to another clip.
    """
    owner = session.execute(select(Task.clip_id).where(Task.id == task_id)).scalar()
    if owner is None:
        raise QueueError(f"task {task_id} does not exist")
    if owner != clip_id:
        raise QueueError(f"task {task_id} is for clip {owner}, not clip {clip_id}; reload the task")
    return False


@lru_cache(maxsize=1)
def complete_statement() -> Any:
    """The UPDATE that completes open task ``:b_task_id`` of clip ``:b_clip_id`` at ``:b_at``
    (built once: it runs inside every submit)."""
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
        count += rowcount(result)
    return count
