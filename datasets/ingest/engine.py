"""The streaming import engine: validate each item, deduplicate by content, store in batches.

Every source (folder, CSV/TSV, NeMo, Hugging Face audiofolder, Kaldi, single file) and every
builder of clips (the demo, segmentation) feeds :func:`import_items`. Items stream through in
batches of BATCH_SIZE, one transaction each: memory stays flat whatever the source's size, a
killed import loses at most one batch, and a re-run skips what is stored (all duplicates).
"""

from __future__ import annotations

import os
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from voxcart.datasets.errors import AudioError, ManifestError, VoxcartError
from voxcart.datasets.failure_log import FailureLog
from voxcart.datasets.ingest.store import ClipDefaults, ReadyItem, item_label, store_batch
from voxcart.datasets.ingest.validate import (
    AudioRejectedError,
    AudioScan,
    check_size,
    check_span,
    scan_file,
)
from voxcart.datasets.sources.common import (
    OVER_LIMIT,
    ImportItem,
    Rejection,
    SkippedColumn,
    SourceContext,
)
from voxcart.datasets.sources.detect import FORMATS, count_items, iter_source
from voxcart.datasets.sources.paths import stat_problem
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.references import ReferenceCounts
from voxcart.datasets.text.clean import printable_name

__all__ = [
    "BATCH_SIZE",
    "FORMATS",
    "ImportItem",
    "ImportReport",
    "Rejection",
    "import_items",
    "import_source",
]

BATCH_SIZE = 200
"""Items committed per transaction."""
MAX_KEPT_REJECTIONS = 1000
"""Rejections kept on the report object; all of them go to the report file."""
_SCAN_CACHE = 8
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class ImportReport:
    """What an import did: counts, the first rejections, and where all rejections were written."""

    source: str
    format: str
    imported: int
    duplicates: int
    rejected: int
    transcribed: int = 0
    """Transcripts stored (on new clips, and on existing clips that had none)."""
    rejections: tuple[Rejection, ...] = ()
    """The first MAX_KEPT_REJECTIONS rejections."""
    reasons: tuple[tuple[str, int], ...] = ()
    """(code, count) for every rejection, most frequent first."""
    report_path: Path | None = None
    """JSONL file listing every rejection and change (None when there was neither)."""
    changed: int = 0
    """Items imported with a change the report describes (cleaned text, renamed id, a
    transcript not stored because the clip already had another, a flag)."""
    changes: tuple[Rejection, ...] = ()
    """The first MAX_KEPT_REJECTIONS changes (same shape as rejections)."""
    as_reference: bool = False
    """The transcripts were stored as gold references, not as labels."""
    references: ReferenceCounts = field(default_factory=ReferenceCounts)
    """Gold references stored, updated and unchanged (with ``as_reference``)."""
    metadata_columns: tuple[tuple[str, int], ...] = ()
    """(name, clips) for every manifest column kept as clip metadata, in first-seen order."""
    skipped_columns: tuple[tuple[str, str, int], ...] = ()
    """(name, reason, rows) for every column with values that were not kept (a column may be
    listed once per reason: too long in some rows, control characters in others)."""

    def summary(self, top: int = 5) -> str:
        """A few lines for people: counts, the most common reasons, the report file."""
        stored = (
            f"gold reference(s): {self.references.stored} stored, {self.references.updated} "
            f"updated, {self.references.unchanged} unchanged (evaluation only, not labels)"
            if self.as_reference
            else f"{self.transcribed} transcript(s) stored"
        )
        lines = [
            f"imported {self.imported} clip(s), {self.duplicates} duplicate(s) skipped, "
            f"{self.rejected} rejected; {stored} [{self.format}: {self.source}]"
        ]
        if self.reasons:
            lines.append(
                "rejections by reason: " + ", ".join(f"{code} {n}" for code, n in self.reasons)
            )
            for rejection in self.rejections[:top]:
                lines.append(f"  - {rejection.path}: {rejection.reason}")
            if self.rejected > top:
                lines.append(f"  ... {self.rejected - top} more")
        if self.changed:
            lines.append(f"{self.changed} item(s) imported with a change:")
            for change in self.changes[:top]:
                lines.append(f"  - {change.path}: [{change.code}] {change.reason}")
            if self.changed > top:
                lines.append(f"  ... {self.changed - top} more")
        if self.metadata_columns:
            kept = ", ".join(f"{name} ({n})" for name, n in self.metadata_columns[: top * 4])
            more = len(self.metadata_columns) - top * 4
            lines.append(
                f"metadata kept per clip from {len(self.metadata_columns)} column(s) "
                f"(clips): {kept}" + (f", ... {more} more" if more > 0 else "")
            )
        if self.skipped_columns:
            names = len({name for name, _reason, _rows in self.skipped_columns})
            lines.append(f"{names} column(s) with values not kept as metadata:")
            for name, reason, rows in self.skipped_columns[:top]:
                lines.append(f"  - {name!r} ({rows} row(s)): {reason}")
            if len(self.skipped_columns) > top:
                lines.append(f"  ... {len(self.skipped_columns) - top} more")
        if self.report_path is not None:
            lines.append(f"all rejections: {self.report_path}")
        return "\n".join(lines)


