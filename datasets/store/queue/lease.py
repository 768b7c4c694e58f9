"""Leasing queue tasks: lease the best one atomically, resume, renew, release, reclaim.

One ``UPDATE ... RETURNING`` picks and claims a task: its target is a scalar subquery that walks
the ``(kind, state, priority)`` index from the top, ``LIMIT 1`` per queue and state (pending, or
leased with an expired lease), so leasing costs the same on a queue of ten or a million tasks.
On PostgreSQL each walk locks its row ``FOR UPDATE SKIP LOCKED``: concurrent annotators pass
over a row another is claiming instead of waiting for it or taking it twice; SQLite runs one
writer at a time. The claim re-checks the task's state, so two annotators never hold the same
task. An abandoned lease simply expires: the task becomes leasable again without any sweeper.
The kinds, states and limits are written into the SQL (only the user and times are bound), so
PostgreSQL keeps one plan for the prepared statement instead of re-planning it on every call.

Tasks of kind :data:`SECOND_PASS_KIND` (double annotation) are never leased to a user who
already wrote a revision of the clip: the candidate walk carries a ``NOT EXISTS`` over that
user's revisions of the task's clip. :func:`lease_in` leases inside a caller's transaction (a
submit's), and :func:`lease_statement` gives the statement to embed in a caller's own SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    true,
    union_all,
    update,
)

from voxcart.datasets.errors import LeaseLostError, QueueBusyError, QueueError
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.queue.tasks import (
    DEFAULT_LEASE_S,
    SECOND_PASS_KIND,
    LeasedTask,
    aware,
    check_kind,
    check_lease_s,
    resolve_now,
    rowcount,
)
from voxcart.datasets.store.schema import Revision, Task, TaskState

_MAX_ROUNDS = 100
_ONE: Any = literal_column("1")


def _state_is(state: TaskState) -> ColumnElement[bool]:
    # Constants are written into the SQL, not bound: PostgreSQL then plans the prepared lease
    # once (a generic plan that still walks the index for LIMIT 1) instead of on every call.
    return Task.state == literal_column(f"'{state.value}'")


def _kind_is(kind: str) -> ColumnElement[bool]:
    # A kind is checked printable text (check_kind); doubling quotes makes it an SQL string.
    quoted = kind.replace("'", "''")
    return Task.kind == literal_column(f"'{quoted}'")


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
        rank: Any = literal_column("1" if kind == SECOND_PASS_KIND else "0")
        for state in (
            _state_is(TaskState.PENDING),
            and_(_state_is(TaskState.LEASED), Task.lease_expires_at < now),
        ):
            inner = (
                select(Task.id, Task.priority)
                .where(_kind_is(kind), state, allowed)
                .order_by(Task.priority.desc())
                .limit(_ONE)
                .with_for_update(skip_locked=True)
                .subquery()
            )
            branches.append(select(inner.c.id, inner.c.priority, rank.label("rank")))
    ranked = union_all(*branches).subquery()
    return (
        select(ranked.c.id)
        .order_by(ranked.c.priority.desc(), ranked.c.rank.desc(), ranked.c.id)
        .limit(_ONE)
        .scalar_subquery()
    )


def _held_by_user(kinds: Sequence[str]) -> Any:
    """The best unexpired task of `kinds` that the user already holds (a scalar subquery)."""
    return (
        select(Task.id)
        .where(
            or_(*(_kind_is(k) for k in kinds)),
            _state_is(TaskState.LEASED),
            Task.leased_by == bindparam("user_id"),
            Task.lease_expires_at >= bindparam("now"),
        )
        .order_by(Task.priority.desc(), Task.id)
        .limit(_ONE)
        .scalar_subquery()
    )


def lease_statement(request: LeaseRequest) -> Any:
    """The lease as one ``UPDATE ... RETURNING`` (id, clip_id, kind, priority, round_id), with
    bound ``:user_id``, ``:now`` and ``:until``: for a caller that embeds it in its own
    statement (see :func:`lease_params` and :func:`leased_task`)."""
    return _lease_statement(request.kinds, request.resume)


def lease_params(request: LeaseRequest, user_id: int, at: datetime) -> dict[str, Any]:
    """The values :func:`lease_statement` binds, for a lease taken at `at`."""
    return {"user_id": user_id, "now": at, "until": at + timedelta(seconds=request.lease_s)}


def leased_task(row: Sequence[Any], params: dict[str, Any]) -> LeasedTask:
    """The :class:`LeasedTask` of a row that :func:`lease_statement` returned."""
    task_id, clip_id, kind, priority, round_id = row
    return LeasedTask(
        int(task_id),
        int(clip_id),
        str(kind),
        float(priority),
        round_id,
        int(params["user_id"]),
        params["until"],
    )


@lru_cache(maxsize=32)
def _lease_statement(kinds: tuple[str, ...], resume: bool) -> Any:
    # Built once per set of kinds; the user and times travel as bound parameters, the kinds,
    # states and limits are written in (see _state_is). With `resume`, a task the user holds is
    # taken first (its lease renewed), in the same statement.
    now: Any = bindparam("now")
    user: Any = bindparam("user_id")
    target = func.coalesce(_held_by_user(kinds), _best_of(kinds)) if resume else _best_of(kinds)
    open_to_user = [
        _state_is(TaskState.PENDING),
        and_(_state_is(TaskState.LEASED), Task.lease_expires_at < now),
    ]
    if resume:
        open_to_user.append(and_(_state_is(TaskState.LEASED), Task.leased_by == user))
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


@dataclass(frozen=True)
class LeaseRequest:
    """Which task to lease: the queues, the lease length, and whether a held task comes first.

    Attributes:
        kinds: the queues to lease from (best priority over all of them).
        lease_s: seconds until the lease expires unless renewed.
        resume: take a task of `kinds` the user still holds first (its lease renewed).

    Raises:
        QueueError: no kind, a bad kind or a bad lease length.
    """

    kinds: tuple[str, ...] = ("annotate",)
    lease_s: float = DEFAULT_LEASE_S
    resume: bool = False

    def __post_init__(self) -> None:
        kinds = tuple(dict.fromkeys(check_kind(k) for k in self.kinds))
        if not kinds:
            raise QueueError("kinds is empty; name at least one queue")
        object.__setattr__(self, "kinds", kinds)
        check_lease_s(self.lease_s)


def _claim(
    conn: Connection, request: LeaseRequest, user_id: int, at: datetime
) -> LeasedTask | None:
    params = lease_params(request, user_id, at)
    row = conn.execute(lease_statement(request), params).first()
    return None if row is None else leased_task(row, params)


def lease_in(
    conn: Connection, user_id: int, request: LeaseRequest, now: datetime | None = None
) -> LeasedTask | None:
    """Lease the best task inside the caller's transaction (one statement; e.g. the submit's).

    Folding the next lease into the transaction that completes the previous task saves the
    second transaction's round trips. One attempt only: None means the queue had nothing
    for the user, or (rarely) the chosen task changed state between choice and claim; call
    :func:`lease_best` after the transaction to tell the two apart.

    Raises:
        QueueError: naive `now`.
    """
    return _claim(conn, request, user_id, resolve_now(now))


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
    request = LeaseRequest(tuple(kinds), lease_s, resume)
    for _ in range(_MAX_ROUNDS):
        at = resolve_now(now)
        # Core, not the ORM session: the lease runs after every submit.
        with project.engine.begin() as conn:
            task = _claim(conn, request, user_id, at)
        if task is not None:
            return task
        with project.session() as session:
            # The UPDATE matched nothing: either the queue is empty, or (rarely) the task it
            # chose changed state in between; only the second is worth another try.
            probe = select(_best_of(request.kinds))
            if session.execute(probe, {"user_id": user_id, "now": at}).scalar() is None:
                return None
    raise QueueBusyError(
        f"could not lease a task of {', '.join(request.kinds)} after {_MAX_ROUNDS} tries; retry"
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
    check_kind(kind)
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
    kinds = tuple(check_kind(k) for k in ([kind] if isinstance(kind, str) else kind))
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
            aware(r.lease_expires_at or at),
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
    until = resolve_now(now) + timedelta(seconds=check_lease_s(lease_s))
    with project.session() as session:
        result = session.execute(
            update(Task)
            .where(Task.id == task_id, Task.state == TaskState.LEASED, Task.leased_by == user_id)
            .values(lease_expires_at=until)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
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
        if rowcount(result) != 1:
            raise LeaseLostError(_lost(task_id, user_id))


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
        return rowcount(result)


def _lost(task_id: int, user_id: int) -> str:
    return (
        f"task {task_id} is no longer leased to user {user_id} (it expired and was taken, "
        "or was completed); lease the next task"
    )
