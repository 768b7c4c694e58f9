"""Which clips a model run covers: ``--where FIELD=VALUE`` conditions turned into a query.

Fields: ``status`` (``unlabeled``: no transcript yet; ``labeled``: any transcript; or a
current revision status ``accepted``/``corrected``/``skipped``/``flagged``; ``any``),
``split`` (``train``/``dev``/``test``/``none``), ``origin``, ``speaker`` and ``id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select

from voxcart.datasets.errors import ClipFilterError
from voxcart.datasets.store.revisions import latest_revision_ids
from voxcart.datasets.store.schema import Clip, Revision, RevisionStatus, Split

STATUSES = ("unlabeled", "labeled", "any", *(s.value for s in RevisionStatus))
FIELDS = ("status", "split", "origin", "speaker", "id")


@dataclass(frozen=True)
class ClipFilter:
    """Conditions a clip must meet (None: no condition on that field).

    ``clip_ids`` restricts the run to a given set of clips (a library option, e.g. the sample
    of the pool an active-learning round re-scores; keep it to a few thousand ids).
    """

    status: str | None = None
    split: str | None = None
    origin: str | None = None
    speaker: str | None = None
    clip_id: int | None = None
    clip_ids: tuple[int, ...] | None = None


def parse_where(conditions: Sequence[str]) -> ClipFilter:
    """Parse ``FIELD=VALUE`` strings (each field at most once).

    Raises:
        ClipFilterError: a condition is malformed, names an unknown field or an unknown value.
    """
    values: dict[str, str] = {}
    for text in conditions:
        field, sep, value = text.partition("=")
        field, value = field.strip().lower(), value.strip()
        if not sep or not value:
            raise ClipFilterError(f"--where {text!r} is not FIELD=VALUE (e.g. status=unlabeled)")
        if field not in FIELDS:
            raise ClipFilterError(
                f"--where {text!r}: unknown field {field!r}; use {', '.join(FIELDS)}"
            )
        if field in values:
            raise ClipFilterError(f"--where names {field!r} twice; give each field once")
        values[field] = value
    status = values.get("status")
    if status is not None and status.lower() not in STATUSES:
        raise ClipFilterError(f"--where status={status!r}: use one of {', '.join(STATUSES)}")
    split = values.get("split")
    allowed_splits = ("none", *(s.value for s in Split))
    if split is not None and split.lower() not in allowed_splits:
        raise ClipFilterError(f"--where split={split!r}: use one of {', '.join(allowed_splits)}")
    clip_id = values.get("id")
    if clip_id is not None and not clip_id.isdigit():
        raise ClipFilterError(f"--where id={clip_id!r}: a clip id is a whole number")
    return ClipFilter(
        status=status.lower() if status else None,
        split=split.lower() if split else None,
        origin=values.get("origin"),
        speaker=values.get("speaker"),
        clip_id=int(clip_id) if clip_id is not None else None,
    )


def clip_query(flt: ClipFilter) -> Select[int]:
    """A query of the ids of matching clips, in id order."""
    query = select(Clip.id).order_by(Clip.id)
    if flt.status not in (None, "any"):
        latest = latest_revision_ids()
        if flt.status == "unlabeled":
            query = query.where(~Clip.id.in_(select(latest.c.clip_id)))
        elif flt.status == "labeled":
            query = query.where(Clip.id.in_(select(latest.c.clip_id)))
        else:
            current = (
                select(Revision.clip_id)
                .join(latest, Revision.id == latest.c.revision_id)
                .where(Revision.status == RevisionStatus(flt.status))
            )
            query = query.where(Clip.id.in_(current))
    if flt.split is not None:
        query = query.where(
            Clip.split.is_(None) if flt.split == "none" else Clip.split == Split(flt.split)
        )
    if flt.origin is not None:
        query = query.where(Clip.origin == flt.origin)
    if flt.speaker is not None:
        query = query.where(Clip.speaker == flt.speaker)
    if flt.clip_id is not None:
        query = query.where(Clip.id == flt.clip_id)
    if flt.clip_ids is not None:
        query = query.where(Clip.id.in_(list(flt.clip_ids)))
    return query
