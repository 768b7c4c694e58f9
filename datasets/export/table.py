"""Tables: ``<split>.csv`` and ``<split>.parquet``, one row per clip.

Columns: ``id, audio_filepath, offset, duration, text, speaker, language, split``, one column
per clip metadata name of the exported rows (empty where a clip has none) and, with
provenance, ``annotator, revision_source, suggestion_text, model_version, suggestion_wer``.
CSV text cells are escaped against spreadsheet formula injection (a cell starting with
``= + - @``, tab or carriage return, or an apostrophe, gets a leading apostrophe; see
:func:`voxcart.datasets.atomic.csv_safe_cell`); Parquet keeps the exact text. Parquet is
written in row groups as rows stream in.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any

from voxcart.datasets.atomic import csv_safe_cell
from voxcart.datasets.export.rows import PROVENANCE_FIELDS, ExportRow
from voxcart.datasets.export.writer import ExportContext, SplitFiles

BASE_COLUMNS: tuple[str, ...] = (
    "id",
    "audio_filepath",
    "offset",
    "duration",
    "text",
    "speaker",
    "language",
    "split",
)
_FLOAT_COLUMNS = frozenset({"offset", "duration", "suggestion_wer"})
ROW_GROUP_ROWS = 10_000


def table_columns(provenance: bool, meta_columns: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The table's column names (metadata names that repeat a fixed column are left out)."""
    fixed = BASE_COLUMNS + (PROVENANCE_FIELDS if provenance else ())
    meta = tuple(name for name in meta_columns if name not in fixed)
    return BASE_COLUMNS + meta + (PROVENANCE_FIELDS if provenance else ())


def table_record(row: ExportRow, ctx: ExportContext) -> dict[str, Any]:
    """The row as a flat record (cutting its audio first with copy_audio)."""
    audio = ctx.audio(row)
    record: dict[str, Any] = {**row.meta}
    record |= {
        "id": row.uid,
        "audio_filepath": audio.path,
        "offset": round(audio.offset_s, 6),
        "duration": round(audio.duration_s, 6),
        "text": row.text,
        "speaker": row.speaker,
        "language": row.language,
        "split": row.split,
    }
    if ctx.provenance and row.provenance is not None:
        record.update(row.provenance.as_dict())
    return record


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_safe_cell(value)
    return repr(value) if isinstance(value, float) else str(value)


class CsvWriter:
    """Writes ``<split>.csv`` (UTF-8, header row, RFC 4180: CRLF row ends, and any cell holding
    a comma, quote, CR or LF quoted)."""

    def __init__(self, ctx: ExportContext) -> None:
        self._ctx = ctx
        self._columns = table_columns(ctx.provenance, ctx.meta_columns)
        self._writers: dict[str, Any] = {}
        self._files = SplitFiles(ctx.staging, "{split}.csv", header=self._header)

    def _header(self, handle: IO[str]) -> None:
        csv.writer(handle).writerow(self._columns)

    def write(self, row: ExportRow) -> None:
        """Append the row to its split's table."""
        record = table_record(row, self._ctx)
        writer = self._writers.get(row.split)
        if writer is None:
            writer = csv.writer(self._files[row.split])
            self._writers[row.split] = writer
        writer.writerow([_csv_cell(record.get(c)) for c in self._columns])

    def finish(self) -> None:
        """Close the tables."""
        self._files.close()

    def discard(self) -> None:
        """Close the tables after a failure."""
        self._files.close()


class ParquetWriter:
    """Writes ``<split>.parquet`` (pyarrow), one row group per ``ROW_GROUP_ROWS`` rows."""

    def __init__(self, ctx: ExportContext, row_group_rows: int | None = None) -> None:
        import pyarrow as pa

        self._pa = pa
        self._ctx = ctx
        self._columns = table_columns(ctx.provenance, ctx.meta_columns)
        self._schema = pa.schema(
            [(c, pa.float64() if c in _FLOAT_COLUMNS else pa.string()) for c in self._columns]
        )
        self._group = row_group_rows or ROW_GROUP_ROWS
        self._buffers: dict[str, dict[str, list[Any]]] = {}
        self._writers: dict[str, Any] = {}

    def write(self, row: ExportRow) -> None:
        """Buffer the row; a full buffer becomes one row group."""
        record = table_record(row, self._ctx)
        buffer = self._buffers.get(row.split)
        if buffer is None:
            buffer = self._buffers[row.split] = {c: [] for c in self._columns}
        for column in self._columns:
            buffer[column].append(record.get(column))
        if len(buffer["id"]) >= self._group:
            self._flush(row.split)

    def _flush(self, split: str) -> None:
        import pyarrow.parquet as pq

        buffer = self._buffers[split]
        if not buffer["id"]:
            return
        writer = self._writers.get(split)
        if writer is None:
            path: Path = self._ctx.staging / f"{split}.parquet"
            writer = self._writers[split] = pq.ParquetWriter(path, self._schema)
        writer.write_table(self._pa.Table.from_pydict(buffer, schema=self._schema))
        for values in buffer.values():
            values.clear()

    def finish(self) -> None:
        """Write the last row groups and close the files."""
        for split in self._buffers:
            self._flush(split)
        self.discard()

    def discard(self) -> None:
        """Close the files."""
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
