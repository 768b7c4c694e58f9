"""What every import source yields (ImportItem or Rejection) and the column mapping they share."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voxcart.datasets.errors import ManifestError, UnsafePathError
from voxcart.datasets.sources.paths import resolve_safe

PATH_COLUMNS = ("audio_filepath", "path", "audio", "file", "file_name", "filename", "audio_path")
TEXT_COLUMNS = ("transcript", "transcription", "text", "sentence", "normalized_text")
SPEAKER_COLUMNS = ("speaker", "speaker_id", "client_id", "spk")
SESSION_COLUMNS = ("session", "session_id")
DEVICE_COLUMNS = ("device",)
LOCALE_COLUMNS = ("locale", "lang", "language")
ID_COLUMNS = ("id", "uid", "utt_id", "utterance_id")
OFFSET_COLUMNS = ("offset", "offset_s", "start")
DURATION_COLUMNS = ("duration", "duration_s")


@dataclass(frozen=True)
class ImportItem:
    """One clip to import: a file (or a span of one) and what the source says about it."""

    path: Path
    transcript: str | None = None
    speaker: str | None = None
    session: str | None = None
    device: str | None = None
    locale: str | None = None
    offset_s: float = 0.0
    duration_s: float | None = None
    """None means to the end of the file."""
    uid: str | None = None
    """The manifest's own id for the clip, when it has one."""
    tags: tuple[str, ...] = ()
    lineage: dict[str, Any] = field(default_factory=dict)
    source_format: str = "file"


@dataclass(frozen=True)
class Rejection:
    """An item that was not imported, and why."""

    path: str
    reason: str
    code: str = "rejected"
    """A short category for grouping: missing, unreadable, silence, unsafe_path, bad_row..."""


@dataclass(frozen=True)
class SourceContext:
    """How a source resolves paths and labels its items."""

    roots: tuple[Path, ...] = ()
    allow_outside: bool = False


def pick(record: Mapping[str, Any], names: Sequence[str]) -> Any:
    """The first non-empty value among the column aliases `names` (case-insensitive keys)."""
    for name in names:
        value = record.get(name)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return value
    return None


def text_or_none(value: Any) -> str | None:
    """A cell as text, or None when empty; text is kept verbatim (no trimming inside)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


def seconds(value: Any, column: str) -> float | None:
    """Parse a time cell (seconds) or raise ManifestError naming the column and value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ManifestError(f"{column}={str(value)[:40]!r} is not a number of seconds") from exc
    if not math.isfinite(number) or number < 0:
        raise ManifestError(f"{column}={value!r} must be a finite, non-negative number of seconds")
    return number


def record_to_item(
    record: Mapping[str, Any],
    *,
    base: Path,
    ctx: SourceContext,
    source_format: str,
    where: str,
    lineage: Mapping[str, Any] | None = None,
) -> ImportItem | Rejection:
    """Map one manifest record (CSV row, JSON object) to an item, or to a rejection.

    Args:
        record: column name (lower-cased) to value.
        base: the manifest's folder; relative paths resolve against it.
        ctx: allowed roots.
        source_format: the format label stored on the item.
        where: "file:line" for messages.
        lineage: extra provenance recorded on the clip.
    """
    raw_path = pick(record, PATH_COLUMNS)
    if raw_path is None:
        return Rejection(where, f"{where}: no audio path in columns {PATH_COLUMNS}", "bad_row")
    raw = str(raw_path)
    try:
        path = resolve_safe(raw, base, ctx.roots, ctx.allow_outside)
        if not path.exists() and not Path(raw).is_absolute():
            # Common Voice TSVs name files relative to the `clips/` folder beside them.
            alternative = resolve_safe(str(Path("clips") / raw), base, ctx.roots, ctx.allow_outside)
            if alternative.exists():
                path = alternative
        offset = seconds(pick(record, OFFSET_COLUMNS), "offset") or 0.0
        duration = seconds(pick(record, DURATION_COLUMNS), "duration")
    except ManifestError as exc:
        code = "unsafe_path" if isinstance(exc, UnsafePathError) else "bad_row"
        return Rejection(raw, f"{where}: {exc}", code)
    uid = text_or_none(pick(record, ID_COLUMNS))
    return ImportItem(
        path=path,
        transcript=text_or_none(pick(record, TEXT_COLUMNS)),
        speaker=text_or_none(pick(record, SPEAKER_COLUMNS)),
        session=text_or_none(pick(record, SESSION_COLUMNS)),
        device=text_or_none(pick(record, DEVICE_COLUMNS)),
        locale=text_or_none(pick(record, LOCALE_COLUMNS)),
        offset_s=offset,
        duration_s=duration,
        uid=uid,
        lineage={"manifest": where, **(lineage or {})},
        source_format=source_format,
    )
