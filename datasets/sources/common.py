"""What every import source yields (ImportItem or Rejection) and the column mapping they share."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from voxcart.datasets.errors import ManifestError, UnsafePathError
from voxcart.datasets.sources.paths import resolve_safe, stat_problem
from voxcart.datasets.store.clip_meta import (
    MAX_FIELDS,
    MAX_NAME_CHARS,
    name_problem,
    value_problem,
    value_text,
)
from voxcart.datasets.text.clean import clean_text, label_problem, printable_name

PATH_COLUMNS = ("audio_filepath", "path", "audio", "file", "file_name", "filename", "audio_path")
TEXT_COLUMNS = ("transcript", "transcription", "text", "sentence", "normalized_text")
SPEAKER_COLUMNS = ("speaker", "speaker_id", "client_id", "spk")
SESSION_COLUMNS = ("session", "session_id")
DEVICE_COLUMNS = ("device",)
LOCALE_COLUMNS = ("locale", "lang", "language")
ID_COLUMNS = ("id", "uid", "utt_id", "utterance_id")
OFFSET_COLUMNS = ("offset", "offset_s", "start")
DURATION_COLUMNS = ("duration", "duration_s")
MAX_SECONDS = 7 * 24 * 3600.0
"""Largest offset or duration a manifest may give (a week); anything larger is a typo."""
LABEL_LIMITS = {"id": 150, "speaker": 128, "session": 128, "device": 128, "locale": 16}
"""Longest value stored for each label column; longer ones are refused, never cut."""
KNOWN_COLUMNS = frozenset(
    (
        *PATH_COLUMNS, *TEXT_COLUMNS, *SPEAKER_COLUMNS, *SESSION_COLUMNS, *DEVICE_COLUMNS,
        *LOCALE_COLUMNS, *ID_COLUMNS, *OFFSET_COLUMNS, *DURATION_COLUMNS,
    )
)  # fmt: skip
"""Columns import reads into clip fields; every other column is kept as clip metadata."""
_EXPORT_ONLY = "written by `voxcart export --provenance`, never read back"
RESERVED_COLUMNS: Mapping[str, str] = {
    "split": "voxcart assigns splits itself (`voxcart split`); rename the column (e.g. "
    "source_split) to keep it as metadata",
    "annotator": _EXPORT_ONLY,
    "revision_source": _EXPORT_ONLY,
    "suggestion_text": _EXPORT_ONLY,
    "model_version": _EXPORT_ONLY,
    "suggestion_wer": _EXPORT_ONLY,
}
"""Columns voxcart writes in its own exports but does not keep as metadata, and why."""


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
    notices: tuple[str, ...] = ()
    """What the source changed on the way in (a cleaned transcript), for the import report."""
    meta: dict[str, str] = field(default_factory=dict)
    """The manifest's other columns (name -> text), kept as clip metadata."""
    skipped_columns: tuple[SkippedColumn, ...] = ()
    """Columns with a value in this row that are not kept, and why (for the import report)."""


@dataclass(frozen=True)
class SkippedColumn:
    """A manifest column whose values are not kept as metadata, and why."""

    name: str
    reason: str


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


def text_or_none(value: Any, column: str = "value") -> str | None:
    """A cell as text, or None when empty; text is kept verbatim (no trimming inside).

    Raises:
        ManifestError: the value is a list, object or boolean (JSON), which has no text form.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ManifestError(
            f"{column} is a JSON {type(value).__name__} ({str(value)[:40]}), not text; "
            "write it as a string"
        )
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


def seconds(value: Any, column: str) -> float | None:
    """Parse a time cell (seconds) or raise ManifestError naming the column and value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ManifestError(f"{column}={value!r} is not a number of seconds")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ManifestError(f"{column}={str(value)[:40]!r} is not a number of seconds") from exc
    if not math.isfinite(number) or number < 0:
        raise ManifestError(
            f"{column}={str(value)[:40]!r} must be a finite, non-negative number of seconds"
        )
    if number > MAX_SECONDS:
        raise ManifestError(
            f"{column}={str(value)[:40]!r} is over {MAX_SECONDS:.0f} s (a week); "
            "give seconds, not samples or milliseconds"
        )
    return number


def label(value: Any, column: str) -> str | None:
    """A label cell (id, speaker, session, device, locale) checked against LABEL_LIMITS.

    Raises:
        ManifestError: the value is not text, holds control characters or is too long.
    """
    text = text_or_none(value, column)
    if text is None:
        return None
    problem = label_problem(text, column, LABEL_LIMITS[column])
    if problem is not None:
        raise ManifestError(problem)
    return text


def transcript_of(value: Any, column: str = "text") -> tuple[str | None, tuple[str, ...]]:
    """A transcript cell cleaned of control characters, and the notice describing any change.

    Raises:
        ManifestError: the value is a list, object or boolean.
    """
    text = text_or_none(value, column)
    if text is None:
        return None, ()
    cleaned = clean_text(text)
    if not cleaned.changes:
        return text, ()
    notice = f"transcript cleaned: {cleaned.changes}"
    return (cleaned.text or None), (notice,)