class _RejectionLog(FailureLog[Rejection]):
    """The import's failure log, counting rejections by code too."""

    def __init__(self, folder: Path) -> None:
        super().__init__(
            folder,
            "import",
            lambda r: {"path": r.path, "code": r.code, "reason": r.reason},
            MAX_KEPT_REJECTIONS,
        )
        self.codes: Counter[str] = Counter()
        self.changes: list[Rejection] = []
        self.changed = 0

    def add(self, failure: Rejection) -> None:
        """Log one rejection."""
        self.codes[failure.code] += 1
        super().add(failure)

    def change(self, change: Rejection) -> None:
        """Record an item imported with a change (codes listed in CHANGE_CODES)."""
        self.changed += 1
        if len(self.changes) < MAX_KEPT_REJECTIONS:
            self.changes.append(change)
        self.write(change)

    @property
    def total(self) -> int:
        """Rejections so far."""
        return sum(self.codes.values())


@dataclass
class _Counts:
    imported: int = 0
    duplicates: int = 0
    transcribed: int = 0
    references: ReferenceCounts = field(default_factory=ReferenceCounts)
    meta: Counter[str] = field(default_factory=Counter)
    skipped_columns: Counter[tuple[str, str]] = field(default_factory=Counter)

    def keep_meta(self, names: Iterable[str]) -> None:
        """Count the metadata names of a stored item (at most MAX_REPORTED_COLUMNS names)."""
        _bounded_update(self.meta, names, _MORE_COLUMNS)

    over_limit: Counter[tuple[str, str]] = field(default_factory=Counter)

    def skip_columns(self, skipped: Iterable[SkippedColumn]) -> None:
        """Count the columns an item could not keep (at most MAX_REPORTED_COLUMNS entries of
        each kind: the columns past the per-clip limit of a wide manifest are counted apart,
        so that they never crowd out a column whose values were refused)."""
        for column in skipped:
            key = (column.name, column.reason)
            if column.reason == OVER_LIMIT:
                _bounded_update(self.over_limit, (key,), (_MORE_COLUMNS, OVER_LIMIT))
            else:
                _bounded_update(self.skipped_columns, (key,), _MORE_REFUSED)

    def skipped_report(self) -> tuple[tuple[str, str, int], ...]:
        """(name, reason, rows): refused names and values first, then the limit's overflow."""
        entries = [*self.skipped_columns.items(), *self.over_limit.items()]
        return tuple((name, reason, rows) for (name, reason), rows in entries)


_MORE_COLUMNS = "(more columns)"
_MORE_REFUSED = (_MORE_COLUMNS, "refused names or values not listed one by one")
MAX_REPORTED_COLUMNS = 1000
"""Distinct columns the report counts one by one; the rest are counted together, so that a
manifest with a new column name in every row keeps the import's memory flat."""


def _bounded_update(counter: Counter[Any], keys: Iterable[Any], overflow: Any) -> None:
    for key in keys:
        if key in counter or len(counter) < MAX_REPORTED_COLUMNS:
            counter[key] += 1
        else:
            counter[overflow] += 1


