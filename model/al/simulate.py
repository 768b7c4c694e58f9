"""`voxcart al simulate`: replay the active-learning loop with a simulated annotator.

The proof that selection pays: every (strategy, seed) pair runs the real loop
(:func:`voxcart.model.al.rounds.select_round`, the oracle annotator of
:mod:`voxcart.model.al.oracle`, :func:`voxcart.model.al.train.train_round`) on its own copy
of the project, and each new model is measured on the held-out clips against their gold
references. The user's project is never written to.

Layout of the output folder::

    start/                  the shared starting point: a copy with the start model's suggestions
    runs/<strategy>-s<seed>/ one copy per run, with points.json once the run finished
    simulation.csv, curves.csv, efficiency.json, summary.md, learning_curves.png

A finished run is not run again, so an interrupted simulation resumes. The default start
model is ``catalog-only``: an LM of the catalog's titles and terms without query templates,
i.e. a model that knows the product words but not yet how shoppers phrase queries, which the
labels then teach. ``current`` starts from the newest model that suggested the pool instead.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from voxcart.datasets.store.clip_filter import ClipFilter
from voxcart.datasets.store.project import Project, default_db_url, open_project
from voxcart.datasets.store.schema import ClipReference
from voxcart.model.al.candidates import pool_clip_ids
from voxcart.model.al.curves import write_outputs
from voxcart.model.al.loop import LoopOptions, run_rounds
from voxcart.model.al.rounds import newest_suggesting_model
from voxcart.model.al.sim_config import (
    CurvePoint,
    SimulationConfig,
    StartModel,
)
from voxcart.model.al.train import labelled_seconds
from voxcart.model.errors import ModelError
from voxcart.model.eval.evaluate import evaluate
from voxcart.model.lm.build import LmBuildConfig, build_catalog_lm
from voxcart.model.lm.corpus import CorpusConfig
from voxcart.model.suggest import suggest

START_BASE = "sim-catalog"
EVAL_SPLIT = "heldout"
_COPIED = ("voxcart.toml", "models")
_NOT_LINKED = {
    "voxcart.db",
    "voxcart.db-wal",
    "voxcart.db-shm",
    "reports",
    "exports",
    "models",
    "runs",
}


@dataclass(frozen=True)
class SimulationResult:
    """Every point of every run, and where the files went."""

    points: tuple[CurvePoint, ...]
    out_dir: Path
    start_model: str
    files: dict[str, Path] = field(default_factory=dict)


def _sqlite_path(project: Project) -> Path:
    url = make_url(project.db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise ModelError(
            "al simulate copies the project once per run and needs a SQLite project "
            f"database; {url.render_as_string(hide_password=True)!r} is not one (export the "
            "project to a SQLite copy first)"
        )
    return Path(url.database)


def copy_project(source: Project, target: Path) -> Path:
    """A working copy of a SQLite project: database (consistent snapshot), config and models
    copied, every other entry (audio folders) linked.

    Raises:
        ModelError: the project is not SQLite, or `target` exists.
    """
    db_path = _sqlite_path(source)
    if target.exists():
        raise ModelError(f"{target} already exists; remove it or choose another --out")
    staging = target.parent / f".{target.name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in _COPIED:
        entry = source.root / name
        if entry.is_dir():
            shutil.copytree(entry, staging / name, symlinks=True)
        elif entry.is_file():
            shutil.copy2(entry, staging / name)
    for entry in source.root.iterdir():
        if entry.name in _NOT_LINKED or entry.name in _COPIED or entry.name.startswith("."):
            continue
        if target.resolve().is_relative_to(entry.resolve()):
            continue  # the simulation's own output folder inside the project
        (staging / entry.name).symlink_to(entry.resolve())
    with sqlite3.connect(db_path) as src, sqlite3.connect(staging / "voxcart.db") as dst:
        src.backup(dst)
    staging.rename(target)
    return target


def _open_copy(path: Path) -> Project:
    return open_project(path, default_db_url(path))


def _check_references(project: Project) -> None:
    with project.session() as session:
        pool = pool_clip_ids(session)
        if not pool:
            raise ModelError("the project has no unlabelled train clip to select from")
        referenced = session.scalar(
            select(func.count()).select_from(ClipReference).where(ClipReference.clip_id.in_(pool))
        )
    if not referenced:
        raise ModelError(
            "no unlabelled train clip has a gold reference, so there is no simulated "
            "annotator; al simulate runs on demo projects (`voxcart demo`) or on train clips "
            "given gold references (`voxcart import MANIFEST --as-reference`)"
        )


def _point(project: Project, strategy: str, seed: int, round_: int, model: str) -> CurvePoint:
    report = evaluate(project, model, EVAL_SPLIT, reference="gold")
    with project.session() as session:
        clips, seconds = labelled_seconds(session, ("oracle",))
    metrics = report.overall
    return CurvePoint(
        strategy=strategy,
        seed=seed,
        round=round_,
        labelled_clips=clips,
        labelled_minutes=seconds / 60.0,
        wer=float(metrics.wer or 0.0),
        cer=float(metrics.cer or 0.0),
        entity_error=metrics.entity_error_rate,
        model=model,
    )


def prepare_start(
    project: Project, out_dir: Path, start: StartModel, workers: int = 1
) -> tuple[Path, str]:
    """Build (or reuse) the shared starting copy: the start model has suggested every clip
    (decoded in `workers` processes).

    Returns:
        The copy's folder and the start model's name.
    """
    start_dir = out_dir / "start"
    marker = start_dir / "start.json"
    if marker.is_file():
        return start_dir, str(json.loads(marker.read_text(encoding="utf-8"))["model"])
    shutil.rmtree(start_dir, ignore_errors=True)
    copy_project(project, start_dir)
    copy = _open_copy(start_dir)
    try:
        _check_references(copy)
        if start == "catalog-only":
            built = build_catalog_lm(
                copy,
                LmBuildConfig(base_name=START_BASE, corpus=CorpusConfig(queries_per_product=0)),
            )
            model = built.model_name
        else:
            with copy.session() as session:
                model = newest_suggesting_model(session).name
        suggest(copy, model, ClipFilter(split=None), workers=workers)
    finally:
        copy.close()
    marker.write_text(json.dumps({"model": model, "start": start}), encoding="utf-8")
    return start_dir, model


def run_one(
    start_dir: Path,
    run_dir: Path,
    strategy: str,
    seed: int,
    config: SimulationConfig,
    start_model: str,
) -> list[CurvePoint]:
    """One (strategy, seed) run: its own copy, `config.rounds` oracle-labelled rounds.

    The points are also written to ``points.json`` in the run folder; a run folder that has
    one is read back instead of run again.
    """
    done = run_dir / "points.json"
    if done.is_file():
        return [CurvePoint(**p) for p in json.loads(done.read_text(encoding="utf-8"))]
    shutil.rmtree(run_dir, ignore_errors=True)
    source = _open_copy(start_dir)
    try:
        copy_project(source, run_dir)
    finally:
        source.close()
    project = _open_copy(run_dir)
    points: list[CurvePoint] = []
    try:
        random = strategy == "random"
        for number in range(1, config.rounds + 1):
            last = number == config.rounds
            options = LoopOptions(
                strategy=strategy,
                diversity="none" if random else config.diversity,
                budget=config.budget,
                seed=seed,
                annotator="oracle",
                # Random ignores suggestions and the last model scores nothing: skip re-scoring.
                pool_sample=0 if random or last else config.pool_sample,
                eval_splits=(),
                reference="gold",
                adapt=config.adapt,
            )
            result = run_rounds(project, 1, options)
            trained = result.trained[-1]
            points.append(_point(project, strategy, seed, number, str(trained.model)))
    finally:
        project.close()
    done.write_text(json.dumps([asdict(p) for p in points], indent=1), encoding="utf-8")
    return points


@dataclass(frozen=True)
class RunJob:
    """One (strategy, seed) run of a simulation, as handed to a child process."""

    start_dir: Path
    run_dir: Path
    strategy: str
    seed: int
    config: SimulationConfig
    start_model: str

    @property
    def log_path(self) -> Path:
        """Where the child process writes its output."""
        return self.run_dir.with_name(f"{self.run_dir.name}.log")

    def run(self) -> list[CurvePoint]:
        """Run it in this process (see :func:`run_one`)."""
        return run_one(
            self.start_dir, self.run_dir, self.strategy, self.seed, self.config, self.start_model
        )

    def points(self) -> list[CurvePoint]:
        """The points a finished run wrote."""
        data = json.loads((self.run_dir / "points.json").read_text(encoding="utf-8"))
        return [CurvePoint(**p) for p in data]

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible values (the child process's argument)."""
        config = asdict(self.config)
        config["strategies"] = list(self.config.strategies)
        return {
            "start_dir": str(self.start_dir),
            "run_dir": str(self.run_dir),
            "strategy": self.strategy,
            "seed": self.seed,
            "config": config,
            "start_model": self.start_model,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunJob:
        """The job :meth:`to_dict` described."""
        config = dict(data["config"])
        config["strategies"] = tuple(config["strategies"])
        return cls(
            Path(data["start_dir"]),
            Path(data["run_dir"]),
            str(data["strategy"]),
            int(data["seed"]),
            SimulationConfig(**config),
            str(data["start_model"]),
        )


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # One decoder per process: keep numeric libraries from oversubscribing the cores.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    return env


def _launch(job: RunJob) -> subprocess.Popen[bytes]:
    """Start one run as ``python -m voxcart.model.al.simulate <job json>`` (a fresh process,
    whatever the parent's ``__main__`` is), its output going to ``<run>.log``."""
    job.run_dir.parent.mkdir(parents=True, exist_ok=True)
    # Owner-only, like the project database: logs can quote transcripts and paths.
    log = os.fdopen(os.open(job.log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "voxcart.model.al.simulate", json.dumps(job.to_dict())],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_child_env(),
        )
    finally:
        log.close()


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def _run_parallel(
    jobs: Sequence[RunJob],
    workers: int,
    finished: Callable[[RunJob, list[CurvePoint]], None],
    poll_s: float = 0.5,
) -> None:
    """Run the jobs in up to `workers` child processes; a failing run stops the others."""
    waiting = list(jobs)
    running: list[tuple[RunJob, subprocess.Popen[bytes]]] = []
    try:
        while waiting or running:
            while waiting and len(running) < workers:
                job = waiting.pop(0)
                running.append((job, _launch(job)))
            still: list[tuple[RunJob, subprocess.Popen[bytes]]] = []
            for job, process in running:
                code = process.poll()
                if code is None:
                    still.append((job, process))
                elif code != 0:
                    raise ModelError(
                        f"run {job.strategy} seed {job.seed} failed (exit {code}): "
                        f"{_tail(job.log_path)}; full log: {job.log_path}"
                    )
                else:
                    finished(job, job.points())
            running = still
            if running:
                time.sleep(poll_s)
    finally:
        for _, process in running:
            process.kill()
            process.wait()


def simulate(
    project: Project,
    out_dir: Path,
    config: SimulationConfig | None = None,
    *,
    on_run: Callable[[str, int, list[CurvePoint]], None] | None = None,
) -> SimulationResult:
    """Run every (strategy, seed) pair and write the learning curves.

    Args:
        project: the open (SQLite) project; it is only read.
        out_dir: where the copies, tables and figures go (reused to resume).
        config: strategies, rounds, budget, seeds and parallelism.
        on_run: called after each finished run with (strategy, seed, points).

    Raises:
        ModelError: a bad option, a non-SQLite project, no gold references, or a failing
            run (its error names the run).
    """

    cfg = config or SimulationConfig()
    out_dir.mkdir(parents=True, exist_ok=True)
    start_dir, start_model = prepare_start(project, out_dir, cfg.start, cfg.workers)
    start_project = _open_copy(start_dir)
    try:
        base = _point(start_project, "start", 0, 0, start_model)
    finally:
        start_project.close()
    points: list[CurvePoint] = []

    def finished(job: RunJob, run: list[CurvePoint]) -> None:
        zero = CurvePoint(**{**asdict(base), "strategy": job.strategy, "seed": job.seed})
        points.extend([zero, *run])
        if on_run is not None:
            on_run(job.strategy, job.seed, run)

    run_root = out_dir / "runs"
    run_root.mkdir(exist_ok=True)
    jobs = [
        RunJob(start_dir, run_root / f"{strategy}-s{seed}", strategy, seed, cfg, start_model)
        for seed in range(cfg.seeds)
        for strategy in cfg.strategies
    ]
    if cfg.workers == 1:
        for job in jobs:
            finished(job, job.run())
    else:
        _run_parallel(jobs, cfg.workers, finished)
    ordered = sorted(points, key=lambda p: (p.strategy, p.seed, p.round))
    files = write_outputs(ordered, out_dir, cfg)
    return SimulationResult(tuple(ordered), out_dir, start_model, files)


def summary_rows(points: Sequence[CurvePoint]) -> list[str]:
    """One line per run: strategy, seed and its final WER (for the CLI)."""
    last: dict[tuple[str, int], CurvePoint] = {}
    for p in points:
        key = (p.strategy, p.seed)
        if key not in last or p.round > last[key].round:
            last[key] = p
    return [
        f"{p.strategy} seed {p.seed}: {p.labelled_minutes:.2f} min labelled, WER {100 * p.wer:.1f}%"
        for _, p in sorted(last.items())
    ]


def _main(argv: Sequence[str]) -> int:
    """Child-process entry: run the one job given as JSON."""
    if len(argv) != 1:
        print("usage: python -m voxcart.model.al.simulate JOB_JSON", file=sys.stderr)
        return 2
    RunJob.from_dict(json.loads(argv[0])).run()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
