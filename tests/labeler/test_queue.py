"""The queue: idempotent enqueue, atomic leasing under concurrency, priority, expiry."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import sessionmaker

from tests.labeler.helpers import make_clips, make_users
from voxcart.datasets.errors import LeaseLostError, QueueError
from voxcart.datasets.store.project import Project, make_engine
from voxcart.datasets.store.queue import (
    cancel,
    current_leases,
    enqueue,
    lease_next,
    reclaim_expired,
    release,
    renew,
)
from voxcart.datasets.store.schema import Task, TaskState

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def test_enqueue_is_idempotent_while_open(project: Project) -> None:
    clips = make_clips(project, 5)
    with project.session() as s:
        first = enqueue(s, clips, 1.0)
    with project.session() as s:
        again = enqueue(s, [*clips, clips[0]], 1.0)
        review = enqueue(s, clips[:2], 1.0, kind="review")
    assert len(first.created) == 5 and first.already_open == ()
    assert again.created == () and again.already_open == tuple(clips)
    assert len(review.created) == 2  # another kind is another queue
    with project.session() as s:
        assert s.scalar(select(func.count(Task.id))) == 7


def test_enqueue_rejects_unknown_clip_and_bad_priority_and_writes_nothing(
    project: Project,
) -> None:
    clips = make_clips(project, 2)
    with pytest.raises(QueueError, match="do not exist"), project.session() as s:
        enqueue(s, [clips[0], 99_999], 1.0)
    with pytest.raises(QueueError, match="finite"), project.session() as s:
        enqueue(s, clips, float("nan"))
    with pytest.raises(QueueError, match="no entry for clip"), project.session() as s:
        enqueue(s, clips, {clips[0]: 1.0})
    with pytest.raises(QueueError, match="round"), project.session() as s:
        enqueue(s, clips, 1.0, round_id=42)
    with project.session() as s:
        assert s.scalar(select(func.count(Task.id))) == 0


def test_lease_follows_priority(project: Project) -> None:
    clips = make_clips(project, 4)
    (user,) = make_users(project, 1)
    with project.session() as s:
        enqueue(s, clips, {clips[0]: 0.1, clips[1]: 5.0, clips[2]: -3.0, clips[3]: 2.5})
    order = []
    while (leased := lease_next(project, user, now=T0)) is not None:
        order.append(leased.clip_id)
    assert order == [clips[1], clips[3], clips[0], clips[2]]


def test_leased_task_is_not_leased_again_until_it_expires(project: Project) -> None:
    clips = make_clips(project, 1)
    alice, bob = make_users(project, 2)
    with project.session() as s:
        enqueue(s, clips, 1.0)
    first = lease_next(project, alice, lease_s=60, now=T0)
    assert first is not None and first.lease_expires_at == T0 + timedelta(seconds=60)
    assert lease_next(project, bob, now=T0 + timedelta(seconds=59)) is None
    # Alice walked away: after the lease ends the clip returns to the queue.
    second = lease_next(project, bob, now=T0 + timedelta(seconds=61))
    assert second is not None and second.task_id == first.task_id and second.user_id == bob
    with pytest.raises(LeaseLostError):
        renew(project, first.task_id, alice, now=T0 + timedelta(seconds=62))


def test_renew_release_and_current_leases(project: Project) -> None:
    clips = make_clips(project, 2)
    alice, bob = make_users(project, 2)
    with project.session() as s:
        enqueue(s, clips, {clips[0]: 2.0, clips[1]: 1.0})
    lease = lease_next(project, alice, lease_s=60, now=T0)
    assert lease is not None
    renewed = renew(project, lease.task_id, alice, lease_s=600, now=T0 + timedelta(seconds=50))
    assert renewed.lease_expires_at == T0 + timedelta(seconds=650)
    assert lease_next(project, bob, now=T0 + timedelta(seconds=100)).clip_id == clips[1]
    assert [t.task_id for t in current_leases(project, alice, now=T0)] == [lease.task_id]
    with pytest.raises(LeaseLostError):
        release(project, lease.task_id, bob)
    release(project, lease.task_id, alice)
    assert current_leases(project, alice, now=T0) == []
    again = lease_next(project, bob, now=T0)
    assert again is not None and again.clip_id == clips[0]


def test_reclaim_and_cancel(project: Project) -> None:
    clips = make_clips(project, 3)
    (user,) = make_users(project, 1)
    with project.session() as s:
        enqueue(s, clips, 1.0)
    lease_next(project, user, lease_s=10, now=T0)
    assert reclaim_expired(project, now=T0 + timedelta(seconds=5)) == 0
    assert reclaim_expired(project, now=T0 + timedelta(seconds=11)) == 1
    with project.session() as s:
        assert cancel(s, clips[:2]) == 2
        states = Counter(s.scalars(select(Task.state)))
    assert states == {TaskState.CANCELLED: 2, TaskState.PENDING: 1}


def test_naive_now_is_rejected(project: Project) -> None:
    (user,) = make_users(project, 1)
    with pytest.raises(QueueError, match="timezone"):
        lease_next(project, user, now=datetime(2025, 1, 1))


def test_lease_queries_walk_the_index(project: Project) -> None:
    """The lease runs on every submit: it must not read or sort every task."""
    clips = make_clips(project, 50)
    (user,) = make_users(project, 1)
    with project.session() as s:
        enqueue(s, clips, 1.0)
        s.execute(text("ANALYZE"))
    seen: list[tuple[str, object]] = []

    def record(
        _conn: object, _cur: object, statement: str, parameters: object, *_rest: object
    ) -> None:
        if statement.lstrip().startswith("UPDATE tasks"):
            seen.append((statement, parameters))

    event.listen(project.engine, "before_cursor_execute", record)
    try:
        assert lease_next(project, user, now=T0) is not None
    finally:
        event.remove(project.engine, "before_cursor_execute", record)
    assert len(seen) == 1  # one statement picks and claims the task
    with project.engine.connect() as conn:
        for statement, parameters in seen:
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            steps = [str(row[-1]) for row in plan]
            # Both branches (pending, expired) walk the index; only their two rows are sorted.
            assert sum("ix_tasks_state_priority" in step for step in steps) == 2, steps
            assert not any(step.startswith("SCAN tasks") for step in steps), steps


def _own_connection(project: Project) -> Project:
    engine = make_engine(project.db_url)
    return Project(project.root, project.config, project.db_url, engine, sessionmaker(engine))


def _lease_concurrently(project: Project, n_threads: int, per_thread: int) -> list[int]:
    users = make_users(project, n_threads)
    leased: list[list[int]] = [[] for _ in range(n_threads)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(n_threads)

    def work(i: int) -> None:
        # Each annotator has its own engine and connections, like separate app sessions.
        own = _own_connection(project)
        try:
            barrier.wait()
            for _ in range(per_thread):
                task = lease_next(own, users[i])
                if task is None:
                    break
                leased[i].append(task.clip_id)
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return [c for per in leased for c in per]


def _assert_no_double_lease(project: Project) -> None:
    clips = make_clips(project, 200)
    with project.session() as s:
        enqueue(s, clips, {c: float(c % 7) for c in clips})
    got = _lease_concurrently(project, 20, per_thread=15)
    duplicates = [c for c, n in Counter(got).items() if n > 1]
    assert duplicates == []
    assert len(got) == 200  # 20 x 15 attempts drain all 200 clips, then find nothing
    with project.session() as s:
        assert s.scalar(select(func.count(Task.id)).where(Task.state == TaskState.LEASED)) == 200


def test_concurrent_leases_never_share_a_clip_sqlite(project: Project) -> None:
    _assert_no_double_lease(project)


def test_concurrent_leases_never_share_a_clip_postgres(pg_project: Project) -> None:
    _assert_no_double_lease(pg_project)


def _enqueue_concurrently(project: Project, n_threads: int) -> None:
    clips = make_clips(project, 50)
    errors: list[BaseException] = []
    barrier = threading.Barrier(n_threads)

    def work() -> None:
        own = _own_connection(project)
        try:
            barrier.wait()
            with own.session() as s:
                enqueue(s, clips, 1.0)
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with project.session() as s:
        per_clip = Counter(s.scalars(select(Task.clip_id).where(Task.state == TaskState.PENDING)))
    assert sorted(per_clip) == sorted(clips) and set(per_clip.values()) == {1}


def test_concurrent_enqueues_never_queue_a_clip_twice_sqlite(project: Project) -> None:
    _enqueue_concurrently(project, 8)


def test_concurrent_enqueues_never_queue_a_clip_twice_postgres(pg_project: Project) -> None:
    _enqueue_concurrently(pg_project, 8)


def test_a_second_open_task_for_a_clip_is_refused_by_the_database(project: Project) -> None:
    from sqlalchemy.exc import IntegrityError

    (clip,) = make_clips(project, 1)
    with project.session() as s:
        enqueue(s, [clip], 1.0)
    with pytest.raises(IntegrityError), project.session() as s:
        s.add(Task(clip_id=clip, kind="annotate", priority=2.0, state=TaskState.PENDING))
        s.flush()
    with project.session() as s:
        s.add(Task(clip_id=clip, kind="review", priority=2.0, state=TaskState.PENDING))
        s.add(Task(clip_id=clip, kind="annotate", priority=2.0, state=TaskState.DONE))
