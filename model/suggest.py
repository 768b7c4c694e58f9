"""Filling the suggestion pool: run a registered model over clips, a committed batch at a time.

Resumable: a clip that already has a suggestion from the model version is skipped, and each
batch is committed on its own, so a run that is killed loses at most one batch of work. A clip
whose audio cannot be read, or is too short, silent or too long for the backend, is reported
(kept in the report and written to ``reports/suggest-<model>-<time>.jsonl``) and skipped.

Decoding is one CPU core per process for the sphinx backend; ``workers=N`` decodes batches in N
processes, each loading the model once and committing its own batches.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
import types
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from voxcart.datasets.audio import load_audio
from voxcart.datasets.errors import AudioError, VoxcartError
from voxcart.datasets.failure_log import FailureLog
from voxcart.datasets.store.clip_filter import ClipFilter, clip_query
from voxcart.datasets.store.project import Project, open_project
from voxcart.datasets.store.schema import Clip, Recording, Suggestion
from voxcart.model.backends.base import SAMPLE_RATE, ASRBackend, ModelSpec, create_backend
from voxcart.model.backends.hypothesis import Hypothesis, hypothesis_to_row
from voxcart.model.errors import AudioRejectedError, ModelError
from voxcart.model.versions import CATALOG_MODEL, find_model, to_spec

DEFAULT_BATCH_SIZE = 16
MAX_BATCH_SIZE = 1_000
SILENCE_PEAK = 1e-3
"""Clips whose absolute peak stays below this (about -60 dBFS) count as silent."""
MAX_KEPT_ERRORS = 100
MAX_WORKERS = 64

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ClipFailure:
    """A clip that got no suggestion, and why."""

    clip_id: int
    uid: str
    reason: str


@dataclass(frozen=True)
class SuggestReport:
    """What a suggest run did.

    Attributes:
        model_name: the model version used.
        model_id: its id.
        backend_version: the backend's exact version string.
        selected: clips matching the filter.
        skipped_existing: of those, clips that already had a suggestion from this model.
        suggested: suggestions written by this run.
        failures: clips that were reported and skipped (the first :data:`MAX_KEPT_ERRORS`).
        failed: how many clips failed in total.
        error_log: the JSONL file listing every failure, or None when there was none.
        audio_s: seconds of audio decoded.
        decode_s: seconds spent in the backend.
    """

    model_name: str
    model_id: int
    backend_version: str
    selected: int
    skipped_existing: int
    suggested: int
    failures: tuple[ClipFailure, ...]
    failed: int
    error_log: Path | None
    audio_s: float
    decode_s: float

    @property
    def real_time_factor(self) -> float | None:
        """Backend seconds per second of audio (lower is faster), or None without audio."""
        return self.decode_s / self.audio_s if self.audio_s > 0 else None


@dataclass(frozen=True)
class _ClipRow:
    clip_id: int
    uid: str
    path: Path
    offset_s: float
    duration_s: float


def check_audio(audio: np.ndarray, backend: ASRBackend) -> None:
    """Raise AudioRejectedError when the backend cannot transcribe `audio` (16 kHz mono)."""
    seconds = audio.size / SAMPLE_RATE
    if seconds < backend.min_duration_s:
        raise AudioRejectedError(
            f"clip is {seconds:.3f} s long; {backend.name} needs at least "
            f"{backend.min_duration_s:g} s"
        )
    if seconds > backend.max_duration_s:
        raise AudioRejectedError(
            f"clip is {seconds:.1f} s long; {backend.name} takes at most "
            f"{backend.max_duration_s:g} s (segment long recordings with `voxcart segment`)"
        )
    if not np.all(np.isfinite(audio)):
        raise AudioRejectedError("clip audio holds NaN or infinite samples")
    if float(np.max(np.abs(audio))) < SILENCE_PEAK:
        raise AudioRejectedError(
            f"clip is silent (peak below {SILENCE_PEAK:g}); nothing to transcribe"
        )


def _pending_ids(project: Project, flt: ClipFilter, model_id: int) -> tuple[list[int], int]:
    with project.session() as session:
        selected = list(session.scalars(clip_query(flt)))
        done = set(
            session.scalars(
                select(Suggestion.clip_id).where(Suggestion.model_version_id == model_id)
            )
        )
    return [i for i in selected if i not in done], len(selected)


def _rows(project: Project, ids: Sequence[int]) -> list[_ClipRow]:
    with project.session() as session:
        found = session.execute(
            select(Clip.id, Clip.uid, Recording.source_path, Clip.offset_s, Clip.duration_s)
            .join(Recording, Recording.id == Clip.recording_id)
            .where(Clip.id.in_(list(ids)))
            .order_by(Clip.id)
        ).all()
    rows = []
    for clip_id, uid, source, offset, duration in found:
        path = Path(source)
        rows.append(
            _ClipRow(
                clip_id, uid, path if path.is_absolute() else project.root / path, offset, duration
            )
        )
    return rows


def _load(row: _ClipRow, backend: ASRBackend) -> np.ndarray:
    if row.duration_s > backend.max_duration_s:
        # Refused before reading: a long recording is not worth loading to reject it.
        check_audio(np.ones(round(row.duration_s * SAMPLE_RATE) + 1, dtype=np.float32), backend)
    audio = load_audio(row.path, row.offset_s, row.duration_s)
    check_audio(audio, backend)
    return audio


def _transcribe(
    backend: ASRBackend,
    rows: list[_ClipRow],
    audios: list[np.ndarray],
    failures: list[ClipFailure],
) -> list[tuple[_ClipRow, Hypothesis]]:
    try:
        hypotheses = backend.transcribe(audios)
        if len(hypotheses) != len(rows):
            raise ModelError(
                f"backend {backend.name} returned {len(hypotheses)} hypotheses for "
                f"{len(rows)} clips"
            )
        return list(zip(rows, hypotheses, strict=True))
    except (ModelError, RuntimeError, ValueError):
        if len(rows) == 1:
            raise
    # One clip broke the batch: decode one at a time to find it and keep the rest.
    done: list[tuple[_ClipRow, Hypothesis]] = []
    for row, audio in zip(rows, audios, strict=True):
        try:
            done.extend(_transcribe(backend, [row], [audio], failures))
        except (ModelError, RuntimeError, ValueError) as exc:
            failures.append(ClipFailure(row.clip_id, row.uid, f"{backend.name} failed: {exc}"))
    return done


def _store(project: Project, model_id: int, results: list[tuple[_ClipRow, Hypothesis]]) -> int:
    if not results:
        return 0
    with project.session() as session:
        existing = set(
            session.scalars(
                select(Suggestion.clip_id).where(
                    Suggestion.model_version_id == model_id,
                    Suggestion.clip_id.in_([row.clip_id for row, _ in results]),
                )
            )
        )
        added = 0
        for row, hypothesis in results:
            if row.clip_id in existing:
                continue  # written meanwhile by a concurrent run
            session.add(
                Suggestion(
                    clip_id=row.clip_id, model_version_id=model_id, **hypothesis_to_row(hypothesis)
                )
            )
            added += 1
    return added


def suggest(
    project: Project,
    model: str = CATALOG_MODEL,
    flt: ClipFilter | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit: int | None = None,
    progress: Progress | None = None,
    backend: ASRBackend | None = None,
    workers: int = 1,
) -> SuggestReport:
    """Suggest transcripts for the matching clips that have none from `model` yet.

    Args:
        project: the open project.
        model: a model version name, or a base name such as ``sphinx-catalog`` (its newest
            version); ``sphinx-generic`` is registered on first use.
        flt: which clips (default: every clip).
        batch_size: clips decoded and committed together.
        limit: stop after this many clips have been attempted (None: all).
        progress: called as progress(done, total) after each batch.
        backend: an already loaded backend for the model (default: created from its spec).
        workers: processes that decode batches in parallel (each loads the model once and
            commits its own batches; a batch is the unit of work, so a run of one batch
            decodes here). For CPU backends: one per core.

    Raises:
        ModelError: the model is unknown or cannot be loaded, or an argument is out of range.
    """
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ModelError(f"batch_size={batch_size} must be between 1 and {MAX_BATCH_SIZE}")
    if limit is not None and limit < 0:
        raise ModelError(f"limit={limit} must be zero or positive")
    with project.session() as session:
        row = find_model(session, model)
        model_id, model_name = row.id, row.name
        spec = to_spec(row, project.root)
    if not 1 <= workers <= MAX_WORKERS:
        raise ModelError(f"workers={workers} must be between 1 and {MAX_WORKERS}")
    if workers > 1 and backend is not None:
        raise ModelError("a loaded backend cannot be shared by worker processes; use workers=1")
    loaded: list[ASRBackend] = []

    def engine_for_local() -> ASRBackend:
        # Loaded on first use: a parallel run loads the model in its workers only.
        if not loaded:
            engine = backend or create_backend(spec)
            engine.load()
            loaded.append(engine)
        return loaded[0]

    pending, selected = _pending_ids(project, flt or ClipFilter(), model_id)
    skipped_existing = selected - len(pending)
    if limit is not None:
        pending = pending[:limit]
    log = FailureLog[ClipFailure](
        project.root / "reports",
        f"suggest-{model_name}",
        lambda f: {"clip_id": f.clip_id, "uid": f.uid, "reason": f.reason},
        MAX_KEPT_ERRORS,
    )
    batches = [pending[i : i + batch_size] for i in range(0, len(pending), batch_size)]
    total = _BatchResult()
    done = 0

    def record(ids: Sequence[int], result: _BatchResult) -> None:
        nonlocal done
        total.add(result)
        for failure in result.failures:
            log.add(failure)
        done += len(ids)
        if progress is not None:
            progress(done, len(pending))

    try:
        if workers > 1 and len(batches) > 1:
            _run_parallel(project, spec, model_id, batches, min(workers, len(batches)), record)
        else:
            for ids in batches:
                record(ids, _batch(project, engine_for_local(), model_id, ids))
    finally:
        log.close()
    return SuggestReport(
        model_name=model_name,
        model_id=model_id,
        backend_version=total.backend_version or engine_for_local().version,
        selected=selected,
        skipped_existing=skipped_existing,
        suggested=total.suggested,
        failures=tuple(log.kept),
        failed=log.count,
        error_log=log.path,
        audio_s=total.audio_s,
        decode_s=total.decode_s,
    )


@dataclass
class _BatchResult:
    """What one batch (or a whole run, summed) did."""

    suggested: int = 0
    audio_s: float = 0.0
    decode_s: float = 0.0
    failures: list[ClipFailure] = field(default_factory=list)
    backend_version: str = ""

    def add(self, other: _BatchResult) -> None:
        self.suggested += other.suggested
        self.audio_s += other.audio_s
        self.decode_s += other.decode_s
        self.backend_version = self.backend_version or other.backend_version


def _batch(project: Project, engine: ASRBackend, model_id: int, ids: Sequence[int]) -> _BatchResult:
    """Load, decode and commit the suggestions of one batch of clips."""
    result = _BatchResult(backend_version=engine.version)
    rows, audios = [], []
    for clip in _rows(project, ids):
        try:
            audios.append(_load(clip, engine))
            rows.append(clip)
        except (AudioError, AudioRejectedError) as exc:
            result.failures.append(ClipFailure(clip.clip_id, clip.uid, str(exc)))
    began = time.perf_counter()
    decoded = _transcribe(engine, rows, audios, result.failures) if rows else []
    result.decode_s = time.perf_counter() - began
    result.audio_s = sum(a.size for a in audios) / SAMPLE_RATE
    result.suggested = _store_retrying(project, model_id, decoded)
    return result


@dataclass(frozen=True)
class _Worker:
    """What a worker process holds for all its batches."""

    project: Project
    engine: ASRBackend
    model_id: int


_worker: list[_Worker | VoxcartError] = []
"""The worker process's state, or why it could not load (set once by :func:`_init_worker`)."""


