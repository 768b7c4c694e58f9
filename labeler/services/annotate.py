"""What the annotate page needs, without Streamlit: the next clip to transcribe and its context.

:func:`next_item` leases (or resumes) a task and bundles everything the editor shows: the
clip's audio, the newest model suggestion with word confidences, the stale-edit base, the
catalog vocabulary for completion, out-of-catalog flags, and whether to hide a suggestion that
is probably very wrong ("retype mode"). Word confidences are read through the suggesting
model's calibration (:mod:`voxcart.model.calibrate`), so the colours and the retype decision
use the probability that a word is right; a model without one passes its raw confidences
through, marked uncalibrated. :func:`annotator_counters` gives the per-annotator
numbers; :mod:`voxcart.labeler.services.editor_events` turns the editor's events into revisions.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from voxcart.datasets.catalog.store import load_vocabulary
from voxcart.datasets.errors import AudioError, LeaseLostError
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.queue import (
    DEFAULT_LEASE_S,
    SECOND_PASS_KIND,
    LeasedTask,
    LeaseRequest,
    current_leases,
    lease_best,
    release,
    task_is_open,
)
from voxcart.datasets.store.queue import resolve_now as _resolve_now
from voxcart.datasets.store.revisions import current_transcripts
from voxcart.datasets.store.schema import (
    Clip,
    ModelVersion,
    Revision,
    RevisionStatus,
    Suggestion,
    Task,
)
from voxcart.labeler.errors import SubmitError
from voxcart.labeler.services.clip_media import ClipMedia, clip_media
from voxcart.labeler.services.oov import KnownWords, OovFlag, known_words, oov_flags
from voxcart.labeler.services.submit import SUBMIT_SOURCE
from voxcart.model.calibrate.store import UNCALIBRATED, Calibration, calibration_of

KIND = "annotate"


@dataclass(frozen=True)
class AnnotateConfig:
    """Thresholds of the annotate page.

    Attributes:
        retype_below: hide a suggestion whose mean (calibrated) word confidence is below
            this (the annotator types from scratch instead of fixing a mostly wrong text); the
            project's ``[labeling] retype_below``. The annotator can still reveal it (Alt+V).
        low_confidence: words below this (calibrated) confidence are coloured and visited by
            the "next low-confidence word" key.
        completion_max: most catalog terms sent to the editor for completion.
        lease_s: seconds a leased clip stays reserved without a renewal.
    """

    retype_below: float = 0.4
    low_confidence: float = 0.6
    completion_max: int = 5000
    lease_s: float = DEFAULT_LEASE_S


DEFAULT_CONFIG = AnnotateConfig()


@dataclass(frozen=True)
class WordView:
    """One suggested word with its timing and confidence.

    Attributes:
        word: the word.
        start_s: its start in seconds.
        end_s: its end in seconds.
        confidence: the calibrated confidence (the probability that the word is right), or
            the raw one where the model is uncalibrated.
        raw_confidence: the backend's confidence as stored (None: same as `confidence`).
    """

    word: str
    start_s: float
    end_s: float
    confidence: float
    raw_confidence: float | None = None


@dataclass(frozen=True)
class SuggestionView:
    """The suggestion the editor starts from."""

    id: int
    model_name: str
    text: str
    words: tuple[WordView, ...]
    mean_confidence: float
    """Mean (calibrated) word confidence (1.0 for a suggestion without words)."""
    calibration: str = UNCALIBRATED.describe()
    """How the model's confidences were calibrated, or that they are not."""
    calibrated: bool = False
    """Whether `words` carry calibrated confidences."""