@dataclass
class _Engine:
    project: Project
    defaults: ClipDefaults
    log: _RejectionLog
    counts: _Counts = field(default_factory=_Counts)
    _scans: OrderedDict[tuple[str, int, int], AudioScan] = field(default_factory=OrderedDict)

    def prepare(self, item: ImportItem) -> ReadyItem | Rejection:
        """Validate one item: the file exists, fits, decodes, and its span passes the checks."""
        path = item.path
        name = printable_name(path)
        missing = stat_problem(path)
        if missing is not None:
            return Rejection(name, missing[1].removeprefix(f"{name}: "), missing[0])
        if name != str(path):
            return Rejection(name, "file name is not valid UTF-8; rename it to UTF-8", "bad_name")
        stat = path.stat()
        problem = check_size(path, self.project.config.validation)
        if problem is not None:
            return Rejection(name, problem.reason, problem.code)
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        scan = self._scans.get(key)
        if scan is None:
            try:
                scan = scan_file(path)
            except AudioRejectedError as exc:
                return Rejection(name, str(exc), exc.code)
            except AudioError as exc:
                return Rejection(name, str(exc).removeprefix(f"{path}: "), "unreadable")
            self._scans[key] = scan
            if len(self._scans) > _SCAN_CACHE:
                self._scans.popitem(last=False)
        span = check_span(scan, item.offset_s, item.duration_s, self.project.config.validation)
        if span.problem is not None:
            where = f"{name} @ {span.offset_s:.3f}s" if not span.whole_file else name
            return Rejection(where, span.problem.reason, span.problem.code)
        return ReadyItem(item, scan, span)

    def commit(self, batch: list[ReadyItem]) -> None:
        """Store one batch in one transaction; if the database refuses it, store item by item
        so that one bad item is rejected and its neighbours are still stored."""
        try:
            self._store(batch)
        except (SQLAlchemyError, ValueError) as exc:
            if len(batch) == 1:
                ready = batch[0]
                detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
                reason = f"the database refused it ({detail})"
                self.log.add(Rejection(item_label(ready.item), reason, "store_failed"))
                return
            for ready in batch:
                self.commit([ready])

    def _store(self, batch: list[ReadyItem]) -> None:
        result = store_batch(self.project, batch, self.defaults)
        self.counts.imported += result.imported
        self.counts.duplicates += result.duplicates
        self.counts.transcribed += result.transcribed
        self.counts.references += result.references
        for ready in batch:
            self.counts.keep_meta(ready.item.meta.keys())
            for notice in ready.item.notices:
                self.log.change(Rejection(item_label(ready.item), notice, "cleaned"))
            for tag in ready.span.tags:
                self.log.change(Rejection(item_label(ready.item), _FLAGS.get(tag, tag), "flagged"))
        for path, code, reason in result.changes:
            self.log.change(Rejection(path, reason, code))


_FLAGS = {
    "silent_mix": "flagged silent_mix: its channels cancel out, the mono mix is silent; "
    "check the wiring or keep one channel",
    "clipped": "flagged clipped: many samples at full scale",
}


