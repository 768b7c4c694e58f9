"""How many tasks each queue holds, by state: what ``voxcart queue status`` shows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Task


@dataclass(frozen=True)
class QueueCount:
    """The number of tasks of one queue (kind) in one state."""

    kind: str
    """The queue: ``annotate``, or ``second`` (double annotation)."""
    state: str
    """``pending``, ``leased``, ``done`` or ``cancelled``."""
    tasks: int


def queue_counts(project: Project) -> list[QueueCount]:
    """Tasks per queue and state, ordered by queue then state; empty when nothing was queued."""
    with project.session() as session:
        rows = session.execute(
            select(Task.kind, Task.state, func.count(Task.id))
            .group_by(Task.kind, Task.state)
            .order_by(Task.kind, Task.state)
        ).all()
    return [QueueCount(kind=str(kind), state=state.value, tasks=int(n)) for kind, state, n in rows]
