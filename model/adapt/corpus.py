"""What acoustic adaptation learns from: labelled train clips (and their augmented copies).

A clip counts when it is on the train split (or unsplit), is not itself an augmented copy, and
its current transcript was accepted or corrected by a person (or by one of the given label
sources, such as the simulated ``oracle``). With augmented copies, every ``augment`` clip whose
parent counts joins too, with the parent's transcript.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from voxcart.datasets.store.revisions import counts_as_label, latest_revision_ids
from voxcart.datasets.store.schema import Clip, Recording, Revision, RevisionStatus, Split

AUGMENT_ORIGIN = "augment"  # augment.materialize.ORIGIN (kept here: model may not import up)


@dataclass(frozen=True)
class Utterance:
    """One adaptation utterance.

    Attributes:
        clip_id: the clip.
        uid: its uid (the feature file's name).
        path: its audio file (absolute).
        offset_s: where the clip starts in that file.
        duration_s: its length.
        text: the normalised transcript it is aligned with.
        augmented: True for an augmented copy (transcript from its parent).
    """

    clip_id: int
    uid: str
    path: Path
    offset_s: float
    duration_s: float
    text: str
    augmented: bool


def _rows(
    session: Session, root: Path, ids_texts: dict[int, str], augmented: bool
) -> list[Utterance]:
    if not ids_texts:
        return []
    key = Clip.parent_id if augmented else Clip.id
    query = (
        select(Clip.id, Clip.uid, Recording.source_path, Clip.offset_s, Clip.duration_s, key)
        .join(Recording, Recording.id == Clip.recording_id)
        .where(key.in_(list(ids_texts)))
        .order_by(Clip.id)
    )
    if augmented:
        query = query.where(Clip.origin == AUGMENT_ORIGIN)
    out = []
    for clip_id, uid, source, offset, duration, labelled_id in session.execute(query):
        if labelled_id is None:
            continue
        path = Path(source)
        out.append(
            Utterance(
                int(clip_id),
                str(uid),
                path if path.is_absolute() else root / path,
                float(offset),
                float(duration),
                ids_texts[int(labelled_id)],
                augmented,
            )
        )
    return out


def adaptation_corpus(
    session: Session,
    root: Path,
    *,
    with_augmented: bool = False,
    label_sources: Sequence[str] = (),
) -> list[Utterance]:
    """The labelled train utterances (and, optionally, their augmented copies), by clip id."""
    latest = latest_revision_ids()
    labelled = session.execute(
        select(Revision.clip_id, Revision.normalized)
        .join(latest, Revision.id == latest.c.revision_id)
        .join(Clip, Clip.id == Revision.clip_id)
        .where(
            counts_as_label(label_sources),
            Revision.status.in_([RevisionStatus.ACCEPTED, RevisionStatus.CORRECTED]),
            or_(Clip.split.is_(None), Clip.split == Split.TRAIN),
            Clip.origin != AUGMENT_ORIGIN,
        )
    ).all()
    texts = {int(c): str(t).strip() for c, t in labelled if str(t or "").strip()}
    utterances = _rows(session, root, texts, augmented=False)
    if with_augmented:
        utterances += _rows(session, root, texts, augmented=True)
    return utterances
