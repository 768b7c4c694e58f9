"""Review of human transcripts: approve, reject with a reason, or edit; inter-annotator agreement.

Reviews are revisions, so history stays append-only and exports see the reviewed text:

* approve: a copy of the current text, status ``reviewed``, source ``review:approve``,
  flag ``reviewed``;
* reject: the current text kept, status ``flagged``, flag ``rejected:<reason>`` (the full
  reason in the note), and the clip queued for annotation again;
* edit: the reviewer's text, status ``reviewed``, source ``review:edit``, flag ``reviewed``.

So reviewed and unreviewed work stay apart: an annotator's accept is ``accepted`` (or
``corrected``), a reviewer's verdict ``reviewed``, and ``export --reviewed-only`` takes only the
latter.

The review queue is derived from the database: clips whose newest revision is a human
annotation (source ``human``, accepted or corrected) that nobody has reviewed since. A clip
chosen for double annotation waits until its second pass is in; then the item carries every
annotator's version and is flagged as a conflict when they differ after normalization. An
approve or edit adjudicates it (the reviewer's text becomes the clip's transcript).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.queue import enqueue
from voxcart.datasets.store.revisions import add_revision, current_transcripts, latest_revision_ids
from voxcart.datasets.store.schema import (
    ANNOTATION_STATUSES,
    Clip,
    Revision,
    RevisionStatus,
    Role,
    Suggestion,
    User,
)
from voxcart.datasets.text.wer import error_rate
from voxcart.labeler.accounts import auth
from voxcart.labeler.errors import AccountError, PermissionDeniedError, StaleEditError, SubmitError
from voxcart.labeler.services.diff import word_diff
from voxcart.labeler.services.double_annotation import (
    AnnotationVersion,
    awaiting_second_pass,
    in_conflict,
    versions_since_review,
)
from voxcart.labeler.services.submit import SUBMIT_SOURCE, clean_text

APPROVE_SOURCE = "review:approve"
EDIT_SOURCE = "review:edit"
REVIEWED_FLAG = "reviewed"
REJECTED_PREFIX = "rejected:"
REASON_MAX = 64 - len(REJECTED_PREFIX)
"""Longest reject reason kept in the flag (a longer one is cut there, kept whole in the note)."""
NOTE_MAX = 1000
REVIEW_ROLES = (Role.REVIEWER, Role.LEAD)
REQUEUE_PRIORITY = 1.0
"""Priority of a rejected clip's new annotation task (above the default 0)."""


@dataclass(frozen=True)
class ReviewItem:
    """A clip waiting for review: its current human transcript and the model's suggestion."""

    clip_id: int
    uid: str
    duration_s: float
    revision_id: int
    text: str
    status: RevisionStatus
    annotator: str
    """Username of the annotator (empty when unknown)."""
    suggestion_text: str | None
    """The suggestion the annotator started from, else the clip's newest one, else None."""
    created_at: datetime
    versions: tuple[AnnotationVersion, ...] = ()
    """Each annotator's transcript since the last review, oldest first (two when doubled)."""
    conflict: bool = False
    """True when annotators disagree (normalized texts differ): adjudicate by approve or edit."""


@dataclass(frozen=True)
class ReviewResult:
    """What a review action wrote."""

    revision_id: int
    clip_id: int
    status: RevisionStatus
    requeued_task_id: int | None = None
    """The new annotation task of a rejected clip (None if one was already open)."""


def _reviewer(session: Session, reviewer_id: int) -> auth.UserView:
    try:
        user = auth.get_user(session, reviewer_id)
    except AccountError as exc:
        raise PermissionDeniedError(f"user id {reviewer_id} does not exist; log in again") from exc
    auth.require_role(user, *REVIEW_ROLES)
    return user


