"""Append-only transcript revisions: writing a new one and reading a clip's current transcript."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from voxcart.datasets.store.schema import LABEL_STATUSES, Clip, Revision, RevisionStatus, Split
from voxcart.datasets.text.normalize import normalize


@dataclass(frozen=True)
class TranscriptView:
    """A clip's current transcript as other modules see it."""

    clip_id: int
    revision_id: int
    verbatim: str
    normalized: str
    status: RevisionStatus
    source: str
    is_human: bool
    user_id: int | None
    created_at: datetime


def revision_values(
    clip_id: int,
    verbatim: str,
    status: RevisionStatus,
    *,
    source: str = "human",
    user_id: int | None = None,
    flags: Sequence[str] = (),
    time_spent_s: float | None = None,
    suggestion_id: int | None = None,
    previous_id: int | None = None,
    is_human: bool = True,
    note: str = "",
) -> dict[str, Any]:
    """The column values of a new revision row (all but ``id`` and ``created_at``), with its
    normalized form computed by the project normalizer.

    Every writer (import, app, pseudo-labelling) goes through here, so that all revisions
    carry the same normalization: ``Revision(**revision_values(...))`` for the ORM, the values
    as they are for Core statements (an ORM instance cost more CPU than the app's whole submit
    statement). Bulk writers that know the previous revision (or that there is none) add the
    rows themselves; everyone else calls :func:`add_revision`.
    """
    return {
        "clip_id": clip_id,
        "user_id": user_id,
        "source": source[:64],
        "verbatim": verbatim,
        "normalized": normalize(verbatim),
        "status": status,
        "flags": list(flags),
        "time_spent_s": time_spent_s,
        "suggestion_id": suggestion_id,
        "previous_id": previous_id,
        "is_human": is_human,
        "note": note,
    }


def add_revision(
    session: Session,
    clip_id: int,
    verbatim: str,
    status: RevisionStatus,
    *,
    source: str = "human",
    user_id: int | None = None,
    flags: Sequence[str] = (),
    time_spent_s: float | None = None,
    suggestion_id: int | None = None,
    is_human: bool = True,
    note: str = "",
) -> Revision:
    """Append a revision to a clip; the previous newest revision is linked, never changed."""
    previous = session.scalar(
        select(Revision.id).where(Revision.clip_id == clip_id).order_by(Revision.id.desc()).limit(1)
    )
    revision = Revision(
        **revision_values(
            clip_id,
            verbatim,
            status,
            source=source,
            user_id=user_id,
            flags=flags,
            time_spent_s=time_spent_s,
            suggestion_id=suggestion_id,
            previous_id=previous,
            is_human=is_human,
            note=note,
        )
    )
    session.add(revision)
    session.flush()
    return revision


def latest_revision_ids() -> Subquery:
    """A subquery of (clip_id, newest revision id) pairs, for joins in bulk queries."""
    return (
        select(Revision.clip_id, func.max(Revision.id).label("revision_id"))
        .group_by(Revision.clip_id)
        .subquery("latest_revision")
    )


def current_transcripts(session: Session, clip_ids: Iterable[int]) -> dict[int, TranscriptView]:
    """The newest revision of each given clip (clips without one are absent from the result)."""
    ids = list(clip_ids)
    if not ids:
        return {}
    latest = (
        select(func.max(Revision.id))
        .where(Revision.clip_id.in_(ids))
        .group_by(Revision.clip_id)
        .scalar_subquery()
    )
    rows = session.scalars(select(Revision).where(Revision.id.in_(latest)))
    return {row.clip_id: _view(row) for row in rows}


def history(session: Session, clip_id: int) -> list[TranscriptView]:
    """Every revision of a clip, oldest first."""
    rows = session.scalars(
        select(Revision).where(Revision.clip_id == clip_id).order_by(Revision.id)
    )
    return [_view(row) for row in rows]


def _view(row: Revision) -> TranscriptView:
    return TranscriptView(
        clip_id=row.clip_id,
        revision_id=row.id,
        verbatim=row.verbatim,
        normalized=row.normalized,
        status=row.status,
        source=row.source,
        is_human=row.is_human,
        user_id=row.user_id,
        created_at=row.created_at,
    )


def counts_as_label(label_sources: Sequence[str] = ()) -> ColumnElement[bool]:
    """The condition on a revision whose text models may learn from: a person wrote it, or
    one of `label_sources` did (e.g. the simulated ``oracle`` annotator)."""
    labelled: ColumnElement[bool] = Revision.is_human.is_(True)
    if label_sources:
        labelled = or_(labelled, Revision.source.in_(list(label_sources)))
    return labelled


def split_labels(
    split: ColumnElement[bool], label_sources: Sequence[str] = ()
) -> tuple[ColumnElement[bool], ...]:
    """The conditions on a current revision (joined with its :class:`Clip`) that is a label of
    the clips `split` selects: it counts as a label (:func:`counts_as_label`) and its status is
    a label's (:data:`~voxcart.datasets.store.schema.LABEL_STATUSES`: accepted, corrected,
    typed, reviewed). Join the revision to :func:`latest_revision_ids` first."""
    return (counts_as_label(label_sources), Revision.status.in_(LABEL_STATUSES), split)


def training_labels(label_sources: Sequence[str] = ()) -> tuple[ColumnElement[bool], ...]:
    """The conditions on a current revision whose text a model may train on
    (:func:`split_labels`) of clips in the train split or not split yet (dev and test stay
    out, so that evaluation stays honest)."""
    return split_labels(or_(Clip.split.is_(None), Clip.split == Split.TRAIN), label_sources)
