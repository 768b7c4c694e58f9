"""Applying segmentation to the store: query clips as offsets of their recording, and nudges.

Each recording is segmented in its own transaction: a bad or unreadable recording is reported
and skipped, and everything already stored stays. Re-running skips recordings that already
have segment clips, so the command is idempotent. A boundary correction (nudge) never edits
a clip: it creates a new version pointing at the old one and carries its transcript over.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from voxcart.datasets.audio import load_audio
from voxcart.datasets.errors import AudioError, SegmentationError, VoxcartError
from voxcart.datasets.segment.activity import SAMPLE_RATE, VoiceActivityDetector
from voxcart.datasets.segment.cut import ClipSpan, SegmentConfig, make_detector, segment_audio
from voxcart.datasets.segment.diarize import DiarizationConfig, Diarizer, scope_speakers
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import add_revision, current_transcripts
from voxcart.datasets.store.schema import Clip, Recording

ORIGIN = "segment"
OVERLAP_TAG = "overlap"
SEGMENTED_TAG = "segmented"
"""Put on a recording's whole-file clip once it has been cut into query clips."""
SUPERSEDED_TAG = "superseded"
"""Put on a clip once a nudge has replaced it with a new version."""
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")
_WHERE = re.compile(r"^\s*([a-z_]+)\s*(==|!=|>=|<=|=|>|<|~)\s*(.+?)\s*$")
_WHERE_FIELDS = {
    "id": Recording.id,
    "duration_s": Recording.duration_s,
    "format": Recording.format,
    "import_source": Recording.import_source,
    "path": Recording.source_path,
    "sample_rate": Recording.sample_rate,
}
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SegmentReport:
    """What a segmentation run did.

    Attributes:
        segmented: recordings cut into clips in this run.
        skipped: recordings skipped because they already have segment clips.
        clips_created: new clips.
        overlap_clips: new clips tagged `overlap`.
        failures: (recording id, reason) for recordings that could not be segmented.
    """

    segmented: int
    skipped: int
    clips_created: int
    overlap_clips: int
    failures: tuple[tuple[int, str], ...] = ()

    def summary(self) -> str:
        """One line of counts, then one line per failed recording."""
        lines = [
            f"segmented {self.segmented} recording(s) into {self.clips_created} clip(s) "
            f"({self.overlap_clips} with overlapped speech); {self.skipped} already segmented; "
            f"{len(self.failures)} failed"
        ]
        lines.extend(f"  recording {rid}: {reason}" for rid, reason in self.failures)
        return "\n".join(lines)


def recording_key(recording: Recording) -> str:
    """A stable, readable id of a recording: file stem plus content hash (as import uses)."""
    stem = _SLUG.sub("-", Path(recording.source_path).stem).strip("-.")[:100].strip("-.")
    return f"{stem or 'recording'}-{recording.content_hash[:10]}"


def select_recordings(project: Project, where: Sequence[str] = ()) -> list[int]:
    """Ids of recordings matching every condition (all recordings when none are given).

    A condition is `FIELD OP VALUE` with FIELD one of id, duration_s, format, import_source,
    path, sample_rate; OP one of = == != > >= < <=, or `~` for a glob on text fields
    (e.g. `path~*/sessions/*.wav`, `duration_s>=60`).

    Raises:
        SegmentationError: a condition cannot be parsed.
    """
    query = select(Recording.id).order_by(Recording.id)
    for condition in where:
        query = query.where(_condition(condition))
    with project.session() as session:
        return list(session.scalars(query))


def _condition(text: str) -> Any:
    match = _WHERE.match(text)
    if not match or match.group(1) not in _WHERE_FIELDS:
        raise SegmentationError(
            f"--where {text!r} is not FIELD OP VALUE with FIELD in "
            f"{', '.join(sorted(_WHERE_FIELDS))} and OP in = != > >= < <= ~ "
            "(e.g. duration_s>=60)"
        )
    name, op, raw = match.groups()
    column = _WHERE_FIELDS[name]
    numeric = name in ("id", "duration_s", "sample_rate")
    if op == "~":
        if numeric:
            raise SegmentationError(f"--where {text!r}: `~` (glob) applies to text fields only")
        return column.like(_glob_to_like(raw), escape="\\")
    value: Any = raw
    if numeric:
        try:
            value = float(raw)
        except ValueError as exc:
            raise SegmentationError(f"--where {text!r}: {raw!r} is not a number") from exc
    return {
        "=": column == value,
        "==": column == value,
        "!=": column != value,
        ">": column > value,
        ">=": column >= value,
        "<": column < value,
        "<=": column <= value,
    }[op]