def pending_reviews(
    project: Project, limit: int = 50, offset: int = 0, reviewer_id: int | None = None
) -> list[ReviewItem]:
    """Clips whose newest revision is an unreviewed human annotation, oldest first.

    Clips that still wait for their second annotation (double annotation) are left out, and
    so, for `reviewer_id`, are the transcripts that reviewer wrote (unless the project's
    ``labeling.self_review`` allows it).
    """
    latest = latest_revision_ids()
    with project.session() as session:
        rows = session.execute(
            select(Revision, Clip.uid, Clip.duration_s, User.username)
            .join(latest, latest.c.revision_id == Revision.id)
            .join(Clip, Clip.id == Revision.clip_id)
            .outerjoin(User, User.id == Revision.user_id)
            .where(*_pending(), *_not_own(project, reviewer_id))
            .order_by(Revision.id)
            .offset(max(0, offset))
            .limit(max(0, limit))
        ).all()
        suggestions = _suggestions(session, [(r.clip_id, r.suggestion_id) for r, *_ in rows])
        versions = versions_since_review(session, [r.clip_id for r, *_ in rows])
        return [
            ReviewItem(
                clip_id=rev.clip_id,
                uid=uid,
                duration_s=float(duration),
                revision_id=rev.id,
                text=rev.verbatim,
                status=RevisionStatus(rev.status),
                annotator=username or "",
                suggestion_text=suggestions.get(rev.clip_id),
                created_at=rev.created_at,
                versions=versions.get(rev.clip_id, ()),
                conflict=in_conflict(versions.get(rev.clip_id, ())),
            )
            for rev, uid, duration, username in rows
        ]


def _pending() -> tuple[ColumnElement[bool], ...]:
    return (
        Revision.source == SUBMIT_SOURCE,
        Revision.status.in_(ANNOTATION_STATUSES),
        ~awaiting_second_pass(),
    )


def _not_own(project: Project, reviewer_id: int | None) -> tuple[ColumnElement[bool], ...]:
    if reviewer_id is None or project.config.labeling.self_review:
        return ()
    return (or_(Revision.user_id.is_(None), Revision.user_id != reviewer_id),)


def _refuse_own(project: Project, base: Revision, reviewer_id: int) -> None:
    if base.user_id == reviewer_id and not project.config.labeling.self_review:
        raise PermissionDeniedError(
            f"you wrote the current transcript of clip {base.clip_id}; another reviewer must "
            "review it (or set labeling.self_review = true in voxcart.toml for a one-person "
            "project)"
        )


def count_pending_reviews(project: Project, reviewer_id: int | None = None) -> int:
    """How many clips wait for review (by `reviewer_id`: not counting their own work)."""
    latest = latest_revision_ids()
    with project.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Revision)
                .join(latest, latest.c.revision_id == Revision.id)
                .where(*_pending(), *_not_own(project, reviewer_id))
            )
            or 0
        )


def _suggestions(session: Session, pairs: list[tuple[int, int | None]]) -> dict[int, str]:
    out: dict[int, str] = {}
    chosen = [sid for _, sid in pairs if sid is not None]
    if chosen:
        for clip_id, text in session.execute(
            select(Suggestion.clip_id, Suggestion.text).where(Suggestion.id.in_(chosen))
        ):
            out[clip_id] = text
    rest = [cid for cid, sid in pairs if sid is None]
    if rest:
        newest = (
            select(func.max(Suggestion.id))
            .where(Suggestion.clip_id.in_(rest))
            .group_by(Suggestion.clip_id)
        ).scalar_subquery()
        for clip_id, text in session.execute(
            select(Suggestion.clip_id, Suggestion.text).where(Suggestion.id.in_(newest))
        ):
            out[clip_id] = text
    return out


def _current(session: Session, clip_id: int, base_revision_id: int) -> Revision:
    # A no-op UPDATE takes the write lock (SQLite) or row lock (PostgreSQL) on the clip, so
    # that the stale check and the insert cannot interleave with an annotator's submit.
    session.execute(
        update(Clip)
        .where(Clip.id == clip_id)
        .values(id=Clip.id)
        .execution_options(synchronize_session=False)
    )
    if session.get(Clip, clip_id) is None:
        raise SubmitError(f"clip {clip_id} does not exist")
    newest = session.scalar(
        select(Revision).where(Revision.clip_id == clip_id).order_by(Revision.id.desc()).limit(1)
    )
    if newest is None:
        raise SubmitError(f"clip {clip_id} has no transcript to review; annotate it first")
    if newest.id != base_revision_id:
        raise StaleEditError(
            clip_id, base_revision_id, current_transcripts(session, [clip_id])[clip_id]
        )
    return newest


