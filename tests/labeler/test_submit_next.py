"""Submit and lease the next clip in one transaction (``submit(..., then_lease=...)``): what an
annotator's cycle costs in statements, and that the merged cycle keeps the queue's guarantees
(no double lease, no lost submit, nothing leased by a refused submit)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from tests.labeler.helpers import make_clips, make_users
from voxcart.datasets.errors import QueueError
from voxcart.datasets.store.config import LabelingConfig
from voxcart.datasets.store.project import Project, make_engine
from voxcart.datasets.store.queue import SECOND_PASS_KIND, LeasedTask, current_leases, enqueue
from voxcart.datasets.store.round_trips import StatementCounter, StatementTally
from voxcart.datasets.store.schema import Revision, Task, TaskState
from voxcart.labeler.errors import StaleEditError, SubmitError
from voxcart.labeler.services.annotate import lease_for, next_lease
from voxcart.labeler.services.submit import submit

SQLITE_CYCLE = 4
"""SQLite: lock the clip, insert the revision if its base is current, complete the task, lease
the next. A change that adds a statement to every annotator's cycle must raise these on purpose."""
POSTGRES_CYCLE = 2
"""PostgreSQL: lock the clip and complete the task; insert if current and lease the next."""


def _queued(project: Project, n: int) -> tuple[list[int], int]:
    clips = make_clips(project, n)
    (user,) = make_users(project, 1)
    with project.session() as s:
        enqueue(s, clips, {c: float(n - i) for i, c in enumerate(clips)})
    return clips, user


def _cycle(project: Project, user: int, task: LeasedTask, merged: bool) -> LeasedTask | None:
    if merged:
        result = submit(
            project, user, task.task_id, task.clip_id, "red shoes", "corrected",
            then_lease=next_lease(),
        )  # fmt: skip
        return result.next_task
    submit(project, user, task.task_id, task.clip_id, "red shoes", "corrected")
    return lease_for(project, user)


def _cycle_cost(project: Project, merged: bool) -> StatementTally:
    _, user = _queued(project, 6)
    task = lease_for(project, user)
    with StatementCounter(project.engine) as counter:
        for _ in range(3):  # the last cycle counts: statements are built and prepared by then
            assert task is not None
            before = counter.tally()
            task = _cycle(project, user, task, merged)
        return counter.tally() - before


@pytest.fixture(params=["sqlite", "postgresql"])
def any_project(request: pytest.FixtureRequest) -> Project:
    """The test's project on SQLite, then on PostgreSQL (their submit paths differ)."""
    return request.getfixturevalue("project" if request.param == "sqlite" else "pg_project")


@pytest.mark.parametrize("merged", [True, False], ids=["merged", "separate"])
def test_a_cycle_costs_four_statements_sqlite(project: Project, merged: bool) -> None:
    cost = _cycle_cost(project, merged)
    assert cost == StatementTally(SQLITE_CYCLE, 1 if merged else 2)


def test_a_merged_cycle_costs_four_round_trips_postgres(pg_project: Project) -> None:
    cost = _cycle_cost(pg_project, merged=True)
    assert cost == StatementTally(POSTGRES_CYCLE, 1)
    assert cost.round_trips == 4  # BEGIN, two statements, COMMIT (it was 9 before merging)


def test_a_separate_cycle_costs_seven_round_trips_postgres(pg_project: Project) -> None:
    cost = _cycle_cost(pg_project, merged=False)
    # Submit: lock and complete, insert; lease_for: the lease (each with BEGIN and COMMIT).
    assert cost == StatementTally(POSTGRES_CYCLE + 1, 2)
    assert cost.round_trips == 7


def test_then_lease_completes_the_task_and_leases_the_next_clip(any_project: Project) -> None:
    project = any_project
    clips, user = _queued(project, 3)
    first = lease_for(project, user)
    assert first is not None and first.clip_id == clips[0]
    result = submit(
        project, user, first.task_id, first.clip_id, "red shoes", "corrected",
        then_lease=next_lease(),
    )  # fmt: skip
    assert result.task_completed
    assert result.next_task is not None and result.next_task.clip_id == clips[1]
    assert [t.task_id for t in current_leases(project, user)] == [result.next_task.task_id]
    with project.session() as s:
        assert s.get(Task, first.task_id).state is TaskState.DONE  # type: ignore[union-attr]


def test_then_lease_resumes_a_clip_the_user_still_holds(any_project: Project) -> None:
    project = any_project
    clips, user = _queued(project, 4)
    first = lease_for(project, user)
    held = lease_for(project, user, holding={first.task_id} if first else set())
    assert first is not None and held is not None and held.clip_id == clips[1]
    result = submit(
        project, user, first.task_id, first.clip_id, "red shoes", "corrected",
        then_lease=next_lease(),
    )  # fmt: skip
    assert result.next_task is not None and result.next_task.task_id == held.task_id


