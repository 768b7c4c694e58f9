"""`export_dataset`: stream the qualifying rows into a format writer, atomically, and record the
result as a dataset version.

The export is built in a temporary sibling folder and renamed into place only when complete;
an existing export folder is never overwritten. Every export is recorded as a
:class:`~voxcart.datasets.store.schema.DatasetVersion` (name, format, options, content hash, row
count, datasheet), and its clips are locked to their split so that `voxcart split` does not
silently move them into another partition later.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voxcart.datasets.atomic import StagedDirectory, validate_component
from voxcart.datasets.errors import ExportError
from voxcart.datasets.export.datasheet import Datasheet, DatasheetBuilder, catalog_terms
from voxcart.datasets.export.hf import HfWriter
from voxcart.datasets.export.kaldi import KaldiWriter
from voxcart.datasets.export.lhotse import LhotseWriter
from voxcart.datasets.export.nemo import NemoWriter
from voxcart.datasets.export.rows import (
    DEFAULT_STATUSES,
    ExportRow,
    RowFilter,
    TextMode,
    count_rows,
    iter_rows,
    meta_names,
    require_splits,
)
from voxcart.datasets.export.table import CsvWriter, ParquetWriter
from voxcart.datasets.export.writer import ExportContext, ManifestWriter, RowSkippedError
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip, DatasetVersion, RevisionStatus

WRITERS: dict[str, Callable[[ExportContext], ManifestWriter]] = {
    "nemo": NemoWriter,
    "hf": HfWriter,
    "kaldi": KaldiWriter,
    "lhotse": LhotseWriter,
    "csv": CsvWriter,
    "parquet": ParquetWriter,
}
FORMATS: tuple[str, ...] = tuple(WRITERS)
TABLE_FORMATS: frozenset[str] = frozenset({"csv", "parquet"})
"""Formats whose header names every metadata column before the first row."""
ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(rows_done, rows_total)``."""
_PROGRESS_EVERY = 250
_LOCK_BATCH = 5000


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote.

    Attributes:
        dataset_version_id: id of the recorded DatasetVersion.
        name: the version name (also the export folder's name).
        path: the export folder.
        format: one of :data:`FORMATS`.
        rows: rows per split.
        hours: total duration of the exported clips.
        content_hash: sha256 over the canonical JSON of every row in clip order; independent
            of format, folder and copied audio, so equal hashes mean equal data.
        datasheet_path: the datasheet.json in the export folder.
        skipped: clips left out because their audio could not be cut, with the reason.
        reviewed: exported clips whose transcript a reviewer approved or edited.
    """

    dataset_version_id: int
    name: str
    path: Path
    format: str
    rows: dict[str, int]
    hours: float
    content_hash: str
    datasheet_path: Path
    skipped: tuple[str, ...] = ()
    reviewed: int = 0

    @property
    def total_rows(self) -> int:
        """Rows over all splits."""
        return sum(self.rows.values())


def _statuses(values: Sequence[RevisionStatus | str]) -> tuple[RevisionStatus, ...]:
    out: list[RevisionStatus] = []
    for value in values:
        try:
            out.append(RevisionStatus(value))
        except ValueError as exc:
            allowed = ", ".join(s.value for s in RevisionStatus)
            raise ExportError(f"status {value!r} is not a revision status; use {allowed}") from exc
    return tuple(out)


def _auto_name(session: Session, fmt: str, out_dir: Path) -> str:
    number = (session.scalar(select(func.count(DatasetVersion.id))) or 0) + 1
    while True:
        name = f"v{number}-{fmt}"
        taken = session.scalar(select(DatasetVersion.id).where(DatasetVersion.name == name))
        if taken is None and not (out_dir / name).exists():
            return name
        number += 1


def _row_json(row: ExportRow) -> bytes:
    text = json.dumps(row.canonical(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"


@dataclass
class _Outcome:
    rows: Counter[str]
    seconds: float
    content_hash: str
    clip_ids: array[int]
    skipped: list[str]
    sheet: DatasheetBuilder


def _write_rows(
    session: Session,
    flt: RowFilter,
    writer: ManifestWriter,
    builder: DatasheetBuilder,
    *,
    provenance: bool,
    total: int,
    progress: ProgressCallback | None,
) -> _Outcome:
    digest = hashlib.sha256()
    rows: Counter[str] = Counter()
    seconds = 0.0
    ids: array[int] = array("q")  # 8 bytes a row: what the split lock needs, nothing more
    skipped: list[str] = []
    done = 0
    try:
        for row in iter_rows(session, flt, provenance=provenance):
            done += 1
            try:
                writer.write(row)
            except RowSkippedError as exc:
                skipped.append(str(exc))
                continue
            digest.update(_row_json(row))
            builder.add(row)
            rows[row.split] += 1
            seconds += row.duration_s
            ids.append(row.clip_id)
            if progress is not None and done % _PROGRESS_EVERY == 0:
                progress(done, total)
        writer.finish()
    except BaseException:
        writer.discard()
        raise
    if progress is not None:
        progress(done, total)
    return _Outcome(rows, seconds, digest.hexdigest(), ids, skipped, builder)


def _record(
    session: Session,
    *,
    name: str,
    fmt: str,
    path: Path,
    outcome: _Outcome,
    params: dict[str, Any],
    sheet: Datasheet,
) -> int:
    version = DatasetVersion(
        name=name,
        format=fmt,
        content_hash=outcome.content_hash,
        path=str(path),
        row_count=sum(outcome.rows.values()),
        params=params,
        datasheet=sheet.to_dict(),
    )
    session.add(version)
    session.flush()
    clips = cast(Table, Clip.__table__)
    lock = clips.update().where(clips.c.id == bindparam("cid")).values(split_locked=True)
    # A derived clip follows its parent's split, so the parent must not move either.
    lock_parent = (
        clips.update()
        .where(
            clips.c.id
            == select(clips.c.parent_id).where(clips.c.id == bindparam("cid")).scalar_subquery()
        )
        .values(split_locked=True)
    )
    ids = outcome.clip_ids
    connection = session.connection()
    for start in range(0, len(ids), _LOCK_BATCH):
        batch = [{"cid": cid} for cid in ids[start : start + _LOCK_BATCH]]
        connection.execute(lock, batch)
        connection.execute(lock_parent, batch)
    return version.id


@dataclass(frozen=True)
class ExportOptions:
    """What to export and how: the options `voxcart export`, the app's export page and
    :func:`export_dataset` share.

    Attributes:
        text: write ``normalized`` (spoken form) or ``verbatim`` transcripts.
        statuses: statuses the newest revision may have (default accepted and corrected).
        include_pseudo: also export clips whose newest revision is a model pseudo-label.
        copy_audio: cut every clip into a 16 kHz mono WAV inside the export (``hf`` always
            does; ``kaldi`` does for recordings that are not 16 kHz mono WAV).
        provenance: add annotator, revision source, suggestion, model and suggestion WER.
        splits: export only these splits; None exports all and requires every clip to have one.
        name: version name (default ``v<N>-<fmt>``); must be new.
    """

    text: TextMode = "normalized"
    statuses: Sequence[RevisionStatus | str] = DEFAULT_STATUSES
    include_pseudo: bool = False
    copy_audio: bool = False
    provenance: bool = False
    splits: Sequence[str] | None = None
    name: str | None = None

    def row_filter(self) -> RowFilter:
        """The rows these options select.

        Raises:
            ExportError: an unknown status or text mode, or an empty list of splits.
        """
        return RowFilter(
            text=self.text,
            statuses=_statuses(self.statuses),
            include_pseudo=self.include_pseudo,
            splits=tuple(self.splits) if self.splits is not None else None,
        )


def export_dataset(
    project: Project,
    out_dir: Path,
    fmt: str,
    options: ExportOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> ExportResult:
    """Export the project's transcribed clips as a versioned training dataset.

    Args:
        project: the open project.
        out_dir: parent folder; the export becomes ``out_dir/<name>``.
        fmt: ``nemo``, ``hf``, ``kaldi``, ``lhotse``, ``csv`` or ``parquet``.
        options: what to export (default: :class:`ExportOptions`' defaults).
        progress: called with (rows done, rows total) while rows stream.

    Raises:
        ExportError: unknown format or option, a taken name or folder, clips without a split,
            or nothing to export. Nothing is written or recorded then.
    """
    opts = options if options is not None else ExportOptions()
    if fmt not in WRITERS:
        raise ExportError(f"format {fmt!r} is not supported; use one of {', '.join(FORMATS)}")
    flt = opts.row_filter()
    name, provenance, copy_audio = opts.name, opts.provenance, opts.copy_audio
    if name is not None:
        validate_component(name, "export name")
    out_dir = Path(out_dir).expanduser().resolve()
    params: dict[str, Any] = {
        "format": fmt,
        "text": opts.text,
        "statuses": [s.value for s in flt.statuses],
        "include_pseudo": opts.include_pseudo,
        "copy_audio": copy_audio,
        "provenance": provenance,
        "splits": list(flt.splits) if flt.splits is not None else None,
    }
    with project.session() as session:
        count = count_rows(session, flt)
        require_splits(count, flt)
        if count.total == 0:
            raise ExportError(
                f"no clips to export with statuses {params['statuses']}"
                + ("" if opts.include_pseudo else " and human transcripts")
                + (f" in splits {params['splits']}" if flt.splits else "")
                + "; label some clips first, or widen --status / --include-pseudo / --split"
            )
        if name is None:
            name = _auto_name(session, fmt, out_dir)
        elif session.scalar(select(DatasetVersion.id).where(DatasetVersion.name == name)):
            raise ExportError(f"dataset version {name!r} already exists; choose another --name")
        terms = catalog_terms(session)
        meta_columns = meta_names(session, flt) if fmt in TABLE_FORMATS else ()
    final = out_dir / name
    with StagedDirectory(final) as stage:
        ctx = ExportContext(
            stage.path,
            final,
            copy_audio=copy_audio,
            provenance=provenance,
            meta_columns=meta_columns,
        )
        with project.session() as session:
            outcome = _write_rows(
                session,
                flt,
                WRITERS[fmt](ctx),
                DatasheetBuilder(terms),
                provenance=provenance,
                total=count.total,
                progress=progress,
            )
        if not outcome.rows:
            raise ExportError(
                f"none of the {count.total} clip(s) could be exported; first reason: "
                f"{outcome.skipped[0] if outcome.skipped else 'unknown'}"
            )
        sheet = outcome.sheet.build(
            name=name,
            fmt=fmt,
            content_hash=outcome.content_hash,
            params=params,
            skipped=outcome.skipped,
        )
        sheet.write(stage.path)
        try:
            with project.session() as session:
                version_id = _record(
                    session,
                    name=name,
                    fmt=fmt,
                    path=final,
                    outcome=outcome,
                    params=params,
                    sheet=sheet,
                )
                stage.publish()
        except IntegrityError as exc:
            if stage.published:
                shutil.rmtree(final, ignore_errors=True)
            raise ExportError(
                f"dataset version {name!r} was recorded by a concurrent export; choose another "
                "--name"
            ) from exc
        except BaseException:
            # The version was not recorded: a published folder must not outlive it.
            if stage.published:
                shutil.rmtree(final, ignore_errors=True)
            raise
    return ExportResult(
        dataset_version_id=version_id,
        name=name,
        path=final,
        format=fmt,
        rows=dict(outcome.rows),
        hours=round(outcome.seconds / 3600, 6),
        content_hash=outcome.content_hash,
        datasheet_path=final / "datasheet.json",
        skipped=tuple(outcome.skipped),
        reviewed=sheet.reviewed,
    )
