"""Background jobs started from the app (suggest, LM build): one thread, progress in memory.

A job runs in a daemon thread so that the page that started it returns at once; the rounds
page polls :func:`current_job`. Only one job runs per project at a time (two decoders on
two cores would only slow each other down). Progress lives in this process's memory: it is
lost when the app restarts, while the job's results are in the database as usual.
"""

from __future__ import annotations

import enum
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from voxcart.datasets.errors import VoxcartError
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import utcnow
from voxcart.labeler.errors import LabelerError

ProgressFn = Callable[[int, int], None]
JobBody = Callable[[ProgressFn], str]
"""The work of a job: called with a progress callback, returns a one-line summary."""


class JobBusyError(LabelerError):
    """A job is already running for this project; wait for it to finish."""


class JobState(enum.StrEnum):
    """Life of a job."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class JobStatus:
    """A snapshot of a job (safe to read from any thread).

    Attributes:
        total: units of work, or 0 while unknown (e.g. an LM build reports no steps).
        summary: the job's result line when done, or the error when failed.
    """

    job_id: int
    kind: str
    state: JobState
    done: int
    total: int
    started_at: datetime
    finished_at: datetime | None = None
    summary: str = ""

    @property
    def fraction(self) -> float | None:
        """Share done in [0, 1], or None while the total is unknown."""
        if self.state is not JobState.RUNNING:
            return 1.0
        return min(1.0, self.done / self.total) if self.total > 0 else None


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.jobs: dict[Path, JobStatus] = {}
        self.threads: dict[Path, threading.Thread] = {}
        self.next_id = 1


_REGISTRY = _Registry()


def _update(root: Path, job_id: int, **changes: object) -> None:
    with _REGISTRY.lock:
        status = _REGISTRY.jobs.get(root)
        if status is not None and status.job_id == job_id:
            _REGISTRY.jobs[root] = replace(status, **changes)  # type: ignore[arg-type]


def start_job(project: Project, kind: str, body: JobBody) -> JobStatus:
    """Run `body` in a background thread and return its first status.

    Raises:
        JobBusyError: a job is still running for this project.
    """
    root = project.root
    with _REGISTRY.lock:
        running = _REGISTRY.jobs.get(root)
        if running is not None and running.state is JobState.RUNNING:
            raise JobBusyError(
                f"job {running.job_id} ({running.kind}) is still running for {root}; "
                "wait until it finishes"
            )
        job_id = _REGISTRY.next_id
        _REGISTRY.next_id += 1
        status = JobStatus(job_id, kind, JobState.RUNNING, 0, 0, utcnow())
        _REGISTRY.jobs[root] = status

    def progress(done: int, total: int) -> None:
        _update(root, job_id, done=int(done), total=int(total))

    def run() -> None:
        try:
            summary = body(progress)
        except VoxcartError as exc:
            _update(root, job_id, state=JobState.FAILED, finished_at=utcnow(), summary=str(exc))
        except Exception as exc:  # a job must never die silently: report any failure
            last = traceback.format_exception_only(exc)[-1].strip()
            _update(root, job_id, state=JobState.FAILED, finished_at=utcnow(), summary=last)
        else:
            _update(root, job_id, state=JobState.DONE, finished_at=utcnow(), summary=summary)

    thread = threading.Thread(target=run, name=f"voxcart-job-{job_id}-{kind}", daemon=True)
    with _REGISTRY.lock:
        _REGISTRY.threads[root] = thread
    thread.start()
    return status


def current_job(project: Project) -> JobStatus | None:
    """The project's running job, or its last finished one; None when none ran."""
    with _REGISTRY.lock:
        return _REGISTRY.jobs.get(project.root)


def wait(project: Project, timeout_s: float | None = None) -> JobStatus | None:
    """Block until the project's job thread ends (for scripts and tests); its final status."""
    with _REGISTRY.lock:
        thread = _REGISTRY.threads.get(project.root)
    if thread is not None:
        thread.join(timeout_s)
    return current_job(project)


def start_suggest(project: Project, model: str, limit: int | None = None) -> JobStatus:
    """Start ``voxcart suggest`` for every clip without a suggestion from `model`.

    Raises:
        JobBusyError: a job is still running for this project.
    """
    from voxcart.model.suggest import suggest

    def body(progress: ProgressFn) -> str:
        report = suggest(project, model, limit=limit, progress=progress)
        return (
            f"{report.model_name}: {report.suggested} suggestion(s) written, "
            f"{report.skipped_existing} already had one, {report.failed} failed"
        )

    return start_job(project, "suggest", body)


def start_lm_build(project: Project) -> JobStatus:
    """Start the catalog LM build (a new model version when the corpus changed).

    Raises:
        JobBusyError: a job is still running for this project.
    """
    from voxcart.model.lm.build import build_catalog_lm

    def body(progress: ProgressFn) -> str:
        progress(0, 1)
        report = build_catalog_lm(project)
        progress(1, 1)
        what = "registered" if report.created else "unchanged (same corpus as)"
        return (
            f"LM {what} {report.model_name}: {report.sentences} sentences, "
            f"{report.vocabulary} words"
        )

    return start_job(project, "build-lm", body)
