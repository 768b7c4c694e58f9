"""The driver lane against SQLAlchemy Core: the CPU of a submit's statements, same run.

On a throwaway local PostgreSQL, one annotator's submit->next statements (lock the clip and
complete its task; insert the revision and lease the next clip: what ``submit(...,
then_lease=next_lease())`` runs) are executed in blocks that alternate between the two lanes:
``core`` (``conn.execute`` of the same Core statements) and ``driver``
(:class:`~voxcart.datasets.store.driver_sql.DriverStatement`). Each cycle is a real submit of a
leased clip, so the data and the plans are the same for both. Printed per lane: client CPU,
server CPU and wall time per cycle, and the driver/core ratios measured in the same run.

Run: ``python bench/bench_driver_sql.py --cycles 3000``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from voxcart.datasets.store import local_postgres
from voxcart.datasets.store.driver_sql import DriverStatement
from voxcart.datasets.store.project import Project, init_project
from voxcart.datasets.store.queue import LeasedTask, lease_params, leased_task, resolve_now
from voxcart.datasets.store.revisions import revision_values
from voxcart.datasets.store.schema import RevisionStatus
from voxcart.labeler.services.annotate import lease_for, next_lease
from voxcart.labeler.services.submit import _STATEMENTS, _insert_and_lease, _insert_values

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_stress import TRANSCRIPTS, _server_cpu_s, populate

LANES = ("core", "driver")


def _first(lane: str, conn: Connection, statement: DriverStatement, values: dict[str, Any]) -> Any:
    if lane == "driver":
        return statement.first(conn, values)
    return conn.execute(statement.statement, values).first()


def one_cycle(project: Project, lane: str, user_id: int, task: LeasedTask) -> LeasedTask | None:
    """Submit `task` and lease the user's next one with the submit's two statements."""
    request = next_lease()
    at = resolve_now(None)
    text = TRANSCRIPTS[(task.task_id * 7919) % len(TRANSCRIPTS)]
    revision = revision_values(task.clip_id, text, RevisionStatus.CORRECTED, user_id=user_id)
    values = _insert_values(revision, at)
    params = lease_params(request, user_id, at)
    with project.engine.begin() as conn:
        _first(
            lane,
            conn,
            _STATEMENTS.lock_and_complete_pg_driver,
            {
                "lock_clip_id": task.clip_id,
                "suggestion_id": None,
                "b_task_id": task.task_id,
                "b_clip_id": task.clip_id,
                "b_at": at,
            },
        )
        found = _first(
            lane, conn, _insert_and_lease(request.kinds, request.resume), {**values, **params}
        )
    return leased_task(found[1:], params) if found[1] is not None else None


def main() -> None:
    """Alternate blocks of cycles between the lanes; print per-cycle costs and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=3000, help="cycles per lane")
    parser.add_argument("--block", type=int, default=250, help="cycles per block")
    args = parser.parse_args()
    totals = {lane: [0.0, 0.0, 0.0, 0] for lane in LANES}
    with (
        tempfile.TemporaryDirectory(prefix="voxcart-driver-") as tmp,
        local_postgres.temporary_server(tcp=True) as admin,
    ):
        project = init_project(Path(tmp) / "p", db_url=local_postgres.create_database(admin, "d"))
        (user,) = populate(project, 2 * args.cycles + 4 * args.block, 1)
        task = lease_for(project, user)
        for lane in LANES:  # warm both: plans prepared, caches filled
            for _ in range(args.block):
                assert task is not None
                task = one_cycle(project, lane, user, task)
        for block in range(2 * args.cycles // args.block):
            lane = LANES[block % 2]
            cpu, server, wall = time.process_time(), _server_cpu_s(project), time.perf_counter()
            for _ in range(args.block):
                assert task is not None, "the queue ran dry"
                task = one_cycle(project, lane, user, task)
            total = totals[lane]
            total[0] += time.process_time() - cpu
            total[1] += _server_cpu_s(project) - server
            total[2] += time.perf_counter() - wall
            total[3] += args.block
        project.close()
    per = {lane: [1000 * x / totals[lane][3] for x in totals[lane][:3]] for lane in LANES}
    for lane in LANES:
        client, server, wall = per[lane]
        print(
            f"{lane:<7} {totals[lane][3]} cycles: client {client:.3f} ms, server {server:.3f} ms, "
            f"wall {wall:.3f} ms per cycle"
        )
    ratios = [per["driver"][i] / per["core"][i] for i in range(3)]
    print(
        f"driver vs core: client CPU x{ratios[0]:.2f}, server CPU x{ratios[1]:.2f}, "
        f"wall x{ratios[2]:.2f}"
    )


if __name__ == "__main__":
    main()