OVER_LIMIT = (
    f"over the {MAX_FIELDS} metadata columns a clip keeps; drop the columns you do not need "
    "from the manifest"
)
"""Why a column past the MAX_FIELDS-th metadata column of a row is not kept."""


def _column_verdict(name: str) -> SkippedColumn | bool:
    """True for a column kept as metadata, False for one import reads into a clip field, else
    the column's entry in the report (made once per name: wide manifests repeat them a lot)."""
    if len(name) > MAX_NAME_CHARS:
        # Not cached: a hostile manifest's huge names must not pile up in the cache.
        reason = f"the name is over the {MAX_NAME_CHARS} characters allowed; rename the column"
        return SkippedColumn(printable_name(name[:80]) + "...", reason)
    return _short_column_verdict(name)


@lru_cache(maxsize=8192)
def _short_column_verdict(name: str) -> SkippedColumn | bool:
    if name in KNOWN_COLUMNS:
        return False
    if name in RESERVED_COLUMNS:
        return SkippedColumn(name, RESERVED_COLUMNS[name])
    problem = name_problem(name)
    if problem is None:
        return True
    return SkippedColumn(printable_name(name[:80]), f"{problem}; rename the column")


@lru_cache(maxsize=8192)
def _over_limit(name: str) -> SkippedColumn:
    return SkippedColumn(name, OVER_LIMIT)


@lru_cache(maxsize=8192)
def _bad_value(name: str, problem: str) -> SkippedColumn:
    return SkippedColumn(name, problem)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def metadata_of(record: Mapping[str, Any]) -> tuple[dict[str, str], tuple[SkippedColumn, ...]]:
    """The metadata of one manifest record: every column import has no field for, in record
    order, up to :data:`~voxcart.datasets.store.clip_meta.MAX_FIELDS` names.

    Blank cells are not stored. A column that cannot be kept (a reserved or malformed name, or
    one past the limit) is listed with its reason where this record gives it a value, and so
    is a value that cannot be kept (control characters, too long): the clip is still imported,
    so one odd auxiliary column never costs a dataset its audio.
    """
    meta: dict[str, str] = {}
    skipped: list[SkippedColumn] = []
    names = 0
    for key, value in record.items():
        name = key.strip()
        verdict = _column_verdict(name)
        if verdict is False:
            continue
        if verdict is True:
            names += 1
            if names > MAX_FIELDS:
                verdict = _over_limit(name)
        if _blank(value):
            continue
        if isinstance(verdict, SkippedColumn):
            skipped.append(verdict)
            continue
        text = value_text(value)
        if text is None:
            continue
        problem = value_problem(text)
        if problem is not None:
            skipped.append(_bad_value(name, problem))
            continue
        meta[name] = text
    return meta, tuple(skipped)


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
        return Rejection(where, f"no audio path in columns {', '.join(PATH_COLUMNS)}", "bad_row")
    if not isinstance(raw_path, str):
        return Rejection(
            where, f"audio path {str(raw_path)[:60]} is a JSON {type(raw_path).__name__}", "bad_row"
        )
    raw = raw_path
    try:
        path = resolve_safe(raw, base, ctx.roots, ctx.allow_outside)
        written = Path(raw.strip())
        written = written if written.is_absolute() else base / written
        if written.is_symlink():
            problem = stat_problem(written)
            if problem is not None:
                return Rejection(where, problem[1], problem[0])
        if not path.exists() and not Path(raw).is_absolute():
            # Common Voice TSVs name files relative to the `clips/` folder beside them.
            alternative = resolve_safe(str(Path("clips") / raw), base, ctx.roots, ctx.allow_outside)
            if alternative.exists():
                path = alternative
        offset = seconds(pick(record, OFFSET_COLUMNS), "offset") or 0.0
        duration = seconds(pick(record, DURATION_COLUMNS), "duration")
        transcript, notices = transcript_of(pick(record, TEXT_COLUMNS))
        labels = {
            "id": label(pick(record, ID_COLUMNS), "id"),
            "speaker": label(pick(record, SPEAKER_COLUMNS), "speaker"),
            "session": label(pick(record, SESSION_COLUMNS), "session"),
            "device": label(pick(record, DEVICE_COLUMNS), "device"),
            "locale": label(pick(record, LOCALE_COLUMNS), "locale"),
        }
        meta, skipped_columns = metadata_of(record)
    except ManifestError as exc:
        code = "unsafe_path" if isinstance(exc, UnsafePathError) else "bad_row"
        return Rejection(where, str(exc), code)
    return ImportItem(
        path=path,
        transcript=transcript,
        speaker=labels["speaker"],
        session=labels["session"],
        device=labels["device"],
        locale=labels["locale"],
        offset_s=offset,
        duration_s=duration,
        uid=labels["id"],
        lineage={"manifest": printable_name(where), **(lineage or {})},
        source_format=source_format,
        notices=notices,
        meta=meta,
        skipped_columns=skipped_columns,
    )