def _reviewable(
    session: Session, project: Project, reviewer_id: int, clip_id: int, base_revision_id: int
) -> Revision:
    """The clip's current revision, locked, once the reviewer may act on it: an active reviewer
    or lead, the revision they loaded still newest, and not their own (four eyes)."""
    _reviewer(session, reviewer_id)
    base = _current(session, clip_id, base_revision_id)
    _refuse_own(project, base, reviewer_id)
    return base


def approve(
    project: Project, reviewer_id: int, clip_id: int, base_revision_id: int
) -> ReviewResult:
    """Approve the clip's current transcript as is (a new ``reviewed`` revision).

    Raises:
        PermissionDeniedError: the user is not an active reviewer or lead.
        StaleEditError: the clip changed since the reviewer loaded `base_revision_id`.
        SubmitError: the clip does not exist or has no transcript.
    """
    return _decide(
        project,
        reviewer_id,
        clip_id,
        base_revision_id,
        RevisionStatus.REVIEWED,
        source=APPROVE_SOURCE,
        flag=REVIEWED_FLAG,
        note=lambda base: f"approved revision {base}",
    )


def clean_reason(reason: str) -> str:
    """A reject reason folded to one line.

    Raises:
        SubmitError: the reason is empty, too long or holds control characters.
    """
    text = clean_text(reason)
    if not text:
        raise SubmitError("a rejection needs a reason (e.g. 'missed words'); type one")
    if len(text) > NOTE_MAX:
        raise SubmitError(f"reason has {len(text)} characters; use at most {NOTE_MAX}")
    return text


def reject(
    project: Project,
    reviewer_id: int,
    clip_id: int,
    base_revision_id: int,
    reason: str,
    priority: float = REQUEUE_PRIORITY,
) -> ReviewResult:
    """Reject the current transcript: a ``flagged`` revision and a new annotation task.

    Raises:
        PermissionDeniedError: the user is not an active reviewer or lead.
        StaleEditError: the clip changed since the reviewer loaded `base_revision_id`.
        SubmitError: empty or invalid reason, unknown clip, or no transcript.
    """
    why = clean_reason(reason)
    return _decide(
        project,
        reviewer_id,
        clip_id,
        base_revision_id,
        RevisionStatus.FLAGGED,
        source="review:reject",
        flag=f"{REJECTED_PREFIX}{why[:REASON_MAX]}",
        note=lambda base: f"rejected revision {base}: {why}",
        requeue=priority,
    )


def edit(
    project: Project, reviewer_id: int, clip_id: int, base_revision_id: int, text: str
) -> ReviewResult:
    """Replace the transcript with the reviewer's text (a ``reviewed`` revision).

    Raises:
        PermissionDeniedError: the user is not an active reviewer or lead.
        StaleEditError: the clip changed since the reviewer loaded `base_revision_id`.
        SubmitError: invalid or empty text, unknown clip, or no transcript.
    """
    body = clean_text(text)
    if not body:
        raise SubmitError("the edited transcript is empty; type the text or reject the clip")
    return _decide(
        project,
        reviewer_id,
        clip_id,
        base_revision_id,
        RevisionStatus.REVIEWED,
        source=EDIT_SOURCE,
        flag=REVIEWED_FLAG,
        note=lambda base: f"edited revision {base}",
        text=body,
    )