def _init_worker(root: str, db_url: str, spec: ModelSpec, model_id: int) -> None:
    # An error here would only break the pool; kept, it reaches the caller with the first batch.
    try:
        engine = create_backend(spec)
        engine.load()
        _worker.append(_Worker(open_project(root, db_url), engine, model_id))
    except VoxcartError as exc:
        _worker.append(exc)


def _worker_batch(ids: list[int]) -> _BatchResult:
    state = _worker[0]
    if isinstance(state, VoxcartError):
        raise state
    return _batch(state.project, state.engine, state.model_id, ids)


@contextmanager
def _caller_main_hidden() -> Iterator[None]:
    """While worker processes start, a bare ``__main__`` stands in for the caller's.

    A spawned process re-runs the caller's ``__main__`` file before it works, and a caller's
    ``__main__`` can be anything (a Streamlit page, a test runner's generated script) with
    side effects or no ``if __name__ == "__main__"`` guard. Workers need only this module.
    """
    caller = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = caller


def _run_parallel(
    project: Project,
    spec: ModelSpec,
    model_id: int,
    batches: list[list[int]],
    workers: int,
    record: Callable[[Sequence[int], _BatchResult], None],
) -> None:
    """Decode `batches` in `workers` processes, recording each as it completes."""
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(str(project.root), project.db_url, spec, model_id),
    ) as pool:
        with _caller_main_hidden():
            # The pool starts its processes at the first submit.
            futures = {pool.submit(_worker_batch, ids): ids for ids in batches}
        try:
            for future in as_completed(futures):
                record(futures[future], future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _store_retrying(
    project: Project, model_id: int, results: list[tuple[_ClipRow, Hypothesis]]
) -> int:
    try:
        return _store(project, model_id, results)
    except IntegrityError:
        # A concurrent run inserted one of these between our check and commit; the retry's
        # check sees it now.
        return _store(project, model_id, results)