@dataclass(frozen=True)
class AnnotateItem:
    """Everything the editor needs for one leased clip.

    Attributes:
        task: the lease (task id, clip id, expiry).
        clip_uid: the clip's stable id, shown to the annotator.
        duration_s: the clip's duration in the store.
        media: audio, peaks and spectrogram; None when the audio cannot be read.
        audio_error: why the audio could not be read (the clip can still be skipped).
        suggestion: the newest suggestion for the clip, if any.
        base_revision_id: the clip's newest revision when loaded (the stale-edit base).
        current_text: that revision's text, when there is one.
        retype: True when the suggestion is hidden because it is predicted to be very wrong.
        prefill: the editor's starting text.
        vocabulary: catalog terms for completion (normalized, sorted).
        oov: out-of-catalog words of `prefill`.
        second_pass: True for an independent second annotation (double annotation): the
            prefill and `current_text` never show the first annotator's transcript.
    """

    task: LeasedTask
    clip_uid: str
    duration_s: float
    media: ClipMedia | None
    audio_error: str | None
    suggestion: SuggestionView | None
    base_revision_id: int | None
    current_text: str | None
    retype: bool
    prefill: str
    vocabulary: tuple[str, ...]
    oov: tuple[OovFlag, ...]
    second_pass: bool = False


MediaLoader = Callable[[Project, int], ClipMedia]


def load_media(project: Project, clip_id: int) -> ClipMedia:
    """Audio payload of a clip (see :func:`voxcart.labeler.services.clip_media.clip_media`).

    Raises:
        AudioError: the clip is unknown or its audio cannot be read.
    """
    with project.session() as session:
        clip = session.get(Clip, clip_id)
        if clip is None:
            raise AudioError(f"clip {clip_id} does not exist")
        path, offset, duration = clip.recording.source_path, clip.offset_s, clip.duration_s
    return clip_media(path, offset, duration)


