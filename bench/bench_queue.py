"""Benchmark of the labeling queue on SQLite: submit-to-next-lease latency, concurrent throughput.

For a large store (default 100,000 clips) and a small baseline store (default 1,000 clips),
measured in the same run:

1. one annotator: time from starting a submit to holding the next leased clip (p50/p95);
2. N annotators (threads, each with its own engine and connections) leasing and submitting
   a fixed number of clips each: throughput, p50/p95 latency of lease+submit, and a check
   that no clip was leased twice.

Both stores are measured interleaved (a cycle on one, then on the other; concurrent rounds of
five cycles alternate too), so that load from other processes affects both alike. The
large/baseline ratio shows whether leasing cost grows with the queue (it should not: the
candidate scan walks the (kind, state, priority) index).

Run: ``python bench/bench_queue.py [--clips 100000] [--baseline-clips 1000]``.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.orm import sessionmaker

from voxcart.datasets.store.project import Project, init_project, make_engine
from voxcart.datasets.store.queue import enqueue, lease_next, release
from voxcart.datasets.store.schema import Clip, Recording, Revision, User
from voxcart.labeler.services.submit import submit


@dataclass(frozen=True)
class Result:
    """Numbers of one store size."""

    clips: int
    setup_s: float
    single_p50_ms: float
    single_p95_ms: float
    conc_ops: int
    conc_wall_s: float
    conc_p50_ms: float
    conc_p95_ms: float
    duplicates: int
    plan: str

    @property
    def throughput(self) -> float:
        """Lease+submit cycles per second over all annotators."""
        return self.conc_ops / self.conc_wall_s


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def _populate(project: Project, n: int, annotators: int) -> list[int]:
    with project.session() as s:
        rec = Recording(
            source_path="/bench/long.wav",
            content_hash=f"bench-{n}",
            format="WAV",
            duration_s=2.0 * n,
            sample_rate=16_000,
            channels=1,
            num_frames=32_000 * n,
        )
        s.add(rec)
        s.flush()
        for start in range(0, n, 10_000):
            s.execute(
                insert(Clip),
                [
                    {
                        "uid": f"c{i:07d}",
                        "recording_id": rec.id,
                        "offset_s": 2.0 * i,
                        "duration_s": 2.0,
                    }
                    for i in range(start, min(n, start + 10_000))
                ],
            )
        users = [User(username=f"ann{i}") for i in range(annotators + 1)]
        s.add_all(users)
        s.flush()
        clip_ids = list(s.scalars(select(Clip.id).order_by(Clip.id)))
        # Distinct, seeded-free deterministic priorities (a hash-like spread).
        enqueue(s, clip_ids, {c: float((c * 2654435761) % 1_000_003) for c in clip_ids})
        s.execute(text("ANALYZE"))
        return [u.id for u in users]


def _plan(project: Project, user: int) -> str:
    """EXPLAIN QUERY PLAN of the candidate queries lease_next really sends."""
    seen: list[tuple[str, Any]] = []

    def record(_c: object, _cur: object, statement: str, params: Any, *_rest: object) -> None:
        if statement.lstrip().startswith("SELECT tasks.id, tasks.priority"):
            seen.append((statement, params))

    event.listen(project.engine, "before_cursor_execute", record)
    try:
        task = lease_next(project, user)
    finally:
        event.remove(project.engine, "before_cursor_execute", record)
    if task is not None:
        release(project, task.task_id, user)
    with project.engine.connect() as conn:
        plans = [
            " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + st, p))
            for st, p in seen
        ]
    return " | ".join(plans)


class _Store:
    """One store under test and what was measured on it so far."""

    def __init__(self, n: int, annotators: int, workdir: Path) -> None:
        t0 = time.perf_counter()
        self.n = n
        self.project = init_project(workdir / f"store-{n}")
        self.users = _populate(self.project, n, annotators)
        self.setup_s = time.perf_counter() - t0
        self.single: list[float] = []
        self.task = lease_next(self.project, self.users[0])
        self.conc: list[float] = []
        self.leased: list[int] = []
        self.wall = 0.0

    def single_cycle(self) -> None:
        """Submit the held clip and lease the next one, timing both together."""
        if self.task is None:
            return
        t0 = time.perf_counter()
        task = self.task
        submit(self.project, self.users[0], task.task_id, task.clip_id, "red shoes", "corrected")
        self.task = lease_next(self.project, self.users[0])
        self.single.append(time.perf_counter() - t0)

    def concurrent_round(self, cycles: int) -> None:
        """All annotators at once, `cycles` lease+submit cycles each."""
        lat, clips, wall = _concurrent(self.project, self.users[1:], cycles)
        self.conc.extend(lat)
        self.leased.extend(clips)
        self.wall += wall

    def result(self) -> Result:
        """Check for double leases and summarize."""
        dup = sum(1 for k in Counter(self.leased).values() if k > 1)
        with self.project.session() as s:
            # Every cycle submitted once; a clip served to two people would hold two revisions.
            twice = s.scalar(
                select(func.count()).select_from(
                    select(Revision.clip_id)
                    .group_by(Revision.clip_id)
                    .having(func.count() > 1)
                    .subquery()
                )
            )
        return Result(
            clips=self.n,
            setup_s=self.setup_s,
            single_p50_ms=_pct(self.single, 0.5),
            single_p95_ms=_pct(self.single, 0.95),
            conc_ops=len(self.conc),
            conc_wall_s=self.wall,
            conc_p50_ms=_pct(self.conc, 0.5),
            conc_p95_ms=_pct(self.conc, 0.95),
            duplicates=dup + int(twice or 0),
            plan=_plan(self.project, self.users[0]),
        )


def _concurrent(
    project: Project, users: list[int], per_annotator: int
) -> tuple[list[float], list[int], float]:
    latencies: list[list[float]] = [[] for _ in users]
    leased: list[list[int]] = [[] for _ in users]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(users) + 1)

    def work(i: int) -> None:
        engine = make_engine(project.db_url)
        own = Project(project.root, project.config, project.db_url, engine, sessionmaker(engine))
        try:
            barrier.wait()
            for _ in range(per_annotator):
                t0 = time.perf_counter()
                task = lease_next(own, users[i])
                if task is None:
                    break
                submit(own, users[i], task.task_id, task.clip_id, "usb c cable", "corrected")
                latencies[i].append(time.perf_counter() - t0)
                leased[i].append(task.clip_id)
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(users))]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return [x for per in latencies for x in per], [c for per in leased for c in per], wall


def run(
    sizes: tuple[int, int], iterations: int, annotators: int, per_annotator: int, workdir: Path
) -> list[Result]:
    """Build both stores, then measure them interleaved so that machine load hits both alike."""
    stores = [_Store(n, annotators, workdir) for n in sizes]
    try:
        for _ in range(iterations):
            for store in stores:
                store.single_cycle()
        rounds, rest = divmod(per_annotator, 5)
        for cycles in [5] * rounds + ([rest] if rest else []):
            for store in stores:
                store.concurrent_round(cycles)
        return [store.result() for store in stores]
    finally:
        for store in stores:
            store.project.close()


def main() -> None:
    """Parse options, run both store sizes, print a table and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=100_000)
    parser.add_argument("--baseline-clips", type=int, default=1_000)
    parser.add_argument("--iterations", type=int, default=300, help="single-annotator cycles")
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--per-annotator", type=int, default=25, help="cycles per annotator")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="voxcart-bench-") as tmp:
        results = run(
            (args.baseline_clips, args.clips),
            args.iterations,
            args.annotators,
            args.per_annotator,
            Path(tmp),
        )
    print(
        f"{'clips':>8} {'setup s':>8} {'1x p50':>8} {'1x p95':>8} "
        f"{'Nx ops/s':>9} {'Nx p50':>8} {'Nx p95':>8} {'dup':>4}"
    )
    for r in results:
        print(
            f"{r.clips:>8} {r.setup_s:>8.1f} {r.single_p50_ms:>7.1f}ms {r.single_p95_ms:>6.1f}ms "
            f"{r.throughput:>9.1f} {r.conc_p50_ms:>6.1f}ms {r.conc_p95_ms:>6.1f}ms "
            f"{r.duplicates:>4}"
        )
    base, big = results
    print(
        f"annotators: {args.annotators} x {args.per_annotator} cycles; "
        f"single annotator: {args.iterations} cycles"
    )
    print(
        f"ratio {big.clips}/{base.clips} clips: "
        f"single p50 x{big.single_p50_ms / base.single_p50_ms:.2f}, "
        f"concurrent throughput x{big.throughput / base.throughput:.2f}"
    )
    print(f"lease candidate plans (pending | expired), {big.clips} clips: {big.plan}")
    if any(r.duplicates for r in results):
        raise SystemExit("FAIL: a clip was leased twice")


if __name__ == "__main__":
    main()
