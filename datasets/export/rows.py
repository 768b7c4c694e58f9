"""The rows an export writes: one per clip whose current transcript qualifies, in clip order.

A clip's current transcript is its newest revision. By default only clips whose newest revision
is a human ``accepted`` or ``corrected`` one are exported; skipped, flagged and pseudo-labelled
clips stay out. Rows are read in server-side batches (``yield_per``) ordered by clip id, so an
export of any size keeps memory flat.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session, aliased

from voxcart.datasets.errors import ExportError
from voxcart.datasets.store.clip_meta import clip_meta
from voxcart.datasets.store.schema import (
    LABEL_STATUSES,
    Clip,
    ModelVersion,
    Recording,
    Revision,
    RevisionStatus,
    Split,
    Suggestion,
    User,
)

TextMode = Literal["verbatim", "normalized"]
TEXT_MODES: tuple[str, ...] = ("verbatim", "normalized")
DEFAULT_STATUSES: tuple[RevisionStatus, ...] = LABEL_STATUSES
REVIEWED_STATUSES: tuple[RevisionStatus, ...] = (RevisionStatus.REVIEWED,)
"""What ``export --reviewed-only`` takes: transcripts a reviewer approved or edited."""
BATCH_ROWS = 2000


@dataclass(frozen=True)
class RowFilter:
    """Which clips an export takes and which text it writes.

    Attributes:
        text: ``normalized`` (the project normalizer's spoken form) or ``verbatim``.
        statuses: statuses the newest revision may have.
        include_pseudo: also take clips whose newest revision is a model's pseudo-label.
        splits: only these splits; None takes all and requires every clip to have one.
    """

    text: TextMode = "normalized"
    statuses: tuple[RevisionStatus, ...] = DEFAULT_STATUSES
    include_pseudo: bool = False
    splits: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.text not in TEXT_MODES:
            raise ExportError(f"text={self.text!r} is not a text mode; use one of {TEXT_MODES}")
        if not self.statuses:
            raise ExportError("statuses is empty; name at least one, e.g. accepted,corrected")
        allowed = {s.value for s in Split}
        for name in self.splits or ():
            if name not in allowed:
                raise ExportError(
                    f"split {name!r} is not a split; use some of {', '.join(sorted(allowed))}"
                )
        if self.splits is not None and not self.splits:
            raise ExportError("splits is empty; name at least one split or pass None for all")


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a row's transcript came from (exported with ``provenance=True``)."""

    annotator: str | None
    revision_source: str
    suggestion_text: str | None
    model_version: str | None
    suggestion_wer: float | None
    """WER of the model suggestion against the transcript, both normalized; None without one
    or where undefined (a suggestion said against an empty transcript)."""

    def as_dict(self) -> dict[str, Any]:
        """The provenance fields under their manifest names."""
        return {
            "annotator": self.annotator,
            "revision_source": self.revision_source,
            "suggestion_text": self.suggestion_text,
            "model_version": self.model_version,
            "suggestion_wer": self.suggestion_wer,
        }


PROVENANCE_FIELDS: tuple[str, ...] = (
    "annotator",
    "revision_source",
    "suggestion_text",
    "model_version",
    "suggestion_wer",
)


@dataclass(frozen=True, slots=True)
class RecordingRef:
    """The recording a row's clip is cut from."""

    id: int
    key: str
    """Stable recording id for manifests: ``rec-`` and 16 hex digits of its content hash."""
    path: str
    content_hash: str
    format: str
    sample_rate: int
    channels: int
    num_frames: int
    duration_s: float

    @property
    def is_plain_wav(self) -> bool:
        """A mono 16 kHz WAV: what Kaldi recipes read without conversion."""
        return (
            self.format.upper() == "WAV"
            and self.channels == 1
            and self.sample_rate == 16000
            and self.path.lower().endswith((".wav", ".wave"))
        )


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One exported clip with its current transcript."""

    clip_id: int
    uid: str
    recording: RecordingRef
    offset_s: float
    duration_s: float
    text: str
    """The transcript in the requested text mode."""
    normalized: str
    """The normalized transcript (used for statistics whatever the text mode)."""
    speaker: str | None
    language: str
    split: str
    provenance: Provenance | None = None
    reviewed: bool = False
    """A reviewer approved or edited the transcript (not part of the content hash)."""
    meta: Mapping[str, str] = field(default_factory=dict)
    """The clip's metadata (manifest columns kept at import), name -> text."""

    def canonical(self) -> dict[str, Any]:
        """The row's content, independent of format and location (what the content hash covers).

        The recording is named by its content hash, not its path, so that the same rows exported
        anywhere, in any format, with or without copied audio, hash the same.
        """
        data: dict[str, Any] = {
            "id": self.uid,
            "recording": self.recording.content_hash,
            "offset": self.offset_s,
            "duration": self.duration_s,
            "text": self.text,
            "speaker": self.speaker,
            "language": self.language,
            "split": self.split,
        }
        if self.meta:
            # Only when there is some, so that exports without metadata hash as before.
            data["meta"] = dict(self.meta)
        if self.provenance is not None:
            data.update(self.provenance.as_dict())
        return data


def _effective_split() -> tuple[ColumnElement[Any], Any]:
    parent = aliased(Clip, name="parent_clip")
    # Derived clips (augmented, segmented) follow their parent, so that no copy of a test
    # utterance lands in train.
    split = func.coalesce(parent.split, Clip.split, type_=Clip.split.type).label("split")
    return split, parent


def _latest_revision_id() -> Any:
    newest = aliased(Revision, name="newer_revision")
    # Correlated max() over the (clip_id, id) index: rows stream in clip order without the
    # database first grouping every revision.
    return (
        select(func.max(newest.id))
        .where(newest.clip_id == Clip.id)
        .correlate(Clip)
        .scalar_subquery()
    )


def _filtered(stmt: Select[Any], flt: RowFilter, split: ColumnElement[Any]) -> Select[Any]:
    stmt = stmt.where(Revision.status.in_(list(flt.statuses)))
    if not flt.include_pseudo:
        stmt = stmt.where(Revision.is_human.is_(True))
    if flt.splits is not None:
        stmt = stmt.where(split.in_([Split(s) for s in flt.splits]))
    return stmt


def _base(columns: Sequence[Any], parent: Any) -> Select[Any]:
    return (
        select(*columns)
        .select_from(Clip)
        .join(Revision, Revision.id == _latest_revision_id())
        .outerjoin(parent, parent.id == Clip.parent_id)
    )


@dataclass(frozen=True)
class RowCount:
    """How many clips qualify, and how many of those have no split yet."""

    total: int
    unsplit: int
    unsplit_example: str | None


def count_rows(session: Session, flt: RowFilter) -> RowCount:
    """Count qualifying clips (one aggregate query, nothing loaded)."""
    split, parent = _effective_split()
    stmt = _filtered(
        _base([func.count(Clip.id), func.sum(case((split.is_(None), 1), else_=0))], parent),
        flt,
        split,
    )
    total, unsplit = session.execute(stmt).one()
    example = None
    if unsplit:
        example = session.scalar(
            _filtered(_base([Clip.uid], parent), flt, split).where(split.is_(None)).limit(1)
        )
    return RowCount(total=int(total or 0), unsplit=int(unsplit or 0), unsplit_example=example)


def require_splits(count: RowCount, flt: RowFilter) -> None:
    """Refuse an export that would take clips without a split.

    Raises:
        ExportError: some qualifying clips have no split and no split filter excludes them.
    """
    if count.unsplit and flt.splits is None:
        raise ExportError(
            f"{count.unsplit} of {count.total} clip(s) to export have no split "
            f"(e.g. {count.unsplit_example!r}); run `voxcart split` first, or export only "
            "some splits with --split train,dev,test"
        )


def iter_rows(
    session: Session, flt: RowFilter, *, provenance: bool = False, batch_rows: int = BATCH_ROWS
) -> Iterator[ExportRow]:
    """Stream the qualifying rows in clip-id order, `batch_rows` at a time from the database.

    Args:
        session: an open session (kept open while the iterator is consumed).
        flt: which clips and which text.
        provenance: also fill :attr:`ExportRow.provenance`.
        batch_rows: rows fetched per round trip.
    """
    split, parent = _effective_split()
    columns: list[Any] = [
        Clip.id,
        Clip.uid,
        Clip.offset_s,
        Clip.duration_s,
        Clip.speaker,
        Clip.locale,
        split,
        Recording.id.label("rec_id"),
        Recording.source_path,
        Recording.content_hash,
        Recording.format,
        Recording.sample_rate,
        Recording.channels,
        Recording.num_frames,
        Recording.duration_s.label("rec_duration"),
        Revision.verbatim,
        Revision.normalized,
        Revision.source,
        Revision.status,
        Clip.meta,
    ]
    if provenance:
        columns += [User.username, Suggestion.text.label("suggestion_text"), ModelVersion.name]
    stmt = _base(columns, parent).join(Recording, Recording.id == Clip.recording_id)
    if provenance:
        stmt = (
            stmt.outerjoin(User, User.id == Revision.user_id)
            .outerjoin(Suggestion, Suggestion.id == Revision.suggestion_id)
            .outerjoin(ModelVersion, ModelVersion.id == Suggestion.model_version_id)
        )
    stmt = _filtered(stmt, flt, split).order_by(Clip.id)
    result = session.execute(stmt.execution_options(yield_per=batch_rows, stream_results=True))
    for r in result:
        recording = RecordingRef(
            id=r.rec_id,
            key=f"rec-{r.content_hash[:16]}",
            path=r.source_path,
            content_hash=r.content_hash,
            format=r.format,
            sample_rate=r.sample_rate,
            channels=r.channels,
            num_frames=r.num_frames,
            duration_s=r.rec_duration,
        )
        prov = None
        if provenance:
            prov = Provenance(
                annotator=r.username,
                revision_source=r.source,
                suggestion_text=r.suggestion_text,
                model_version=r.name,
                suggestion_wer=_suggestion_wer(r.normalized, r.suggestion_text),
            )
        yield ExportRow(
            clip_id=r.id,
            uid=r.uid,
            recording=recording,
            offset_s=r.offset_s,
            duration_s=r.duration_s,
            text=r.verbatim if flt.text == "verbatim" else r.normalized,
            normalized=r.normalized,
            speaker=r.speaker,
            language=r.locale,
            split=r.split.value if isinstance(r.split, Split) else str(r.split),
            provenance=prov,
            reviewed=r.status == RevisionStatus.REVIEWED,
            meta=clip_meta(r.meta),
        )


def meta_names(session: Session, flt: RowFilter, batch_rows: int = BATCH_ROWS) -> tuple[str, ...]:
    """The metadata names of the qualifying rows, in order of first appearance (clip order):
    the extra columns of a table export, known before its header is written."""
    split, parent = _effective_split()
    stmt = _filtered(_base([Clip.meta], parent), flt, split).order_by(Clip.id)
    names: dict[str, None] = {}
    result = session.execute(stmt.execution_options(yield_per=batch_rows, stream_results=True))
    for (meta,) in result:
        if meta:
            names.update(dict.fromkeys(clip_meta(meta)))
    return tuple(names)


def _suggestion_wer(reference: str, suggestion: str | None) -> float | None:
    """WER of a suggestion against a normalized transcript (None without a suggestion, or by
    the empty-reference rule of :mod:`voxcart.datasets.text.wer`), rounded to 6 places."""
    if suggestion is None:
        return None
    from voxcart.datasets.text.wer import utterance_wer

    wer = utterance_wer(reference, suggestion)
    return None if wer is None else round(wer, 6)
