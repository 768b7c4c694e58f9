"""Stress benchmark: N simulated annotators on one project, SQLite and a real PostgreSQL.

Each annotator runs what the annotate page does: hold a leased clip, "think" for a random
0..--think-ms, submit the transcript, and get the next clip. The time from starting the submit to
holding the next clip is the *submit->next* latency an annotator waits. Annotators run as
threads of one process sharing one project (as the Streamlit server does), or spread over
--processes processes.

Two ways through a cycle are measured in the same run (--cycle): ``separate``, the baseline, is
a submit transaction and then a lease transaction (``lease_for``); ``merged`` leases the next
clip inside the submit's transaction (``submit(..., then_lease=next_lease())``). Before each
run, one annotator's cycle is counted on its own: SQL statements and transactions per cycle,
and the PostgreSQL round trips they cost (each statement, plus psycopg's BEGIN and COMMIT).
That count is the machine-independent figure; the timings depend on the machine's load.

After the run the store is checked: a task id handed to two annotators is a *double lease*; a
submit that returned but left no revision is a *lost submit*; any exception is an *error*.

PostgreSQL: the benchmark starts its own throwaway server on 127.0.0.1 (``initdb``/``pg_ctl``
must be on PATH; see voxcart.datasets.store.local_postgres, which the tests use too).

Run: ``python bench/bench_stress.py --store both --annotators 50 --seconds 15``
     ``python bench/bench_stress.py --store postgresql --annotators 200 --processes 2``
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, insert, select, text

from voxcart.datasets.store import local_postgres
from voxcart.datasets.store.project import Project, init_project, open_project
from voxcart.datasets.store.queue import LeasedTask, enqueue
from voxcart.datasets.store.round_trips import StatementCounter, StatementTally
from voxcart.datasets.store.schema import Clip, Recording, Revision, User
from voxcart.labeler.services.annotate import lease_for, next_lease
from voxcart.labeler.services.submit import submit

CYCLES = ("separate", "merged")
"""``separate``: submit, then lease in a second transaction (the baseline); ``merged``: the
next lease inside the submit's transaction."""

TRANSCRIPTS = tuple(
    f"show me {color} running shoes size {size} under ${price}"
    for color in ("red", "blue", "black", "white", "grey", "green", "pink", "navy")
    for size in range(5, 14)
    for price in range(19, 200, 10)
)
"""What annotators type: 1,368 distinct transcripts with a size and a price to normalize (one
repeated text would measure a warm normalizer cache, not a submit)."""


@dataclass
class Tally:
    """What one worker (or all of them) measured."""

    latencies: list[float] = field(default_factory=list)
    leased: list[int] = field(default_factory=list)
    submitted: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    statements: int = 0
    transactions: int = 0

    def merge(self, other: Tally) -> None:
        self.latencies.extend(other.latencies)
        self.leased.extend(other.leased)
        self.submitted += other.submitted
        self.errors.update(other.errors)
        self.statements += other.statements
        self.transactions += other.transactions


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


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


def cycle(project: Project, user_id: int, task: LeasedTask, merged: bool) -> LeasedTask | None:
    """Submit `task` and get the user's next one, the `merged` or the separate way."""
    transcript = TRANSCRIPTS[(task.task_id * 7919) % len(TRANSCRIPTS)]
    if merged:
        result = submit(
            project,
            user_id,
            task.task_id,
            task.clip_id,
            transcript,
            "corrected",
            then_lease=next_lease(),
        )
        return result.next_task
    submit(project, user_id, task.task_id, task.clip_id, transcript, "corrected")
    return lease_for(project, user_id)


def count_one_cycle(project: Project, user_id: int, merged: bool) -> StatementTally:
    """Statements and transactions of one annotator's cycle, alone (after a few to warm up)."""
    task = lease_for(project, user_id)
    with StatementCounter(project.engine) as counter:
        for _ in range(3):
            assert task is not None, "the queue ran dry while counting"
            before = counter.tally()
            task = cycle(project, user_id, task, merged)
        return counter.tally() - before


