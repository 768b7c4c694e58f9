"""Storing one validated import batch in one transaction: recordings, clips, transcripts (or
gold references)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxcart.datasets.ingest.validate import AudioScan, SpanCheck
from voxcart.datasets.sources.common import ImportItem
from voxcart.datasets.store.clip_meta import MAX_FIELDS
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.references import IMPORT_SOURCE, ReferenceCounts, put_references
from voxcart.datasets.store.revisions import current_transcripts, revision_values
from voxcart.datasets.store.schema import Clip, Recording, Revision, RevisionStatus
from voxcart.datasets.text.clean import printable_name

_SLUG = re.compile(r"[^A-Za-z0-9._-]+")
_UID_LIMIT = 150


@dataclass(frozen=True)
class ReadyItem:
    """An item that passed validation, with its file scan and checked span."""

    item: ImportItem
    scan: AudioScan
    span: SpanCheck


@dataclass(frozen=True)
class BatchResult:
    """What one batch stored."""

    imported: int
    duplicates: int
    transcribed: int
    changes: tuple[tuple[str, str, str], ...] = ()
    """(item label, code, reason) for every id renamed and every transcript not stored."""
    references: ReferenceCounts = field(default_factory=ReferenceCounts)
    """Gold references stored, updated and unchanged (imports with ``as_reference``)."""


@dataclass(frozen=True)
class ClipDefaults:
    """Values applied to every new clip of an import."""

    origin: str = "import"
    tags: tuple[str, ...] = ()
    locale: str = "en-US"
    transcripts: bool = True
    """Store transcripts as accepted human revisions."""
    as_reference: bool = False
    """Store transcripts as gold references instead (never as revisions)."""


def slug(text: str, limit: int = 100) -> str:
    """A file-name-safe id fragment: letters, digits, `.`, `_`, `-` (never empty)."""
    cleaned = _SLUG.sub("-", text).strip("-.")[:limit].strip("-.")
    return cleaned or "clip"


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def base_uid(ready: ReadyItem) -> str:
    """The manifest's id when it has one, else `<file stem>-<hash prefix>[-<offset ms>]`."""
    if ready.item.uid:
        return slug(ready.item.uid, _UID_LIMIT)
    uid = f"{slug(ready.item.path.stem)}-{ready.scan.content_hash[:10]}"
    if not ready.span.whole_file:
        uid += f"-{_ms(ready.span.offset_s)}"
    return uid