def import_items(
    project: Project,
    items: Iterable[ImportItem | Rejection],
    *,
    origin: str = "import",
    tags: Sequence[str] = (),
    transcripts: bool = True,
    as_reference: bool = False,
    progress: Progress | None = None,
    total: int | None = None,
    source: str = "",
    fmt: str = "items",
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Validate, deduplicate and store a stream of items in batches of `batch_size`.

    A bad item is rejected (and written to the report file) without stopping the batch. A
    recording already stored (same audio content) is reused; a clip with the same recording,
    offset and duration as a stored one counts as a duplicate and is skipped, except that its
    transcript is stored when the existing clip has none.

    Args:
        project: the open project.
        items: the stream (a source's generator, or items built by the demo or segmentation);
            Rejection entries are counted and reported as they are.
        origin: stored on each new clip (`import`, `demo`, `segment`...).
        tags: added to each new clip's tags.
        transcripts: store transcripts as accepted human revisions (`import:<format>`).
        as_reference: store transcripts as gold references (evaluation only, never a
            revision), on new clips and on stored clips with the same audio span alike.
        progress: called as progress(done, total) after each item.
        total: the expected number of items, passed to `progress`.
        source, fmt: labels for the report.
        batch_size: items per transaction.

    Raises:
        ManifestError: the stream itself failed part-way (the batches before it are kept), or
            `as_reference` is asked without `transcripts`.
    """
    if as_reference and not transcripts:
        raise ManifestError(
            "as_reference=True stores the source's transcripts as gold references, and "
            "transcripts=False ignores them; drop one of the two (--as-reference, "
            "--no-transcripts)"
        )
    log = _RejectionLog(project.root / "reports")
    defaults = ClipDefaults(
        origin, tuple(tags), project.config.locale, transcripts, as_reference=as_reference
    )
    engine = _Engine(project, defaults, log)
    batch: list[ReadyItem] = []
    done = 0
    try:
        for entry in items:
            done += 1
            outcome = entry if isinstance(entry, Rejection) else engine.prepare(entry)
            if isinstance(entry, ImportItem):
                engine.counts.skip_columns(entry.skipped_columns)
            if isinstance(outcome, Rejection):
                log.add(outcome)
            else:
                batch.append(outcome)
                if len(batch) >= batch_size:
                    engine.commit(batch)
                    batch = []
            if progress is not None:
                progress(done, total)
        engine.commit(batch)
    except VoxcartError as exc:
        if isinstance(exc, ManifestError):
            engine.commit(batch)
            kept = engine.counts.imported
            raise ManifestError(
                f"{exc} ({kept} clip(s) imported before this point are kept; "
                "fix the source and re-run to import the rest)"
            ) from exc
        raise
    finally:
        log.close()
    return ImportReport(
        source=source,
        format=fmt,
        imported=engine.counts.imported,
        duplicates=engine.counts.duplicates,
        rejected=log.count,
        transcribed=engine.counts.transcribed,
        rejections=tuple(log.kept),
        reasons=tuple(log.codes.most_common()),
        report_path=log.path,
        changed=log.changed,
        changes=tuple(log.changes),
        as_reference=as_reference,
        references=engine.counts.references,
        metadata_columns=tuple(engine.counts.meta.items()),
        skipped_columns=engine.counts.skipped_report(),
    )


def _with_speaker(
    stream: Iterator[ImportItem | Rejection],
    speaker: str | None,
    speaker_from: str | None,
    folder: Path | None,
) -> Iterator[ImportItem | Rejection]:
    for entry in stream:
        if isinstance(entry, ImportItem) and entry.speaker is None:
            if speaker is not None:
                entry = replace(entry, speaker=speaker)
            elif speaker_from == "parent":
                relative = entry.lineage.get("source_file")
                original = folder / relative if folder is not None and relative else entry.path
                entry = replace(entry, speaker=original.parent.name or None)
        yield entry


def import_source(
    project: Project,
    source: Path,
    *,
    fmt: str = "auto",
    allowed_roots: Sequence[Path] = (),
    allow_outside: bool = False,
    speaker: str | None = None,
    speaker_from: str | None = None,
    tags: Sequence[str] = (),
    origin: str = "import",
    transcripts: bool = True,
    as_reference: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a folder, manifest, dataset directory or single file into the project.

    Args:
        project: the open project.
        source: what to import; its format is detected unless `fmt` names it.
        fmt: one of FORMATS (`auto` detects).
        allowed_roots: folders that manifest paths may point into, beside the manifest's own
            folder and the project's `audio_roots`.
        allow_outside: accept manifest paths anywhere (the user trusts the manifest).
        speaker: speaker of clips whose source names none.
        speaker_from: `parent` takes a clip's speaker from its file's parent folder name.
        tags: added to every new clip.
        origin: stored on every new clip.
        transcripts: import the source's transcripts (as accepted revisions).
        as_reference: store the transcripts as gold references instead: evaluation only,
            never labels. Clips already stored (same audio span) get theirs stored or
            updated; new clips are imported unlabelled.
        progress: called as progress(done, total) after each item.

    Raises:
        ManifestError: the source is missing, its format unknown, or it cannot be parsed.
    """
    if speaker_from not in (None, "parent"):
        raise ManifestError(f"speaker_from={speaker_from!r} is not supported; use 'parent'")
    source = Path(os.path.realpath(Path(source).expanduser()))
    roots = tuple(
        Path(os.path.realpath(project.root / Path(r).expanduser()))
        for r in (*map(Path, project.config.audio_roots), *allowed_roots)
    )
    resolved, stream = iter_source(source, fmt, SourceContext(roots, allow_outside))
    total = count_items(source, resolved)
    folder = source if resolved == "folder" else None
    items = _with_speaker(stream, speaker, speaker_from, folder)
    return import_items(
        project,
        items,
        origin=origin,
        tags=tags,
        transcripts=transcripts,
        as_reference=as_reference,
        progress=progress,
        total=total,
        source=str(source),
        fmt=resolved,
    )