def _server_cpu_s(project: Project) -> float:
    """CPU seconds used so far by the PostgreSQL server's processes (Linux /proc), else 0."""
    if project.engine.dialect.name != "postgresql":
        return 0.0
    with project.engine.connect() as conn:
        pids = list(conn.scalars(text("SELECT pid FROM pg_stat_activity")))
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from Linux /proc/stat (else 0s).

    The share of busy time over a run tells a saturated machine (near 100%: latency is
    queueing for CPU) from waiting on locks or I/O (well below).
    """
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields) - idle) / tick, sum(fields) / tick


def _client_cpu_s() -> float:
    """CPU seconds of this process and of its finished child processes (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def cpu_per_cycle(project: Project, user_id: int, merged: bool, n: int) -> tuple[float, float]:
    """Milliseconds of CPU per cycle of one annotator alone: this process, the database server.

    Less sensitive to a busy machine than latency (it counts work, not waiting), so it is the
    figure to compare between machines or runs; the server's share is 0 on SQLite.
    """
    task = lease_for(project, user_id)
    client, server = time.process_time(), _server_cpu_s(project)
    for _ in range(n):
        assert task is not None, "the queue ran dry while timing; queue more --tasks"
        task = cycle(project, user_id, task, merged)
    return (
        (time.process_time() - client) / n * 1000,
        (_server_cpu_s(project) - server) / n * 1000,
    )


def _annotator(
    project: Project,
    user_id: int,
    deadline: float,
    think_ms: float,
    seed: int,
    merged: bool,
    tally: Tally,
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
            task = cycle(project, user_id, task, merged)
            tally.submitted += 1
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
    root: str,
    db_url: str,
    users: list[int],
    seconds: float,
    think_ms: float,
    seed: int,
    merged: bool,
) -> Tally:
    """Annotators as threads sharing one open project (one engine and pool)."""
    project = open_project(root, db_url)
    tallies = [Tally() for _ in users]
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=_annotator,
            args=(project, user, deadline, think_ms, seed * 100_003 + i, merged, tallies[i]),
        )
        for i, user in enumerate(users)
    ]
    with StatementCounter(project.engine) as counter:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        counted = counter.tally()
    project.close()
    total = Tally(statements=counted.statements, transactions=counted.transactions)
    for tally in tallies:
        total.merge(tally)
    return total


def _process_main(args: tuple[str, str, list[int], float, float, int, bool]) -> Tally:
    return run_threads(*args)


@dataclass(frozen=True)
class Outcome:
    """One run's figures."""

    store: str
    cycle: str
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
    one_cycle: StatementTally
    """One annotator's cycle counted alone."""
    cpu_ms: tuple[float, float]
    """CPU per cycle of one annotator alone: client process, database server."""
    run_total: StatementTally
    """Everything the annotators ran (first leases included)."""
    busy: float
    """Share of the machine's CPU time that was busy during the run (all processes)."""
    client_ms: float
    """Annotator processes' CPU per cycle during the run (contention included)."""

    @property
    def rate(self) -> float:
        return self.cycles / self.wall_s

    def line(self) -> str:
        errors = sum(self.errors.values())
        detail = f" {dict(self.errors)}" if errors else ""
        per = self.run_total.statements / max(1, self.cycles)
        return (
            f"{self.store:<10} {self.cycle:<8} {self.annotators:>4} ann x {self.processes} proc  "
            f"{self.rate:>7.1f} cycles/s  p50 {self.p50_ms:>7.1f} ms  "
            f"p95 {self.p95_ms:>7.1f} ms  max {self.max_ms:>7.1f} ms  "
            f"double {self.double_leases}  lost {self.lost_submits}  errors {errors}{detail}\n"
            f"{'':<20}one cycle: {self.one_cycle.statements} statements in "
            f"{self.one_cycle.transactions} transaction(s) = {self.one_cycle.round_trips} "
            f"PostgreSQL round trips; run average {per:.2f} statements/cycle; alone "
            f"{self.cpu_ms[0]:.2f} ms client + {self.cpu_ms[1]:.2f} ms server CPU/cycle; "
            f"under load {self.client_ms:.2f} ms client CPU/cycle, machine CPU "
            f"{100 * self.busy:.0f}% busy"
        )


def _stored_revisions(root: Path, url: str) -> int:
    project = open_project(root, url)
    try:
        with project.session() as s:
            return int(s.scalar(select(func.count()).select_from(Revision)) or 0)
    finally:
        project.close()


