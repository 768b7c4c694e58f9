"""What an evaluation scores against: human transcripts, or gold references (and their names).

``human`` references are the clips' current accepted or corrected human revisions. ``gold``
references are the ``clip_references`` rows (imported with ``voxcart import --as-reference``, or
a demo clip's synthesized text); ``hidden``, their older name, is an alias. A derived clip (an
augmented copy, a clip whose boundaries were nudged) takes its source clip's gold reference; a
segment cut out of a longer recording never does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxcart.datasets.store.revisions import current_transcripts
from voxcart.datasets.store.schema import LABEL_STATUSES, Clip, ClipReference
from voxcart.model.errors import ModelError

REFERENCES: tuple[str, ...] = ("human", "gold", "hidden")
"""What an evaluation may score against; ``hidden`` is an alias of ``gold``."""
REFERENCE_ALIASES = {"hidden": "gold"}
"""Older names of a reference kind (``hidden``: what the demo's gold references were called)."""
REFERENCE_LABELS = {
    "human": "human transcripts (current accepted or corrected revision)",
    "gold": "GOLD reference texts (imported with --as-reference, or a demo's synthesized "
    "ground truth; not human labels)",
}
GOLD_IMPORT_HINT = (
    "import them with `voxcart import MANIFEST --as-reference` (clips already in the project "
    "are matched by their audio)"
)
_MAX_LINEAGE_DEPTH = 16
_SEGMENT_ORIGIN = "segment"  # datasets.segment.store.ORIGIN (that module loads the VADs)
_IN_CHUNK = 500


@dataclass(frozen=True)
class Lineage:
    """Where a clip comes from: what gold reference lookup needs of it."""

    clip_id: int
    parent_id: int | None
    origin: str


def canonical_reference(reference: str) -> str:
    """``human`` or ``gold`` for any accepted reference name (``hidden`` is ``gold``).

    Raises:
        ModelError: the name is not one of :data:`REFERENCES`.
    """
    if reference not in REFERENCES:
        raise ModelError(
            f"reference={reference!r} is unknown; use 'human' (labelled transcripts) or "
            "'gold' (gold references: imported with --as-reference, or a demo's; 'hidden' is "
            "an alias)"
        )
    return REFERENCE_ALIASES.get(reference, reference)


def chunks(ids: Sequence[int]) -> list[list[int]]:
    """`ids` in bounded pieces: SQLite and PostgreSQL both cap the parameters of a statement."""
    return [list(ids[i : i + _IN_CHUNK]) for i in range(0, len(ids), _IN_CHUNK)]


def human_references(session: Session, clip_ids: Sequence[int]) -> dict[int, str]:
    """Clip id -> normalized current human transcript, for clips whose one counts as a label."""
    views = current_transcripts(session, clip_ids)
    return {
        clip_id: view.normalized
        for clip_id, view in views.items()
        if view.is_human and view.status in LABEL_STATUSES
    }


def _parent(parent_id: int | None, origin: str) -> int | None:
    # A segment says only part of what its parent (the whole recording) says.
    return None if origin == _SEGMENT_ORIGIN else parent_id


def gold_references(session: Session, clips: Sequence[Lineage]) -> dict[int, str]:
    """Clip id -> gold reference text, climbing each clip's lineage until an ancestor has one."""
    parent_of: dict[int, int | None] = {c.clip_id: _parent(c.parent_id, c.origin) for c in clips}
    pending = {c.clip_id: c.clip_id for c in clips}  # clip -> ancestor to look up next
    found: dict[int, str] = {}
    for _ in range(_MAX_LINEAGE_DEPTH):
        if not pending:
            break
        texts: dict[int, str] = {}
        for chunk in chunks(sorted(set(pending.values()))):
            texts.update(
                session.execute(
                    select(ClipReference.clip_id, ClipReference.text).where(
                        ClipReference.clip_id.in_(chunk)
                    )
                ).all()
            )
        unresolved: dict[int, int] = {}
        for clip_id, ancestor in pending.items():
            if ancestor in texts:
                found[clip_id] = texts[ancestor]
            else:
                unresolved[clip_id] = ancestor
        unknown = sorted({a for a in unresolved.values() if a not in parent_of})
        for chunk in chunks(unknown):
            parent_of.update(
                (clip_id, _parent(parent, origin))
                for clip_id, parent, origin in session.execute(
                    select(Clip.id, Clip.parent_id, Clip.origin).where(Clip.id.in_(chunk))
                )
            )
        pending = {
            clip_id: parent
            for clip_id, ancestor in unresolved.items()
            if (parent := parent_of.get(ancestor)) is not None
        }
    return found


def no_reference_message(
    clips: int, split: str, reference: str, gold_splits: Mapping[str, int]
) -> str:
    """Why a split cannot be evaluated (none of its `clips` has a reference) and what to do.

    Args:
        clips: clips in the split.
        split: the split's name.
        reference: ``human`` or ``gold``.
        gold_splits: clips with a gold reference per split, in the whole project.
    """
    if reference == "human":
        return (
            f"none of the {clips} {split} clip(s) has a human transcript; accept or correct "
            "some of them in the labeler, or score against gold references with "
            f"--reference gold ({GOLD_IMPORT_HINT})"
        )
    where = (
        "the project's gold references are on "
        + ", ".join(f"{name} {n}" for name, n in sorted(gold_splits.items()))
        + " clip(s); choose another --split (`all` covers every clip), or "
        if gold_splits
        else "the project has no gold references; "
    )
    return f"none of the {clips} {split} clip(s) has a gold reference; {where}{GOLD_IMPORT_HINT}"