def test_then_lease_on_an_empty_queue_gives_no_next_task(any_project: Project) -> None:
    project = any_project
    _, user = _queued(project, 1)
    only = lease_for(project, user)
    assert only is not None
    result = submit(
        project, user, only.task_id, only.clip_id, "red shoes", "corrected",
        then_lease=next_lease(),
    )  # fmt: skip
    assert result.task_completed and result.next_task is None


def test_a_refused_submit_leases_nothing(any_project: Project) -> None:
    project = any_project
    _, user = _queued(project, 3)
    first = lease_for(project, user)
    assert first is not None
    submit(project, user, None, first.clip_id, "someone else's text", "corrected")
    with pytest.raises(StaleEditError):
        submit(
            project, user, first.task_id, first.clip_id, "red shoes", "corrected",
            then_lease=next_lease(),
        )  # fmt: skip
    # The whole transaction rolled back: the task is still held, no second clip was leased.
    assert [t.task_id for t in current_leases(project, user)] == [first.task_id]
    with project.session() as s:
        assert s.scalar(select(func.count()).select_from(Revision)) == 1


def test_a_wrong_task_or_suggestion_saves_and_leases_nothing(any_project: Project) -> None:
    project = any_project
    clips, user = _queued(project, 3)
    first = lease_for(project, user)
    assert first is not None
    with pytest.raises(QueueError, match="is for clip"):
        submit(
            project, user, first.task_id, clips[2], "red shoes", "corrected",
            then_lease=next_lease(),
        )  # fmt: skip
    with pytest.raises(SubmitError, match="not a suggestion"):
        submit(
            project, user, first.task_id, first.clip_id, "red shoes", "corrected",
            suggestion_id=12345, then_lease=next_lease(),
        )  # fmt: skip
    assert [t.task_id for t in current_leases(project, user)] == [first.task_id]
    with project.session() as s:
        assert s.scalar(select(func.count()).select_from(Revision)) == 0


def test_then_lease_never_offers_the_second_pass_of_ones_own_clip(any_project: Project) -> None:
    project = any_project
    project.config = replace(project.config, labeling=LabelingConfig(double_annotation=1.0, seed=7))
    clips, user = _queued(project, 2)
    task = lease_for(project, user)
    seen = []
    while task is not None:
        seen.append((task.kind, task.clip_id))
        result = submit(
            project, user, task.task_id, task.clip_id, "red shoes", "corrected",
            then_lease=next_lease(),
        )  # fmt: skip
        task = result.next_task
    # Both clips got a second-pass task, and neither went to the user who wrote the first pass.
    assert seen == [("annotate", clips[0]), ("annotate", clips[1])]
    with project.session() as s:
        second = s.scalars(select(Task.clip_id).where(Task.kind == SECOND_PASS_KIND)).all()
    assert sorted(second) == sorted(clips)


def _cycles_concurrently(project: Project, n_threads: int, per_thread: int) -> None:
    clips = make_clips(project, n_threads * per_thread + n_threads)
    users = make_users(project, n_threads)
    with project.session() as s:
        enqueue(s, clips, {c: float(c % 5) for c in clips})
    leased: list[int] = []
    submitted = Counter[int]()
    errors: list[BaseException] = []
    barrier = threading.Barrier(n_threads)

    def work(user: int) -> None:
        # Each annotator has its own engine, like separate app processes.
        engine = make_engine(project.db_url)
        own = Project(project.root, project.config, project.db_url, engine, sessionmaker(engine))
        try:
            task = lease_for(own, user)
            barrier.wait()
            for _ in range(per_thread):
                assert task is not None
                leased.append(task.task_id)
                task = _cycle(own, user, task, merged=True)
                submitted[user] += 1
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [t for t, n in Counter(leased).items() if n > 1] == []  # no double lease
    with project.session() as s:
        stored = Counter(s.scalars(select(Revision.user_id)))
        done = s.scalar(select(func.count()).where(Task.state == TaskState.DONE))
    assert stored == submitted  # no lost submit
    assert done == n_threads * per_thread


def test_merged_cycles_concurrently_never_double_lease_or_lose_a_submit_sqlite(
    project: Project,
) -> None:
    _cycles_concurrently(project, 8, 10)


def test_merged_cycles_concurrently_never_double_lease_or_lose_a_submit_postgres(
    pg_project: Project,
) -> None:
    _cycles_concurrently(pg_project, 8, 10)
