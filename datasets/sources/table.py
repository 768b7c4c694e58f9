"""Tabular manifests: CSV/TSV with a header, NeMo JSON Lines, and Hugging Face audiofolder.

Every reader streams its file row by row. Bytes that are not UTF-8 reject their own row (with
the line number) instead of the whole manifest; a header that cannot be read is a ManifestError.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from voxcart.datasets.atomic import csv_unescape_cell
from voxcart.datasets.errors import ManifestError
from voxcart.datasets.sources.common import (
    PATH_COLUMNS,
    ImportItem,
    Rejection,
    SourceContext,
    record_to_item,
)

HF_METADATA_NAMES = ("metadata.jsonl", "metadata.csv")
HF_SPLIT_NAMES = ("train", "validation", "valid", "dev", "test")
_MAX_FIELD = 1 << 20


def _bad_text(value: str) -> bool:
    # surrogateescape turns undecodable bytes into lone surrogates.
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _lines(path: Path) -> Iterator[str]:
    """Text lines of a file, undecodable bytes kept as surrogates so rows can be rejected alone."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ManifestError(f"{path}: cannot open manifest ({exc.strerror})") from exc
    with handle:
        first = True
        for raw in handle:
            if first and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            first = False
            yield raw.decode("utf-8", errors="surrogateescape")


class _Lines:
    """Numbered physical lines for csv.reader, with push-back.

    A row whose quoted cell runs over several lines is almost always an unclosed quote that
    swallowed the rows after it; those lines are pushed back and parsed again as rows.
    """

    def __init__(self, lines: Iterator[str]) -> None:
        self._source = enumerate(lines, start=1)
        self._pending: list[tuple[int, str]] = []
        self.taken: list[tuple[int, str]] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        entry = self._pending.pop(0) if self._pending else next(self._source)
        self.taken.append(entry)
        return entry[1]

    def start_row(self) -> None:
        self.taken = []

    def push_back(self, entries: list[tuple[int, str]]) -> None:
        self._pending[:0] = entries


def _multiline(row: list[str], lines: _Lines, delimiter: str) -> tuple[str, bool] | None:
    """Why a row with a cell running over several lines is refused, and whether the lines it
    took must be parsed again (an unclosed quote swallowed rows), or None for a normal row."""
    spanning = [cell for cell in row if "\n" in cell or "\r" in cell]
    if not spanning:
        return None
    first, last = lines.taken[0][0], lines.taken[-1][0]
    tail = "".join(cell.split("\n", 1)[-1] for cell in spanning)
    if delimiter in tail or last == first:
        return (
            f"unclosed quote: a quoted cell opened on line {first} runs to line {last}; close "
            "the quote (the lines after it were read again as rows)",
            True,
        )
    return (
        f"a quoted cell spans lines {first}..{last}; transcripts and labels are one line, "
        "join the lines",
        False,
    )


def iter_delimited(
    path: Path,
    ctx: SourceContext,
    delimiter: str,
    source_format: str | None = None,
    lineage: dict[str, Any] | None = None,
) -> Iterator[ImportItem | Rejection]:
    """Stream a CSV (`delimiter=","`) or TSV (`"\\t"`) manifest with a header row.

    Raises:
        ManifestError: the file cannot be opened, its header is not UTF-8 or names no path
            column, or a row is malformed beyond recovery (an unterminated quote).
    """
    kind = "TSV" if delimiter == "\t" else "CSV"
    fmt = source_format or kind.lower()
    csv.field_size_limit(_MAX_FIELD)
    lines = _Lines(_lines(path))
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ManifestError(f"{path}: header is not valid {kind} ({exc})") from exc
    if header is None:
        raise ManifestError(f"{path}: manifest is empty; it needs a header row")
    if any(_bad_text(cell) or "\x00" in cell for cell in header):
        raise ManifestError(
            f"{path}: header is not UTF-8 text (binary data, or another encoding such as "
            "cp1252); re-save it as UTF-8, e.g. `iconv -f cp1252 -t utf-8`"
        )
    if len(lines.taken) > 1:
        raise ManifestError(f"{path}: header row has an unclosed quote; close it")
    columns = [cell.strip().lower() for cell in header]
    if not set(columns) & set(PATH_COLUMNS):
        shown = ", ".join(repr(c[:30]) for c in columns[:12])
        raise ManifestError(
            f"{path}: no audio path column; found {shown}; name one of {', '.join(PATH_COLUMNS)}"
        )
    base = path.parent
    while True:
        lines.start_row()
        try:
            row = next(reader, None)
        except csv.Error as exc:
            number = lines.taken[0][0] if lines.taken else reader.line_num
            yield Rejection(f"{path.name}:{number}", f"malformed {kind} ({exc})", "bad_row")
            lines.push_back(lines.taken[1:])
            continue
        if row is None:
            return
        number = lines.taken[0][0] if lines.taken else reader.line_num
        where = f"{path.name}:{number}"
        multiline = _multiline(row, lines, delimiter)
        if multiline is not None:
            if multiline[1]:
                lines.push_back(lines.taken[1:])
            yield Rejection(where, multiline[0], "bad_row")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if any(_bad_text(cell) for cell in row):
            yield Rejection(
                where,
                "row is not UTF-8 text (another encoding or binary data); "
                "re-save the manifest as UTF-8",
                "bad_row",
            )
            continue
        if len(row) > len(columns):
            yield Rejection(where, f"{len(row)} cells but the header has {len(columns)}", "bad_row")
            continue
        # Cells voxcart escaped against spreadsheet formula injection come back exact.
        cells = (csv_unescape_cell(cell) for cell in row)
        yield record_to_item(
            dict(zip(columns, cells, strict=False)),
            base=base,
            ctx=ctx,
            source_format=fmt,
            where=where,
            lineage=lineage,
        )


