"""Double annotation: a configured fraction of clips is transcribed by a second annotator.

Which clips is a pure function of ``(labeling.seed, clip uid)`` (the split hash), so the same
clips are chosen on every run and machine. When a human submit (``accepted`` or ``corrected``)
lands on a chosen clip that has exactly one human annotator so far, :func:`after_submit`
queues a task of kind :data:`~voxcart.datasets.store.queue.SECOND_PASS_KIND` in the submit's own
transaction. The queue never leases such a task to anyone who already wrote a revision of the
clip, the annotate page shows the second annotator only the model suggestion (never the first
annotator's text), and the review queue holds the clip back until the second pass is in; then
it shows both versions and flags a conflict when they differ after normalization.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from voxcart.datasets.splits import unit_hash
from voxcart.datasets.store.config import LabelingConfig
from voxcart.datasets.store.queue import SECOND_PASS_KIND, cancel, enqueue, task_is_open
from voxcart.datasets.store.schema import (
    ANNOTATION_STATUSES,
    Clip,
    Revision,
    RevisionStatus,
    Task,
    User,
)

HUMAN_SOURCE = "human"
"""Source of an annotator's submit (equal to ``submit.SUBMIT_SOURCE``; submit imports us)."""
REVIEW_SOURCE_PREFIX = "review:"
"""Prefix of the sources of review revisions (approve, edit, reject)."""
HUMAN_STATUSES = ANNOTATION_STATUSES
"""Annotators' transcripts: a reviewer's approval or edit is not a second annotation."""
"""Statuses of a submit that counts as a transcript (skips and flags do not)."""


def is_chosen(uid: str, config: LabelingConfig) -> bool:
    """Whether the clip with this uid is double-annotated under `config` (pure and stable)."""
    return config.double_annotation > 0 and unit_hash(config.seed, uid) < config.double_annotation


def human_annotators(session: Session, clip_id: int) -> set[int]:
    """Ids of the users who submitted an accepted or corrected transcript of the clip."""
    return {
        int(uid)
        for uid in session.scalars(
            select(Revision.user_id)
            .where(
                Revision.clip_id == clip_id,
                Revision.source == HUMAN_SOURCE,
                Revision.status.in_(HUMAN_STATUSES),
                Revision.user_id.is_not(None),
            )
            .distinct()
        )
        if uid is not None
    }


def after_submit(
    session: Session,
    config: LabelingConfig,
    clip_id: int,
    status: RevisionStatus,
    task_id: int | None = None,
) -> int | None:
    """Queue the clip's second pass if this submit makes it due; returns the new task's id.

    Due means: the clip is chosen, the submit is accepted or corrected, and the clip has
    exactly one human annotator. The second task inherits the priority and round of the task
    just completed (priority 0 without one). Idempotent while a second task is open; once the
    clip has two annotators, an open second task (left over from an edit made outside the
    queue) is cancelled.

    Args:
        session: the submit's transaction (the revision is already flushed).
        config: the project's labeling settings.
        clip_id: the clip just submitted.
        status: the submitted revision's status.
        task_id: the task the submit completed, if any.
    """
    if config.double_annotation <= 0 or status not in HUMAN_STATUSES:
        return None
    uid = session.scalar(select(Clip.uid).where(Clip.id == clip_id))
    if uid is None or not is_chosen(uid, config):
        return None
    annotators = len(human_annotators(session, clip_id))
    if annotators > 1:
        # Someone transcribed it outside the second-pass queue: that task is not needed now.
        cancel(session, [clip_id], kind=SECOND_PASS_KIND)
    if annotators != 1:
        return None
    task = session.get(Task, task_id) if task_id is not None else None
    priority = float(task.priority) if task is not None else 0.0
    round_id = task.round_id if task is not None else None
    result = enqueue(session, [clip_id], priority, kind=SECOND_PASS_KIND, round_id=round_id)
    return result.created[0] if result.created else None


def awaiting_second_pass() -> ColumnElement[bool]:
    """SQL condition: the revision's clip has an open (pending or leased) second-pass task."""
    return exists().where(
        Task.clip_id == Revision.clip_id,
        Task.kind == SECOND_PASS_KIND,
        task_is_open(),
    )


@dataclass(frozen=True)
class AnnotationVersion:
    """One annotator's transcript of a clip, as shown side by side for adjudication."""

    revision_id: int
    username: str
    text: str
    normalized: str


def in_conflict(versions: tuple[AnnotationVersion, ...]) -> bool:
    """True when two or more annotators' transcripts differ after normalization."""
    return len({v.normalized for v in versions}) > 1


def versions_since_review(
    session: Session, clip_ids: list[int]
) -> dict[int, tuple[AnnotationVersion, ...]]:
    """Each annotator's newest transcript of each clip since the clip's last review.

    Only accepted or corrected human submits count; versions are ordered oldest first. A clip
    with one annotator gets one version.
    """
    if not clip_ids:
        return {}
    reviewed = (
        select(Revision.clip_id, func.max(Revision.id).label("last"))
        .where(Revision.clip_id.in_(clip_ids), Revision.source.startswith(REVIEW_SOURCE_PREFIX))
        .group_by(Revision.clip_id)
        .subquery()
    )
    rows = session.execute(
        select(Revision.id, Revision.clip_id, Revision.user_id, User.username)
        .add_columns(Revision.verbatim, Revision.normalized)
        .join(User, User.id == Revision.user_id)
        .outerjoin(reviewed, reviewed.c.clip_id == Revision.clip_id)
        .where(
            Revision.clip_id.in_(clip_ids),
            Revision.source == HUMAN_SOURCE,
            Revision.status.in_(HUMAN_STATUSES),
            (reviewed.c.last.is_(None)) | (Revision.id > reviewed.c.last),
        )
        .order_by(Revision.clip_id, Revision.id)
    ).all()
    newest: dict[int, dict[int, AnnotationVersion]] = {}
    for rev_id, clip_id, user_id, username, text, normalized in rows:
        by_user = newest.setdefault(int(clip_id), {})
        by_user.pop(int(user_id), None)  # re-insert so that dict order follows the newest id
        by_user[int(user_id)] = AnnotationVersion(int(rev_id), str(username), text, normalized)
    return {cid: tuple(by_user.values()) for cid, by_user in newest.items()}
