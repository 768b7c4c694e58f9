"""Which clips a model run covers: ``--where FIELD=VALUE`` conditions turned into a query.

Fields: ``status`` (``unlabeled``: no transcript yet; ``labeled``: any transcript; or a
current revision status ``accepted``/``corrected``/``skipped``/``flagged``; ``any``),
``split`` (``train``/``dev``/``test``/``none``), ``origin``, ``speaker``, ``id`` and
``meta.NAME`` (a clip metadata value, exactly; ``meta.NAME=none`` matches clips without it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from voxcart.datasets.errors import ClipFilterError
from voxcart.datasets.store.clip_meta import META_PREFIX, meta_field, name_problem
from voxcart.datasets.store.revisions import latest_revision_ids
from voxcart.datasets.store.schema import Clip, Revision, RevisionStatus, Split

STATUSES = ("unlabeled", "labeled", "any", *(s.value for s in RevisionStatus))
FIELDS = ("status", "split", "origin", "speaker", "id", f"{META_PREFIX}NAME")
NO_VALUE = "none"
"""``meta.NAME=none`` matches clips that have no value for NAME."""


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
    meta: tuple[tuple[str, str | None], ...] = ()
    """(name, value) metadata conditions; a None value matches clips without the name."""


def parse_where(conditions: Sequence[str]) -> ClipFilter:
    """Parse ``FIELD=VALUE`` strings (each field at most once).

    Raises:
        ClipFilterError: a condition is malformed, names an unknown field or an unknown value.
    """
    values: dict[str, str] = {}
    meta: dict[str, str | None] = {}
    for text in conditions:
        field, sep, value = text.partition("=")
        field, value = field.strip().lower(), value.strip()
        if not sep or not value:
            raise ClipFilterError(f"--where {text!r} is not FIELD=VALUE (e.g. status=unlabeled)")
        name = meta_field(field)
        if name is not None:
            problem = name_problem(name)
            if problem is not None:
                raise ClipFilterError(
                    f"--where {text!r}: {problem}; name a metadata column as meta.NAME "
                    "(e.g. meta.condition=far)"
                )
            if name in meta:
                raise ClipFilterError(f"--where names {field!r} twice; give each field once")
            meta[name] = None if value.lower() == NO_VALUE else value
            continue
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
        meta=tuple(meta.items()),
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
    for name, value in flt.meta:
        query = query.where(meta_condition(name, value))
    return query


class MetaText(ColumnElement[str]):
    """SQL for the text of a clip's metadata `name` (NULL where the clip has none)."""

    inherit_cache = False  # the name is part of the SQL text, so no statement caching
    type = String()

    def __init__(self, name: str) -> None:
        self.name = name


@compiles(MetaText)
def _meta_text(element: MetaText, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(Clip.meta[element.name].as_string(), **kw)


@compiles(MetaText, "sqlite")
def _meta_text_sqlite(element: MetaText, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite compares path keys with the stored JSON text, where the serializer escaped
    # non-ASCII characters (r\u00e9gion); look the key up in that spelling.
    key = json.dumps(element.name)[1:-1]
    return compiler.process(Clip.meta[key].as_string(), **kw)


def meta_condition(name: str, value: str | None) -> ColumnElement[bool]:
    """SQL for "the clip's metadata `name` is `value`" (None: the clip has no such name)."""
    stored = MetaText(name)
    return stored.is_(None) if value is None else stored == value