def _glob_to_like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def segment_recordings(
    project: Project,
    recording_ids: Sequence[int],
    config: SegmentConfig,
    *,
    segmentation: str | None = None,
    diarization: DiarizationConfig | None = None,
    speaker_map: Mapping[str, str] | None = None,
    detector: VoiceActivityDetector | None = None,
    progress: Progress | None = None,
) -> SegmentReport:
    """Cut recordings into query clips (offsets, no re-encoding) and optionally label speakers.

    Args:
        project: the open project.
        recording_ids: recordings to segment; ones that already have segment clips are skipped.
        config: segmentation method and clip policy.
        segmentation: pyannote segmentation checkpoint, for method `pyannote`.
        diarization: pyannote diarization parts; None leaves speakers as imported.
        speaker_map: scoped labels ("<recording key>:SPEAKER_00") to known speaker ids.
        detector: a ready backend (overrides `config.method`), e.g. to reuse a loaded model.
        progress: called as progress(done, total) after each recording.

    Raises:
        SegmentationError: the method cannot be set up (e.g. pyannote without a checkpoint).
    """
    vad = detector or make_detector(config, segmentation)
    diarizer = Diarizer(diarization) if diarization else None
    segmented = skipped = created = overlaps = 0
    failures: list[tuple[int, str]] = []
    ids = list(dict.fromkeys(recording_ids))
    for done, recording_id in enumerate(ids, start=1):
        try:
            outcome = _segment_one(project, recording_id, config, vad, diarizer, speaker_map)
        except (VoxcartError, OSError, ValueError, RuntimeError) as exc:
            failures.append((recording_id, str(exc)[:500]))
        else:
            if outcome is None:
                skipped += 1
            else:
                segmented += 1
                created += outcome[0]
                overlaps += outcome[1]
        if progress is not None:
            progress(done, len(ids))
    return SegmentReport(segmented, skipped, created, overlaps, tuple(failures))


def _segment_one(
    project: Project,
    recording_id: int,
    config: SegmentConfig,
    vad: VoiceActivityDetector,
    diarizer: Diarizer | None,
    speaker_map: Mapping[str, str] | None,
) -> tuple[int, int] | None:
    with project.session() as session:
        recording = session.get(Recording, recording_id)
        if recording is None:
            raise SegmentationError(f"recording id {recording_id} does not exist")
        if _has_segments(session, recording_id):
            return None
        path, key = recording.source_path, recording_key(recording)
    try:
        audio = load_audio(path, sr=SAMPLE_RATE)
    except AudioError as exc:
        raise SegmentationError(f"recording {recording_id} ({path}): {exc}") from exc
    turns = None
    if diarizer is not None:
        turns = scope_speakers(diarizer.diarize(audio), key, speaker_map)
    clips, activity = segment_audio(audio, config, vad, turns)
    method = {
        "method": config.method,
        "backend": activity.backend,
        "params": {**config.as_params(), "backend": dict(activity.params)},
    }
    if diarizer is not None:
        method["diarization"] = diarizer.config.as_params()
    with project.session() as session:
        recording = session.get(Recording, recording_id)
        if recording is None or _has_segments(session, recording_id):
            return None  # deleted or segmented by a concurrent run meanwhile
        parent = _whole_clip(session, recording_id)
        overlap_count = 0
        for index, span in enumerate(clips):
            clip = _new_clip(recording, key, parent, span, index, method, config)
            overlap_count += OVERLAP_TAG in clip.tags
            session.add(clip)
        if parent is not None:
            parent.tags = list(dict.fromkeys([*(parent.tags or []), SEGMENTED_TAG]))
    return len(clips), overlap_count


def _has_segments(session: Session, recording_id: int) -> bool:
    found = session.scalar(
        select(Clip.id).where(Clip.recording_id == recording_id, Clip.origin == ORIGIN).limit(1)
    )
    return found is not None


def _whole_clip(session: Session, recording_id: int) -> Clip | None:
    """The clip import made for the whole recording (the longest non-segment clip)."""
    return session.scalar(
        select(Clip)
        .where(Clip.recording_id == recording_id, Clip.origin != ORIGIN)
        .order_by(Clip.duration_s.desc(), Clip.id)
        .limit(1)
    )