def iter_jsonl(
    path: Path,
    ctx: SourceContext,
    source_format: str = "nemo",
    lineage: dict[str, Any] | None = None,
) -> Iterator[ImportItem | Rejection]:
    """Stream a JSON Lines manifest (NeMo: audio_filepath, duration, text, offset, ...).

    Raises:
        ManifestError: the file cannot be opened or is a JSON array rather than JSON Lines.
    """
    base = path.parent
    for number, line in enumerate(_lines(path), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        where = f"{path.name}:{number}"
        if number == 1 and stripped.startswith("["):
            raise ManifestError(
                f"{path}: is a JSON array; NeMo manifests are JSON Lines (one object a line)"
            )
        if _bad_text(stripped):
            yield Rejection(where, "line is not UTF-8 text; re-save it as UTF-8", "bad_row")
            continue
        try:
            record = json.loads(stripped)
        except json.JSONDecodeError as exc:
            yield Rejection(where, f"not valid JSON ({exc.msg})", "bad_row")
            continue
        except RecursionError:
            yield Rejection(where, "JSON nested too deeply; a record is one flat object", "bad_row")
            continue
        if not isinstance(record, dict):
            kind = type(record).__name__
            yield Rejection(where, f"expected a JSON object, got a {kind}", "bad_row")
            continue
        lowered = {str(k).lower(): v for k, v in record.items()}
        yield record_to_item(
            lowered, base=base, ctx=ctx, source_format=source_format, where=where, lineage=lineage
        )


def hf_metadata_files(folder: Path) -> list[tuple[str | None, Path]]:
    """The metadata files of an audiofolder: at its root, or one per split subfolder."""
    found: list[tuple[str | None, Path]] = []
    for name in HF_METADATA_NAMES:
        if (folder / name).is_file():
            return [(None, folder / name)]
    for child in sorted(p for p in folder.iterdir() if p.is_dir()):
        for name in HF_METADATA_NAMES:
            if (child / name).is_file():
                found.append((child.name, child / name))
                break
    return found


def iter_hf(folder: Path, ctx: SourceContext) -> Iterator[ImportItem | Rejection]:
    """Stream a Hugging Face audiofolder (metadata.csv/.jsonl with file_name, text columns).

    Raises:
        ManifestError: no metadata file at the root or in any split subfolder.
    """
    metadata = hf_metadata_files(folder)
    if not metadata:
        raise ManifestError(
            f"{folder}: no {' or '.join(HF_METADATA_NAMES)} at the top or in split folders "
            f"({', '.join(HF_SPLIT_NAMES)})"
        )
    inner = SourceContext(roots=(*ctx.roots, folder), allow_outside=ctx.allow_outside)
    for split, path in metadata:
        lineage = {"hf_split": split} if split else {}
        if path.suffix == ".jsonl":
            yield from iter_jsonl(path, inner, "hf", lineage)
        else:
            yield from iter_delimited(path, inner, ",", "hf", lineage)


def count_lines(path: Path) -> int:
    """Number of newline-terminated lines (a cheap progress total; quoted newlines overcount)."""
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
    return count