def _decide(
    project: Project,
    reviewer_id: int,
    clip_id: int,
    base_revision_id: int,
    status: RevisionStatus,
    *,
    source: str,
    flag: str,
    note: Callable[[int], str],
    text: str | None = None,
    requeue: float | None = None,
) -> ReviewResult:
    """Write one review decision: check the clip may be reviewed, add the revision (the base
    text unless `text` is given; `note` is made from the base revision's id) and, with
    `requeue`, queue the clip for annotation again at that priority."""
    with project.session() as session:
        base = _reviewable(session, project, reviewer_id, clip_id, base_revision_id)
        rev = add_revision(
            session,
            clip_id,
            base.verbatim if text is None else text,
            status,
            source=source,
            user_id=reviewer_id,
            flags=[flag],
            suggestion_id=base.suggestion_id,
            note=note(base.id),
        )
        task_id = None
        if requeue is not None:
            queued = enqueue(session, [clip_id], requeue, kind="annotate")
            task_id = queued.created[0] if queued.created else None
        return ReviewResult(rev.id, clip_id, status, task_id)


@dataclass(frozen=True)
class AgreementPair:
    """Two annotators' transcripts of the same clip and how far apart they are."""

    clip_id: int
    uid: str
    user_a: str
    user_b: str
    text_a: str
    text_b: str
    wer: float | None
    """Word error rate of `text_b` against `text_a` (normalized words; None where undefined:
    words against an empty `text_a`)."""
    errors: int
    reference_words: int


@dataclass(frozen=True)
class AgreementReport:
    """Inter-annotator agreement over every double-annotated clip.

    Attributes:
        pairs: one entry per clip and pair of annotators, worst first.
        clips: clips annotated by at least two different people.
        pooled_wer: corpus WER, total errors over total reference words (0.0 without pairs;
            None for errors against only empty references).
        exact_match: share of pairs whose normalized texts are identical.
    """

    pairs: tuple[AgreementPair, ...]
    clips: int
    pooled_wer: float | None
    exact_match: float


def agreement(project: Project) -> AgreementReport:
    """Compare human annotations by different users of the same clip.

    Each annotator's newest ``human`` (not skipped) revision of a clip counts; for each pair
    of annotators, the earlier annotation is the reference and the later one the hypothesis.
    """
    with project.session() as session:
        rows = session.execute(
            select(Revision.id, Revision.clip_id, Revision.verbatim, User.username, Clip.uid)
            .join(User, User.id == Revision.user_id)
            .join(Clip, Clip.id == Revision.clip_id)
            .where(
                Revision.source == SUBMIT_SOURCE,
                Revision.is_human.is_(True),
                Revision.status.in_(ANNOTATION_STATUSES),
            )
            .order_by(Revision.clip_id, Revision.id)
        ).all()
    per_clip: dict[int, dict[str, tuple[int, str]]] = defaultdict(dict)
    uids: dict[int, str] = {}
    for rev_id, clip_id, text, username, uid in rows:
        per_clip[clip_id][username] = (rev_id, text)  # ordered by id: the newest wins
        uids[clip_id] = uid
    pairs: list[AgreementPair] = []
    for clip_id, by_user in per_clip.items():
        ordered = sorted(by_user.items(), key=lambda item: item[1][0])
        for (user_a, (_, text_a)), (user_b, (_, text_b)) in itertools.combinations(ordered, 2):
            diff = word_diff(text_b, text_a)
            errors = diff.substitutions + diff.insertions + diff.deletions
            pairs.append(
                AgreementPair(
                    clip_id,
                    uids[clip_id],
                    user_a,
                    user_b,
                    text_a,
                    text_b,
                    diff.wer,
                    errors,
                    diff.reference_words,
                )
            )
    # Worst first; an undefined WER (words against an empty text) is the worst of all.
    pairs.sort(key=lambda p: (-(math.inf if p.wer is None else p.wer), p.clip_id))
    errors = sum(p.errors for p in pairs)
    words = sum(p.reference_words for p in pairs)
    return AgreementReport(
        pairs=tuple(pairs),
        clips=len({p.clip_id for p in pairs}),
        pooled_wer=error_rate(errors, words),
        exact_match=sum(p.errors == 0 for p in pairs) / len(pairs) if pairs else 0.0,
    )
