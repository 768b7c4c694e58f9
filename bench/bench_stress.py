"""Stress benchmark: N simulated annotators on one project, SQLite and a real PostgreSQL.

Each annotator runs what the annotate page does: hold a leased clip, "think" for a random
0..--think-ms, submit the transcript, and get the next clip (``lease_for``, which resumes a held
lease or leases a new one). The time from starting the submit to holding the next clip is the
*submit->next* latency an annotator waits. Annotators run as threads of one process sharing one
project (as the Streamlit server does), or spread over --processes processes.

After the run the store is checked: a task id handed to two annotators is a *double lease*; a
submit that returned but left no revision is a *lost submit*; any exception is an *error*.

PostgreSQL: the benchmark starts its own throwaway server on 127.0.0.1 (``initdb``/``pg_ctl``
must be on PATH; run as root it uses the ``postgres`` account, like tests/postgres.py).

Run: ``python bench/bench_stress.py --store both --annotators 50 --seconds 20``
     ``python bench/bench_stress.py --store postgresql --annotators 200 --processes 4``
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text

from voxcart.datasets.store.project import Project, init_project, open_project
from voxcart.datasets.store.queue import enqueue
from voxcart.datasets.store.schema import Clip, Recording, Revision, User
from voxcart.labeler.services.annotate import lease_for
from voxcart.labeler.services.submit import submit

TRANSCRIPT = "show me red running shoes under fifty dollars"


@dataclass
class Tally:
    """What one worker (or all of them) measured."""

    latencies: list[float] = field(default_factory=list)
    leased: list[int] = field(default_factory=list)
    submitted: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def merge(self, other: Tally) -> None:
        self.latencies.extend(other.latencies)
        self.leased.extend(other.leased)
        self.submitted += other.submitted
        self.errors.update(other.errors)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


# ---------------------------------------------------------------- PostgreSQL on loopback


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0 and shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def postgres_server(max_connections: int) -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1; yields its admin SQLAlchemy URL."""
    root = Path(tempfile.mkdtemp(prefix="voxcart-stress-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    subprocess.run(
        _as_postgres(["initdb", "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    port = _free_port()
    opts = (
        f"-k {root} -h 127.0.0.1 -p {port} -F -c max_connections={max_connections} "
        "-c shared_buffers=128MB"
    )
    subprocess.run(
        _as_postgres(
            ["pg_ctl", "-D", str(data), "-o", opts, "-w", "-l", str(root / "log"), "start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres(["pg_ctl", "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def _pg_database(admin_url: str) -> str:
    name = f"stress_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


# ---------------------------------------------------------------- the project


def populate(project: Project, tasks: int, annotators: int) -> list[int]:
    """`tasks` clips, all queued with distinct priorities, and one account per annotator."""
    with project.session() as s:
        rec = Recording(
            source_path="/bench/stress.wav",
            content_hash=f"stress-{tasks}",
            format="WAV",
            duration_s=2.0 * tasks,
            sample_rate=16_000,
            channels=1,
            num_frames=32_000 * tasks,
        )
        s.add(rec)
        s.flush()
        s.execute(
            insert(Clip),
            [
                {"uid": f"s{i:07d}", "recording_id": rec.id, "offset_s": 2.0 * i, "duration_s": 2.0}
                for i in range(tasks)
            ],
        )
        users = [User(username=f"ann{i}") for i in range(annotators)]
        s.add_all(users)
        s.flush()
        clip_ids = list(s.scalars(select(Clip.id).order_by(Clip.id)))
        enqueue(s, clip_ids, {c: float((c * 2654435761) % 1_000_003) for c in clip_ids})
        user_ids = [u.id for u in users]
    with project.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return user_ids


def _annotator(
    project: Project, user_id: int, deadline: float, think_ms: float, seed: int, tally: Tally
) -> None:
    rng = random.Random(seed)
    try:
        task = lease_for(project, user_id)
    except Exception as exc:
        tally.errors[type(exc).__name__] += 1
        return
    while task is not None and time.monotonic() < deadline:
        tally.leased.append(task.task_id)
        time.sleep(rng.uniform(0, think_ms) / 1000)
        t0 = time.perf_counter()
        try:
            submit(project, user_id, task.task_id, task.clip_id, TRANSCRIPT, "corrected")
            tally.submitted += 1
            task = lease_for(project, user_id)
        except Exception as exc:
            tally.errors[type(exc).__name__] += 1
            time.sleep(0.05)
            try:
                task = lease_for(project, user_id)
            except Exception as again:
                tally.errors[type(again).__name__] += 1
                return
            continue
        tally.latencies.append(time.perf_counter() - t0)


def run_threads(
    root: str, db_url: str, users: list[int], seconds: float, think_ms: float, seed: int
) -> Tally:
    """Annotators as threads sharing one open project (one engine and pool)."""
    project = open_project(root, db_url)
    tallies = [Tally() for _ in users]
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=_annotator,
            args=(project, user, deadline, think_ms, seed * 100_003 + i, tallies[i]),
        )
        for i, user in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    project.close()
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total


def _process_main(args: tuple[str, str, list[int], float, float, int]) -> Tally:
    return run_threads(*args)


@dataclass(frozen=True)
class Outcome:
    """One run's figures."""

    store: str
    annotators: int
    processes: int
    wall_s: float
    cycles: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    double_leases: int
    lost_submits: int
    errors: dict[str, int]

    def line(self) -> str:
        errors = sum(self.errors.values())
        detail = f" {dict(self.errors)}" if errors else ""
        return (
            f"{self.store:<10} {self.annotators:>4} ann x {self.processes} proc  "
            f"{self.cycles / self.wall_s:>7.1f} cycles/s  p50 {self.p50_ms:>7.1f} ms  "
            f"p95 {self.p95_ms:>7.1f} ms  max {self.max_ms:>7.1f} ms  "
            f"double {self.double_leases}  lost {self.lost_submits}  errors {errors}{detail}"
        )


def measure(
    store: str,
    db_url: str | None,
    workdir: Path,
    annotators: int,
    processes: int,
    seconds: float,
    think_ms: float,
    tasks: int,
) -> Outcome:
    """Build a fresh project on `store`, run the annotators, check the store."""
    root = workdir / f"{store}-{annotators}-{processes}-{uuid.uuid4().hex[:6]}"
    project = init_project(root, db_url=db_url)
    users = populate(project, tasks, annotators)
    url = project.db_url
    project.close()
    t0 = time.perf_counter()
    if processes <= 1:
        total = run_threads(str(root), url, users, seconds, think_ms, 1)
    else:
        shares = [users[i::processes] for i in range(processes)]
        context = multiprocessing.get_context("spawn")
        with context.Pool(processes) as pool:
            parts = pool.map(
                _process_main,
                [
                    (str(root), url, share, seconds, think_ms, i + 1)
                    for i, share in enumerate(shares)
                ],
            )
        total = Tally()
        for part in parts:
            total.merge(part)
    wall = time.perf_counter() - t0
    project = open_project(root, url)
    try:
        with project.session() as s:
            stored = s.scalar(select(func.count()).select_from(Revision)) or 0
    finally:
        project.close()
    doubles = sum(1 for n in Counter(total.leased).values() if n > 1)
    return Outcome(
        store=store,
        annotators=annotators,
        processes=max(1, processes),
        wall_s=wall,
        cycles=len(total.latencies),
        p50_ms=_pct(total.latencies, 0.5),
        p95_ms=_pct(total.latencies, 0.95),
        max_ms=_pct(total.latencies, 1.0),
        double_leases=doubles,
        lost_submits=max(0, total.submitted - int(stored)),
        errors=dict(total.errors),
    )


def main() -> None:
    """Parse options, run each store, print one line per run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--annotators", type=int, nargs="+", default=[50])
    parser.add_argument("--processes", type=int, nargs="+", default=[1], help="0/1: threads only")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each run")
    parser.add_argument("--think-ms", type=float, default=30.0, help="think time 0..this")
    parser.add_argument("--tasks", type=int, default=10_000, help="queued clips")
    args = parser.parse_args()
    stores = ["sqlite", "postgresql"] if args.store == "both" else [args.store]
    most = max(args.annotators)
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="voxcart-stress-") as tmp:
        work = Path(tmp)
        if "postgresql" in stores:
            server = postgres_server(max_connections=max(200, 2 * most + 50))
            admin = server.__enter__()
        try:
            for store in stores:
                for n in args.annotators:
                    for procs in args.processes:
                        url = _pg_database(admin) if store == "postgresql" else None
                        outcome = measure(
                            store, url, work, n, procs, args.seconds, args.think_ms, args.tasks
                        )
                        outcomes.append(outcome)
                        print(outcome.line(), flush=True)
        finally:
            if "postgresql" in stores:
                server.__exit__(None, None, None)
    print(
        f"think 0..{args.think_ms:.0f} ms, {args.seconds:.0f} s per run, {args.tasks} queued "
        f"tasks, {os.cpu_count()} CPUs"
    )
    if any(o.double_leases or o.lost_submits for o in outcomes):
        raise SystemExit("FAIL: a double lease or a lost submit")


if __name__ == "__main__":
    main()