def measure(
    store: str,
    db_url: str | None,
    workdir: Path,
    annotators: int,
    processes: int,
    seconds: float,
    think_ms: float,
    tasks: int,
    merged: bool,
    cpu_cycles: int = 300,
) -> Outcome:
    """Build a fresh project on `store`, count one cycle, run the annotators, check the store."""
    root = workdir / f"{store}-{annotators}-{processes}-{uuid.uuid4().hex[:6]}"
    project = init_project(root, db_url=db_url)
    users = populate(project, tasks, annotators)
    one = count_one_cycle(project, users[0], merged)
    cpu = cpu_per_cycle(project, users[0], merged, cpu_cycles)
    url = project.db_url
    project.close()
    stored_before = _stored_revisions(root, url)
    busy0, total0 = machine_cpu()
    client0 = _client_cpu_s()
    t0 = time.perf_counter()
    if processes <= 1:
        total = run_threads(str(root), url, users, seconds, think_ms, 1, merged)
    else:
        shares = [users[i::processes] for i in range(processes)]
        context = multiprocessing.get_context("spawn")
        with context.Pool(processes) as pool:
            parts = pool.map(
                _process_main,
                [
                    (str(root), url, share, seconds, think_ms, i + 1, merged)
                    for i, share in enumerate(shares)
                ],
            )
        total = Tally()
        for part in parts:
            total.merge(part)
    wall = time.perf_counter() - t0
    client_s = _client_cpu_s() - client0
    busy1, total1 = machine_cpu()
    stored = _stored_revisions(root, url) - stored_before
    doubles = sum(1 for n in Counter(total.leased).values() if n > 1)
    return Outcome(
        store=store,
        cycle="merged" if merged else "separate",
        annotators=annotators,
        processes=max(1, processes),
        wall_s=wall,
        cycles=len(total.latencies),
        p50_ms=_pct(total.latencies, 0.5),
        p95_ms=_pct(total.latencies, 0.95),
        max_ms=_pct(total.latencies, 1.0),
        double_leases=doubles,
        lost_submits=max(0, total.submitted - stored),
        errors=dict(total.errors),
        one_cycle=one,
        cpu_ms=cpu,
        run_total=StatementTally(total.statements, total.transactions),
        busy=(busy1 - busy0) / max(total1 - total0, 1e-9),
        client_ms=client_s / max(1, len(total.latencies)) * 1000,
    )


def _ratios(outcomes: list[Outcome]) -> list[str]:
    """Each merged run against the separate run of the same store and size (same process)."""
    lines = []
    for new in outcomes:
        if new.cycle != "merged":
            continue
        for base in outcomes:
            if base.cycle == "separate" and (base.store, base.annotators, base.processes) == (
                new.store,
                new.annotators,
                new.processes,
            ):
                lines.append(
                    f"{new.store:<10} {new.annotators:>4} ann x {new.processes} proc  merged vs "
                    f"separate: p95 x{new.p95_ms / base.p95_ms:.2f}, p50 "
                    f"x{new.p50_ms / base.p50_ms:.2f}, cycles/s x{new.rate / base.rate:.2f}, "
                    f"CPU/cycle x{sum(new.cpu_ms) / sum(base.cpu_ms):.2f}, "
                    f"round trips {new.one_cycle.round_trips} vs {base.one_cycle.round_trips}"
                )
    return lines


def main() -> None:
    """Parse options, run each store and cycle, print two lines per run and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--annotators", type=int, nargs="+", default=[50])
    parser.add_argument("--processes", type=int, nargs="+", default=[1], help="0/1: threads only")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each run")
    parser.add_argument("--think-ms", type=float, default=30.0, help="think time 0..this")
    parser.add_argument("--tasks", type=int, default=10_000, help="queued clips")
    parser.add_argument(
        "--cycle",
        choices=(*CYCLES, "both"),
        default="both",
        help="separate (submit, then lease: the baseline), merged (lease in the submit's "
        "transaction) or both, alternating",
    )
    args = parser.parse_args()
    stores = ["sqlite", "postgresql"] if args.store == "both" else [args.store]
    cycles = list(CYCLES) if args.cycle == "both" else [args.cycle]
    most = max(args.annotators)
    outcomes: list[Outcome] = []
    settings = {"max_connections": str(max(200, 2 * most + 50)), "shared_buffers": "128MB"}
    with tempfile.TemporaryDirectory(prefix="voxcart-stress-") as tmp:
        work = Path(tmp)
        with (
            local_postgres.temporary_server(tcp=True, settings=settings)
            if ("postgresql" in stores)
            else _no_server() as admin
        ):
            for store in stores:
                for n in args.annotators:
                    for procs in args.processes:
                        for mode in cycles:
                            url = (
                                local_postgres.create_database(admin, "stress")
                                if store == "postgresql"
                                else None
                            )
                            outcome = measure(
                                store,
                                url,
                                work,
                                n,
                                procs,
                                args.seconds,
                                args.think_ms,
                                args.tasks,
                                mode == "merged",
                            )
                            outcomes.append(outcome)
                            print(outcome.line(), flush=True)
    for line in _ratios(outcomes):
        print(line)
    print(
        f"think 0..{args.think_ms:.0f} ms, {args.seconds:.0f} s per run, {args.tasks} queued "
        f"tasks, {os.cpu_count()} CPUs"
    )
    if any(o.double_leases or o.lost_submits for o in outcomes):
        raise SystemExit("FAIL: a double lease or a lost submit")


@contextmanager
def _no_server() -> Iterator[str]:
    yield ""


if __name__ == "__main__":
    main()