def finite_float(value: Any, default: float) -> float:
    """`value` as a finite float, or `default` where it is not one (stored JSON, editor input)."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return default
    return out if math.isfinite(out) else default


def _word_views(
    words: Sequence[Any], calibration: Calibration = UNCALIBRATED
) -> tuple[WordView, ...]:
    out = []
    for w in words:
        if isinstance(w, Mapping) and str(w.get("word", "")).strip():
            raw = min(1.0, max(0.0, finite_float(w.get("confidence"), 1.0)))
            out.append(
                WordView(
                    word=str(w["word"]),
                    start_s=finite_float(w.get("start"), 0.0),
                    end_s=finite_float(w.get("end"), 0.0),
                    confidence=calibration.apply(raw),
                    raw_confidence=raw,
                )
            )
    return tuple(out)


def newest_suggestion(project: Project, clip_id: int) -> SuggestionView | None:
    """The clip's newest suggestion (from whichever model suggested last), or None.

    Its word confidences and mean confidence are calibrated with the model's calibration
    where it has one (the stored raw confidences are kept in ``raw_confidence``).
    """
    with project.session() as session:
        row = session.execute(
            select(Suggestion, ModelVersion.name, ModelVersion.metrics)
            .join(ModelVersion, ModelVersion.id == Suggestion.model_version_id)
            .where(Suggestion.clip_id == clip_id)
            .order_by(Suggestion.created_at.desc(), Suggestion.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        suggestion, model_name, metrics = row
        calibration = calibration_of(metrics)
        words = _word_views(suggestion.words or [], calibration)
        scores = suggestion.scores or {}
        mean = sum(w.confidence for w in words) / len(words) if words else 1.0
        if not calibration.calibrated:
            mean = finite_float(scores.get("mean_confidence"), mean)
        return SuggestionView(
            id=suggestion.id,
            model_name=str(model_name),
            text=suggestion.text,
            words=words,
            mean_confidence=mean,
            calibration=calibration.describe(),
            calibrated=calibration.calibrated,
        )


def retype_mode(suggestion: SuggestionView | None, config: AnnotateConfig = DEFAULT_CONFIG) -> bool:
    """Whether to hide the suggestion and let the annotator type from scratch.

    True when there is no usable suggestion (none, or empty text) or its mean word confidence
    (calibrated where the model has a calibration: the expected share of right words) is
    below ``config.retype_below``: fixing a mostly wrong text is slower than retyping it.
    """
    if suggestion is None or not suggestion.text.strip():
        return True
    return suggestion.mean_confidence < config.retype_below


def vocabulary_terms(
    project: Project, limit: int = DEFAULT_CONFIG.completion_max
) -> tuple[str, ...]:
    """The catalog terms of every catalog (normalized, sorted), at most `limit` of them."""
    with project.session() as session:
        vocab = load_vocabulary(session)
    return tuple(sorted(vocab.all_terms))[:limit]


def load_item(
    project: Project,
    task: LeasedTask,
    *,
    config: AnnotateConfig = DEFAULT_CONFIG,
    base_revision_id: int | None = None,
    keep_base: bool = False,
    media_loader: MediaLoader = load_media,
    known: KnownWords | None = None,
) -> AnnotateItem:
    """Bundle the editor's data for a task already leased.

    Args:
        project: the open project.
        task: the lease.
        config: thresholds.
        base_revision_id: with `keep_base`, the base the editor loaded earlier (a rerun must
            not move the base forward, or a concurrent edit would go unnoticed).
        keep_base: use `base_revision_id` instead of the clip's newest revision.
        media_loader: builds the audio payload (the app passes a cached one).
        known: the word lookup for out-of-catalog flags (built from the catalog when None).
    """
    with project.session() as session:
        clip = session.get(Clip, task.clip_id)
        if clip is None:
            raise SubmitError(f"clip {task.clip_id} of task {task.task_id} does not exist")
        uid, duration = clip.uid, clip.duration_s
        current = current_transcripts(session, [task.clip_id]).get(task.clip_id)
    try:
        media, audio_error = media_loader(project, task.clip_id), None
    except AudioError as exc:
        media, audio_error = None, str(exc)
    suggestion = newest_suggestion(project, task.clip_id)
    retype = retype_mode(suggestion, config)
    second_pass = task.kind == SECOND_PASS_KIND
    # A second pass must be independent, or agreement between annotators means nothing.
    current_text = current.verbatim if current is not None and not second_pass else None
    if current_text:
        prefill = current_text
    elif suggestion is not None and not retype:
        prefill = suggestion.text
    else:
        prefill = ""
    vocabulary = vocabulary_terms(project, config.completion_max)
    lookup = known if known is not None else known_words(vocabulary)
    return AnnotateItem(
        task=task,
        clip_uid=uid,
        duration_s=duration,
        media=media,
        audio_error=audio_error,
        suggestion=suggestion,
        base_revision_id=base_revision_id
        if keep_base
        else (current.revision_id if current else None),
        current_text=current_text,
        retype=retype,
        prefill=prefill,
        vocabulary=vocabulary,
        oov=oov_flags(prefill, lookup),
        second_pass=second_pass,
    )


def next_lease(config: AnnotateConfig = DEFAULT_CONFIG, *, resume: bool = True) -> LeaseRequest:
    """What an annotator leases next: a held annotation task first, else the best of the
    annotation and second-pass queues (pass it to ``submit(..., then_lease=...)`` to lease in
    the submit's own transaction).

    Args:
        config: the lease length.
        resume: take a task the user already holds first. The app's editor, which holds a
            line of prefetched clips, passes False: it wants a clip it does not hold yet.
    """
    return LeaseRequest((KIND, SECOND_PASS_KIND), config.lease_s, resume=resume)


def lease_for(
    project: Project,
    user_id: int,
    *,
    config: AnnotateConfig = DEFAULT_CONFIG,
    now: datetime | None = None,
    holding: Collection[int] = (),
) -> LeasedTask | None:
    """The annotation task the user holds (resumed first), else a newly leased one, else None.

    Annotation and second-pass (double annotation) tasks are interleaved by priority; on a
    tie the second pass goes first, so that a chosen clip reaches review promptly (it waits
    for its second pass). Second-pass tasks of clips the user wrote are never offered.

    Args:
        project: the open project.
        user_id: the annotator.
        config: the lease length.
        now: the time (tests).
        holding: task ids the caller already shows (the editor's prefetched line): they are
            not resumed again, so repeated calls lease the next clips.
    """
    request = next_lease(config)
    kinds = request.kinds
    if not holding:
        # One transaction: resume a held task, else one statement picks and claims the best
        # task of both queues (see queue.lease_best).
        return lease_best(project, user_id, kinds, request.lease_s, now=now, resume=True)
    held = [
        task
        for kind in kinds
        for task in current_leases(project, user_id, kind, now=now)
        if task.task_id not in holding
    ]
    if held:
        return min(held, key=lambda t: (-t.priority, t.task_id))
    return lease_best(project, user_id, kinds, config.lease_s, now=now)


def release_leases(project: Project, user_id: int, now: datetime | None = None) -> int:
    """Give back every annotation lease the user holds (on logout: prefetched clips too).

    Returns:
        How many leases were released.
    """
    held = [
        *current_leases(project, user_id, KIND, now=now),
        *current_leases(project, user_id, SECOND_PASS_KIND, now=now),
    ]
    released = 0
    for task in held:
        with contextlib.suppress(LeaseLostError):  # expired and taken meanwhile: nothing to do
            release(project, task.task_id, user_id)
            released += 1
    return released


def next_item(
    project: Project,
    user_id: int,
    *,
    config: AnnotateConfig = DEFAULT_CONFIG,
    media_loader: MediaLoader = load_media,
    now: datetime | None = None,
) -> AnnotateItem | None:
    """The clip this annotator should work on next, leased to them; None when the queue is empty.

    A clip the user already holds an unexpired lease on is resumed first (a reload of the
    page does not lease a second clip).
    """
    task = lease_for(project, user_id, config=config, now=now)
    if task is None:
        return None
    return load_item(project, task, config=config, media_loader=media_loader)


@dataclass(frozen=True)
class AnnotatorCounters:
    """One annotator's throughput (their own submits, undo revisions excluded)."""

    today: int
    total: int
    by_status: Mapping[str, int]
    mean_time_s: float | None
    """Mean seconds per clip over the submits that recorded a time."""
    queue_left: int
    """Annotation tasks still pending or leased (by anyone)."""


def annotator_counters(
    project: Project, user_id: int, now: datetime | None = None
) -> AnnotatorCounters:
    """Counts of the user's submits (today = the last 24 hours), time per clip, queue size."""
    at = _resolve_now(now)
    with project.session() as session:
        mine = (Revision.user_id == user_id, Revision.source == SUBMIT_SOURCE)
        rows = session.execute(
            select(Revision.status, func.count()).where(*mine).group_by(Revision.status)
        ).all()
        today = session.scalar(
            select(func.count())
            .select_from(Revision)
            .where(*mine, Revision.created_at >= at - timedelta(days=1))
        )
        mean_time = session.scalar(
            select(func.avg(Revision.time_spent_s)).where(*mine, Revision.time_spent_s.is_not(None))
        )
        left = session.scalar(
            select(func.count()).select_from(Task).where(Task.kind == KIND, task_is_open())
        )
    by_status = {str(RevisionStatus(s).value): int(n) for s, n in rows}
    return AnnotatorCounters(
        today=int(today or 0),
        total=sum(by_status.values()),
        by_status=by_status,
        mean_time_s=float(mean_time) if mean_time is not None else None,
        queue_left=int(left or 0),
    )


__all__ = [
    "DEFAULT_CONFIG",
    "AnnotateConfig",
    "AnnotateItem",
    "AnnotatorCounters",
    "SuggestionView",
    "WordView",
    "annotator_counters",
    "lease_for",
    "load_item",
    "load_media",
    "newest_suggestion",
    "next_item",
    "next_lease",
    "retype_mode",
]