def _new_clip(
    recording: Recording,
    key: str,
    parent: Clip | None,
    span: ClipSpan,
    index: int,
    method: dict[str, Any],
    config: SegmentConfig,
) -> Clip:
    offset_ms = round(span.offset_s * 1000)
    tags = [OVERLAP_TAG] if span.overlap_s >= config.min_overlap_s else []
    lineage: dict[str, Any] = {
        **method,
        "recording": key,
        "parent_clip": parent.uid if parent is not None else None,
        "index": index,
        "speech_start_s": span.speech_start_s,
        "speech_end_s": span.speech_end_s,
        "overlap_s": span.overlap_s,
    }
    if span.speakers:
        lineage["speakers"] = dict(span.speakers)
    speaker = span.speaker if span.speaker is not None else (parent.speaker if parent else None)
    return Clip(
        uid=f"{key}-{offset_ms}"[:160],
        recording_id=recording.id,
        offset_s=span.offset_s,
        duration_s=span.duration_s,
        speaker=speaker[:128] if speaker else None,
        session=parent.session if parent is not None else None,
        device=parent.device if parent is not None else None,
        locale=parent.locale if parent is not None else "en-US",
        meta=dict(parent.meta or {}) if parent is not None else {},
        tags=tags,
        origin=ORIGIN,
        parent_id=parent.id if parent is not None else None,
        lineage=lineage,
    )


def nudge_clip(
    project: Project,
    clip_id: int,
    new_offset_s: float,
    new_duration_s: float,
    user_id: int | None = None,
) -> int:
    """Move a clip's boundaries by creating a new clip version; the old clip is kept.

    The new clip points at the old one (`parent_id`), records both boundaries in its lineage,
    and gets a copy of the old clip's current transcript (as a revision by `user_id`). The old
    clip is tagged `superseded`.

    Returns:
        The new clip's id.

    Raises:
        SegmentationError: the clip does not exist, or the new span is empty, negative or runs
            past the end of the recording.
    """
    with project.session() as session:
        # A no-op write first: it locks the clip row (PostgreSQL) or the database (SQLite) for
        # this transaction, so two people nudging the same clip cannot both make a version.
        locked = session.execute(
            update(Clip).where(Clip.id == clip_id).values(offset_s=Clip.offset_s)
        )
        old = session.get(Clip, clip_id)
        if old is None or locked.rowcount == 0:  # type: ignore[attr-defined]
            raise SegmentationError(f"clip id {clip_id} does not exist")
        if SUPERSEDED_TAG in (old.tags or []):
            raise SegmentationError(
                f"clip {old.uid} is superseded by a newer version; nudge that one instead"
            )
        recording = old.recording
        end = new_offset_s + new_duration_s
        if not (new_offset_s >= 0 and new_duration_s > 0 and end <= recording.duration_s + 1e-3):
            raise SegmentationError(
                f"new boundaries offset_s={new_offset_s}, duration_s={new_duration_s} must lie "
                f"inside the recording (0 to {recording.duration_s:.3f} s) and be non-empty"
            )
        offset = round(new_offset_s, 3)
        duration = round(min(new_duration_s, recording.duration_s - offset), 3)
        base = old.uid.split("~", 1)[0]
        uid = f"{base[:130]}~{round(offset * 1000)}-{round((offset + duration) * 1000)}"
        if session.scalar(select(Clip.id).where(Clip.uid == uid)) is not None:
            raise SegmentationError(
                f"a clip with these boundaries already exists ({uid}); nothing to change"
            )
        new = Clip.derived_from(
            old,
            uid=uid,
            recording_id=old.recording_id,
            offset_s=offset,
            duration_s=duration,
            tags=[t for t in (old.tags or []) if t != SUPERSEDED_TAG],
            origin=old.origin,
            lineage={
                "nudged_from": old.uid,
                "method": (old.lineage or {}).get("method", "manual"),
                "old": {"offset_s": old.offset_s, "duration_s": old.duration_s},
                "new": {"offset_s": offset, "duration_s": duration},
                "user_id": user_id,
            },
        )
        session.add(new)
        session.flush()
        current = current_transcripts(session, [old.id]).get(old.id)
        if current is not None:
            add_revision(
                session,
                new.id,
                current.verbatim,
                current.status,
                source=current.source,
                user_id=user_id,
                is_human=current.is_human,
                note=f"copied from {old.uid} when its boundaries were nudged",
            )
        old.tags = list(dict.fromkeys([*(old.tags or []), SUPERSEDED_TAG]))
        return new.id
