"""Gold references: what a clip really says, kept for evaluation only (``clip_references``).

A gold reference comes from ``voxcart import --as-reference`` (source ``import``) or from the
text a demo clip was synthesized from (source ``demo-tts``). It is never a revision: nothing
that reads labels (statistics by status, the queue, exports, LM and training corpora, active
learning's pool) looks at this table, and the labeler never shows it. ``voxcart eval
--reference gold`` scores against it; an AL simulation's oracle annotates from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voxcart.datasets.store.schema import Clip, ClipReference

IMPORT_SOURCE = "import"
"""The source of gold references stored by ``voxcart import --as-reference``."""
_IN_CHUNK = 500


@dataclass(frozen=True)
class ReferenceCounts:
    """What storing a set of gold references did.

    Attributes:
        stored: clips that had no reference and got one.
        updated: clips whose reference text (or source) was replaced.
        unchanged: clips that already had exactly this reference.
    """

    stored: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: ReferenceCounts) -> ReferenceCounts:
        """Counts of two batches together."""
        return ReferenceCounts(
            self.stored + other.stored,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


def put_references(session: Session, texts: Mapping[int, str], source: str) -> ReferenceCounts:
    """Store or replace the gold reference of each clip (clip id -> text) in `session`.

    The texts are stored as given (import has already cleaned them the way it cleans label
    transcripts); evaluation normalises both sides when it scores. A clip keeps one reference:
    a new one replaces the old, whatever its source.
    """
    ids = sorted(texts)
    existing: dict[int, ClipReference] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        existing.update(
            (row.clip_id, row)
            for row in session.scalars(
                select(ClipReference).where(ClipReference.clip_id.in_(chunk))
            )
        )
    stored = updated = unchanged = 0
    for clip_id in ids:
        text = texts[clip_id]
        row = existing.get(clip_id)
        if row is None:
            session.add(ClipReference(clip_id=clip_id, text=text, source=source[:64]))
            stored += 1
        elif row.text == text and row.source == source[:64]:
            unchanged += 1
        else:
            row.text, row.source = text, source[:64]
            updated += 1
    return ReferenceCounts(stored, updated, unchanged)


def references_by_split(session: Session) -> dict[str, int]:
    """Clips with a gold reference per split (``unassigned`` for clips without one)."""
    rows = session.execute(
        select(Clip.split, func.count(ClipReference.clip_id))
        .join(Clip, Clip.id == ClipReference.clip_id)
        .group_by(Clip.split)
    ).all()
    return {(split.value if split is not None else "unassigned"): int(n) for split, n in rows}


def references_by_source(session: Session) -> dict[str, int]:
    """Gold references per source (``import``, ``demo-tts``...)."""
    rows = session.execute(
        select(ClipReference.source, func.count(ClipReference.clip_id)).group_by(
            ClipReference.source
        )
    ).all()
    return {str(source): int(n) for source, n in rows}
