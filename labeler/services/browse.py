"""Clip browsing for the explore page: filtered clip rows, a clip's audio and history, chart data.

WER here is the newest suggestion's error rate against the clip's current human transcript
(``labeler.diff.word_diff``); confidence is that suggestion's mean word confidence. Clip
metadata (manifest columns kept at import) comes with each row; the filter on one metadata
name runs in SQL, and the names and values offered come from small DISTINCT queries.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, true

from voxcart.datasets.store.clip_filter import MetaText
from voxcart.datasets.store.clip_meta import META_PREFIX, clip_meta, meta_field, name_problem
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import latest_revision_ids
from voxcart.datasets.store.schema import Clip, Revision, Suggestion, User
from voxcart.datasets.store.stats import UNLABELED
from voxcart.labeler.errors import LabelerError
from voxcart.labeler.services.diff import word_diff

MAX_ROWS = 20_000
"""Most clips one query returns (narrow the filters to see the rest)."""
SORT_KEYS = ("clip_id", "uid", "duration_s", "status", "confidence", "wer", "speaker", "split")
SLICE_KEYS: tuple[str, ...] = ("split", "speaker", "status")
"""Built-in :func:`wer_by` keys; ``meta.NAME`` groups by a metadata name as well."""
MAX_META_CHOICES = 200
"""Most metadata names, or values of one name, offered as filter choices."""


class BrowseError(LabelerError):
    """A browse filter or request is invalid (unknown sort key, inverted range, unknown clip)."""


@dataclass(frozen=True)
class ClipQuery:
    """Which clips to list and in what order (None or empty: no condition).

    Attributes:
        statuses: current transcript statuses; ``unlabeled`` matches clips without one.
        splits: ``train``, ``dev``, ``test`` or ``unassigned``.
        speakers: exact speaker ids.
        min_confidence / max_confidence: bounds on the suggestion's mean confidence (clips
            without a suggestion are excluded when a bound is set).
        min_wer / max_wer: bounds on the suggestion's WER (clips without both a suggestion
            and a human transcript are excluded when a bound is set).
        flag: a substring that one of the current revision's flags must contain.
        text: a substring of the current transcript (case-insensitive).
        sort_by: one of :data:`SORT_KEYS`.
        descending: sort order.
        meta_name: a clip metadata name that ``meta_values`` applies to.
        meta_values: clips whose ``meta_name`` value is one of these (exact match).
    """

    statuses: tuple[str, ...] = ()
    splits: tuple[str, ...] = ()
    speakers: tuple[str, ...] = ()
    min_confidence: float | None = None
    max_confidence: float | None = None
    min_wer: float | None = None
    max_wer: float | None = None
    flag: str = ""
    text: str = ""
    sort_by: str = "clip_id"
    descending: bool = False
    meta_name: str = ""
    meta_values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.sort_by not in SORT_KEYS:
            raise BrowseError(f"sort_by={self.sort_by!r} is unknown; use one of {SORT_KEYS}")
        if self.meta_values and not self.meta_name:
            raise BrowseError("meta_values are given without meta_name; name the metadata field")
        if self.meta_name and (problem := name_problem(self.meta_name)) is not None:
            raise BrowseError(f"meta_name {self.meta_name[:60]!r}: {problem}")
        for low, high, name in (
            (self.min_confidence, self.max_confidence, "confidence"),
            (self.min_wer, self.max_wer, "wer"),
        ):
            for value in (low, high):
                if value is not None and not math.isfinite(value):
                    raise BrowseError(f"{name} bound {value!r} must be a finite number")
            if low is not None and high is not None and low > high:
                raise BrowseError(f"min_{name}={low} is above max_{name}={high}; swap them")


@dataclass(frozen=True)
class ClipRow:
    """One clip as the explore table lists it."""

    clip_id: int
    uid: str
    duration_s: float
    split: str
    speaker: str
    status: str
    text: str
    flags: tuple[str, ...]
    source: str
    is_human: bool
    suggestion: str | None
    confidence: float | None
    wer: float | None
    labelled_at: datetime | None
    meta: Mapping[str, str] = field(default_factory=dict)


def _confidence(scores: object) -> float | None:
    if isinstance(scores, dict):
        value = scores.get("mean_confidence")
        if isinstance(value, int | float) and math.isfinite(value):
            return float(value)
    return None


def list_clips(project: Project, query: ClipQuery | None = None) -> list[ClipRow]:
    """The clips matching `query`, sorted, at most :data:`MAX_ROWS`."""
    q = query or ClipQuery()
    latest = latest_revision_ids()
    newest_sug = (
        select(Suggestion.clip_id, func.max(Suggestion.id).label("sid"))
        .group_by(Suggestion.clip_id)
        .subquery("newest_suggestion")
    )
    stmt = (
        select(Clip, Revision, Suggestion.text, Suggestion.scores)
        .outerjoin(latest, latest.c.clip_id == Clip.id)
        .outerjoin(Revision, Revision.id == latest.c.revision_id)
        .outerjoin(newest_sug, newest_sug.c.clip_id == Clip.id)
        .outerjoin(Suggestion, Suggestion.id == newest_sug.c.sid)
    )
    if q.statuses:
        labelled = [s for s in q.statuses if s != UNLABELED]
        cond = Revision.status.in_(labelled)
        stmt = stmt.where(cond | Revision.id.is_(None) if UNLABELED in q.statuses else cond)
    if q.splits:
        named = [s for s in q.splits if s != "unassigned"]
        cond = Clip.split.in_(named)
        stmt = stmt.where(cond | Clip.split.is_(None) if "unassigned" in q.splits else cond)
    if q.speakers:
        stmt = stmt.where(Clip.speaker.in_(q.speakers))
    if q.text:
        stmt = stmt.where(func.lower(Revision.verbatim).contains(q.text.lower(), autoescape=True))
    if q.meta_name and q.meta_values:
        stmt = stmt.where(MetaText(q.meta_name).in_(q.meta_values))
    rows: list[ClipRow] = []
    with project.session() as session:
        for clip, rev, sug_text, scores in session.execute(stmt.order_by(Clip.id)):
            row = _row(clip, rev, sug_text, scores)
            if _keep(row, q):
                rows.append(row)
                if len(rows) >= MAX_ROWS:
                    break
    return _sorted(rows, q)


def _row(clip: Clip, rev: Revision | None, sug_text: str | None, scores: object) -> ClipRow:
    text = rev.verbatim if rev is not None else ""
    human = bool(rev is not None and rev.is_human)
    wer = word_diff(sug_text, text).wer if sug_text is not None and human and text else None
    return ClipRow(
        clip_id=clip.id,
        uid=clip.uid,
        duration_s=float(clip.duration_s),
        split=clip.split.value if clip.split is not None else "unassigned",
        speaker=clip.speaker or "",
        status=str(rev.status.value) if rev is not None else UNLABELED,
        text=text,
        flags=tuple(str(f) for f in (rev.flags or [])) if rev is not None else (),
        source=rev.source if rev is not None else "",
        is_human=human,
        suggestion=sug_text,
        confidence=_confidence(scores),
        wer=wer,
        labelled_at=rev.created_at if human and rev is not None else None,
        meta=clip_meta(clip.meta),
    )


def _within(value: float | None, low: float | None, high: float | None) -> bool:
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)


def _keep(row: ClipRow, q: ClipQuery) -> bool:
    if q.flag and not any(q.flag in f for f in row.flags):
        return False
    return _within(row.confidence, q.min_confidence, q.max_confidence) and _within(
        row.wer, q.min_wer, q.max_wer
    )


def _sorted(rows: list[ClipRow], q: ClipQuery) -> list[ClipRow]:
    present = [r for r in rows if getattr(r, q.sort_by) is not None]
    missing = [r for r in rows if getattr(r, q.sort_by) is None]
    present.sort(key=lambda r: getattr(r, q.sort_by), reverse=q.descending)
    return present + missing  # clips without a value (no suggestion, ...) always last


def speakers(project: Project) -> list[str]:
    """Every speaker id, sorted (for the filter's choices)."""
    with project.session() as session:
        return list(
            session.scalars(
                select(Clip.speaker)
                .where(Clip.speaker.is_not(None))
                .distinct()
                .order_by(Clip.speaker)
            )
        )


def meta_columns(rows: Sequence[ClipRow]) -> list[str]:
    """The metadata names of `rows`, in order of first appearance (the table's extra columns)."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row.meta))
    return list(names)


def metadata_names(project: Project) -> list[str]:
    """Every clip metadata name in the project, sorted (at most :data:`MAX_META_CHOICES`).

    One DISTINCT over the JSON keys (``json_each`` on SQLite, ``json_object_keys`` on
    PostgreSQL): no clip rows are loaded.
    """
    with project.session() as session:
        keys: Any
        if session.get_bind().dialect.name == "postgresql":
            keys = func.json_object_keys(Clip.meta).table_valued("key").render_derived()
        else:
            keys = func.json_each(Clip.meta).table_valued("key")
        stmt = (
            select(keys.c.key)
            .select_from(Clip)
            .join(keys, true())  # each clip's own keys (an implicitly lateral function)
            .distinct()
            .order_by(keys.c.key)
            .limit(MAX_META_CHOICES)
        )
        return [str(name) for name in session.scalars(stmt)]


def metadata_values(project: Project, name: str) -> list[str]:
    """The distinct values of metadata `name`, sorted (at most :data:`MAX_META_CHOICES`)."""
    if not name or name_problem(name) is not None:
        return []
    value = MetaText(name).label("value")
    stmt = (
        select(value)
        .select_from(Clip)
        .where(MetaText(name).is_not(None))
        .distinct()
        .order_by(value)  # by the label: PostgreSQL wants DISTINCT's own expression here
    )
    with project.session() as session:
        return [str(v) for v in session.scalars(stmt.limit(MAX_META_CHOICES))]


@dataclass(frozen=True)
class HistoryEntry:
    """One revision of a clip, with who wrote it."""

    revision_id: int
    created_at: datetime
    status: str
    source: str
    username: str
    verbatim: str
    flags: tuple[str, ...] = field(default_factory=tuple)
    note: str = ""


def clip_history(project: Project, clip_id: int) -> list[HistoryEntry]:
    """Every revision of a clip, oldest first."""
    with project.session() as session:
        rows = session.execute(
            select(Revision, User.username)
            .outerjoin(User, User.id == Revision.user_id)
            .where(Revision.clip_id == clip_id)
            .order_by(Revision.id)
        ).all()
        return [
            HistoryEntry(
                revision_id=rev.id,
                created_at=rev.created_at,
                status=str(rev.status.value),
                source=rev.source,
                username=name or "",
                verbatim=rev.verbatim,
                flags=tuple(str(f) for f in rev.flags or []),
                note=rev.note,
            )
            for rev, name in rows
        ]


def labelled_hours_by_day(project: Project) -> list[tuple[date, float]]:
    """Cumulative hours of audio with a human transcript, by the day of its first one."""
    first = (
        select(Revision.clip_id, func.min(Revision.created_at).label("first_at"))
        .where(Revision.is_human.is_(True))
        .group_by(Revision.clip_id)
        .subquery("first_human")
    )
    per_day: dict[date, float] = defaultdict(float)
    with project.session() as session:
        for first_at, duration in session.execute(
            select(first.c.first_at, Clip.duration_s).join(Clip, Clip.id == first.c.clip_id)
        ):
            per_day[first_at.date()] += float(duration) / 3600
    total, out = 0.0, []
    for day in sorted(per_day):
        total += per_day[day]
        out.append((day, round(total, 6)))
    return out


def confidence_histogram(rows: Sequence[ClipRow], bins: int = 10) -> list[tuple[str, int]]:
    """Counts of suggestion confidence in `bins` equal bins over [0, 1]."""
    if bins < 1:
        raise BrowseError(f"bins={bins} must be at least 1")
    counts = [0] * bins
    for row in rows:
        if row.confidence is not None:
            counts[min(bins - 1, max(0, int(row.confidence * bins)))] += 1
    return [(f"{i / bins:.2f}-{(i + 1) / bins:.2f}", counts[i]) for i in range(bins)]


def wer_by(rows: Sequence[ClipRow], key: str) -> list[tuple[str, float, int]]:
    """Mean suggestion WER per value of `key` (split, speaker, status or ``meta.NAME``), with
    clip counts."""
    name = meta_field(key)
    if key not in SLICE_KEYS and name is None:
        raise BrowseError(f"key={key!r}: use split, speaker, status or {META_PREFIX}NAME")
    groups: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        if row.wer is not None:
            value = row.meta.get(name) if name is not None else getattr(row, key)
            groups[value or "(none)"].append(row.wer)
    return [(name, sum(v) / len(v), len(v)) for name, v in sorted(groups.items())]