def _short(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


def item_label(item: ImportItem) -> str:
    """How the import report names an item: its manifest line when it has one, else its file."""
    manifest = item.lineage.get("manifest")
    name = printable_name(item.path)
    return f"{manifest} ({name})" if isinstance(manifest, str) else name


def recording_row(scan: AudioScan, import_source: str) -> Recording:
    """A new Recording row for a scanned file (what import and augmentation both store)."""
    info = scan.info
    return Recording(
        source_path=str(info.path),
        content_hash=scan.content_hash,
        format=info.format[:16],
        subtype=info.subtype[:32],
        duration_s=info.duration_s,
        sample_rate=info.sample_rate,
        channels=info.channels,
        num_frames=info.num_frames,
        size_bytes=info.size_bytes,
        import_source=import_source[:64],
        info=scan.stats,
    )


def _clip(ready: ReadyItem, uid: str, recording_id: int, defaults: ClipDefaults) -> Clip:
    item, span = ready.item, ready.span
    parent = item.lineage.get("parent_clip_id")
    return Clip(
        uid=uid,
        recording_id=recording_id,
        offset_s=span.offset_s,
        duration_s=span.duration_s,
        speaker=_short(item.speaker, 128),
        session=_short(item.session, 128),
        device=_short(item.device, 128),
        locale=(item.locale or defaults.locale)[:16],
        tags=list(dict.fromkeys((*item.tags, *defaults.tags, *span.tags))),
        origin=defaults.origin[:32],
        parent_id=parent if isinstance(parent, int) else None,
        lineage=dict(item.lineage),
        meta=dict(item.meta),
    )


def _free_uids(
    session: Session, batch: Sequence[ReadyItem], changes: list[tuple[str, str, str]]
) -> list[str]:
    """A unique uid per item: its base uid, or base-2, base-3... when that is taken.

    A manifest id that is stored differently (characters replaced, or a suffix because the
    id is taken) is added to `changes`, so the report says which id became which.
    """
    bases = [base_uid(ready) for ready in batch]
    taken = set(session.scalars(select(Clip.uid).where(Clip.uid.in_(set(bases)))))
    chosen: list[str] = []
    for ready, base in zip(batch, bases, strict=True):
        uid, number = base, 1
        while uid in taken:
            number += 1
            uid = f"{base}-{number}"
            if uid not in taken and session.scalar(select(Clip.id).where(Clip.uid == uid)):
                taken.add(uid)
        taken.add(uid)
        chosen.append(uid)
        given = ready.item.uid
        if given and uid != given:
            why = (
                "ids keep only letters, digits, '.', '_' and '-'"
                if number == 1
                else "that id is already used by another clip"
            )
            changes.append(
                (item_label(ready.item), "renamed", f"id {given!r} stored as {uid!r} ({why})")
            )
    return chosen


def _conflict(uid: str, stored: str, given: str) -> str:
    return (
        f"clip {uid!r} already has the transcript {stored[:80]!r}; this source's "
        f"{given[:80]!r} was not stored (correct it in the labeler if the source is right)"
    )


def store_batch(
    project: Project, batch: Sequence[ReadyItem], defaults: ClipDefaults
) -> BatchResult:
    """Store a batch in one transaction.

    Recordings are matched by content hash (a stored one is reused); a clip whose recording,
    offset and duration (to the millisecond) match a stored clip or an earlier one in the batch
    is a duplicate: skipped, but its transcript is added when that clip has no revision yet.
    With ``defaults.as_reference`` transcripts become gold references instead, on new and
    duplicate clips alike (a changed one replaces the stored one). Rows are flushed in bulk
    (one INSERT round per table), not one by one.
    """
    if not batch:
        return BatchResult(0, 0, 0)
    with project.session() as session:
        recording_ids = _recordings(session, batch)
        spans: dict[tuple[int, int, int], int] = {
            (rid, _ms(off), _ms(dur)): cid
            for cid, rid, off, dur in session.execute(
                select(Clip.id, Clip.recording_id, Clip.offset_s, Clip.duration_s).where(
                    Clip.recording_id.in_(set(recording_ids.values()))
                )
            ).all()
        }
        placed: list[tuple[ReadyItem, tuple[int, int, int]]] = []
        fresh: list[tuple[ReadyItem, tuple[int, int, int]]] = []
        repeats: list[tuple[ReadyItem, tuple[int, int, int]]] = []
        pending: set[tuple[int, int, int]] = set()
        for ready in batch:
            key = (
                recording_ids[ready.scan.content_hash],
                _ms(ready.span.offset_s),
                _ms(ready.span.duration_s),
            )
            placed.append((ready, key))
            if key in spans or key in pending:
                repeats.append((ready, key))
            else:
                pending.add(key)
                fresh.append((ready, key))
        changes: list[tuple[str, str, str]] = []
        uids = _free_uids(session, [ready for ready, _key in fresh], changes)
        clips = [
            _clip(ready, uid, key[0], defaults)
            for (ready, key), uid in zip(fresh, uids, strict=True)
        ]
        session.add_all(clips)
        session.flush()
        for (_ready, key), clip in zip(fresh, clips, strict=True):
            spans[key] = clip.id
        references = ReferenceCounts()
        if defaults.as_reference:
            gold = _gold_texts([(ready, spans[key]) for ready, key in placed], changes)
            references = put_references(session, gold, IMPORT_SOURCE)
        texts: dict[int, ReadyItem] = {}
        if defaults.transcripts and not defaults.as_reference:
            for (ready, _key), clip in zip(fresh, clips, strict=True):
                if ready.item.transcript is not None:
                    texts[clip.id] = ready
            wanted = {spans[key] for ready, key in repeats if ready.item.transcript is not None}
            stored = current_transcripts(session, wanted)
            rows = session.execute(select(Clip.id, Clip.uid).where(Clip.id.in_(wanted)))
            uid_of = {cid: uid for cid, uid in rows}
            uid_of.update((clip.id, clip.uid) for clip in clips)
            for ready, key in repeats:
                clip_id, given = spans[key], ready.item.transcript
                if given is None:
                    continue
                have = stored[clip_id].verbatim if clip_id in stored else None
                if have is None and clip_id in texts:
                    have = texts[clip_id].item.transcript
                if have is None:
                    texts[clip_id] = ready
                elif have != given:
                    reason = _conflict(uid_of[clip_id], have, given)
                    changes.append((item_label(ready.item), "conflict", reason))
        session.add_all(_first_revision(clip_id, ready) for clip_id, ready in texts.items())
        _merge_meta(session, [(spans[key], ready) for ready, key in repeats], changes)
    return BatchResult(len(fresh), len(repeats), len(texts), tuple(changes), references)


def _gold_texts(
    placed: Sequence[tuple[ReadyItem, int]], changes: list[tuple[str, str, str]]
) -> dict[int, str]:
    """Clip id -> gold reference text of a batch; where two lines of the batch give one clip
    different texts, the first is kept and the other reported as a conflict."""
    texts: dict[int, str] = {}
    for ready, clip_id in placed:
        given = ready.item.transcript
        if given is None:
            continue
        kept = texts.setdefault(clip_id, given)
        if kept != given:
            reason = (
                f"an earlier line of this source gives the same audio the reference "
                f"{kept[:80]!r}; {given[:80]!r} was not stored (a clip has one gold reference)"
            )
            changes.append((item_label(ready.item), "conflict", reason))
    return texts


def _merge_meta(
    session: Session,
    repeats: Sequence[tuple[int, ReadyItem]],
    changes: list[tuple[str, str, str]],
) -> None:
    """Add the metadata a duplicate item brings to the stored clip it repeats: names the clip
    lacks are added (up to MAX_FIELDS), a different value for a name it has is reported and
    not stored. So re-importing a manifest fills in metadata of clips imported without it."""
    wanted = {clip_id for clip_id, ready in repeats if ready.item.meta}
    if not wanted:
        return
    clips = {c.id: c for c in session.scalars(select(Clip).where(Clip.id.in_(wanted)))}
    for clip_id, ready in repeats:
        clip = clips.get(clip_id)
        if clip is None or not ready.item.meta:
            continue
        merged = dict(clip.meta or {})
        for name, value in ready.item.meta.items():
            have = merged.get(name)
            if have is None and len(merged) < MAX_FIELDS:
                merged[name] = value
            elif have is None:
                reason = f"metadata {name!r} not added to clip {clip.uid!r}: it has {MAX_FIELDS}"
                changes.append((item_label(ready.item), "meta_conflict", reason))
            elif have != value:
                reason = (
                    f"clip {clip.uid!r} already has metadata {name}={have[:60]!r}; this "
                    f"source's {value[:60]!r} was not stored"
                )
                changes.append((item_label(ready.item), "meta_conflict", reason))
        if merged != (clip.meta or {}):
            clip.meta = merged


def _recordings(session: Session, batch: Sequence[ReadyItem]) -> dict[str, int]:
    """Content hash -> recording id for the batch, inserting the recordings not stored yet."""
    hashes = {ready.scan.content_hash for ready in batch}
    ids: dict[str, int] = dict(
        session.execute(
            select(Recording.content_hash, Recording.id).where(Recording.content_hash.in_(hashes))
        ).all()
    )
    new: dict[str, Recording] = {}
    for ready in batch:
        digest = ready.scan.content_hash
        if digest not in ids and digest not in new:
            new[digest] = recording_row(ready.scan, ready.item.source_format)
    session.add_all(new.values())
    session.flush()
    ids.update((digest, recording.id) for digest, recording in new.items())
    return ids


def _first_revision(clip_id: int, ready: ReadyItem) -> Revision:
    """The first revision of a clip that has none (no previous revision to look up)."""
    return Revision(
        **revision_values(
            clip_id,
            ready.item.transcript or "",
            RevisionStatus.ACCEPTED,
            source=f"import:{ready.item.source_format}",
        )
    )
