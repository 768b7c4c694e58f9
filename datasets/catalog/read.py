"""Reading a product catalog file (CSV, TSV or JSONL) into validated product records.

Pure: no database. Every row either becomes a :class:`ProductRecord` or a :class:`RejectedRow`
with its line number and the reason; only a file that cannot be read at all (unknown encoding,
no `title` column) raises. Text is kept as text: HTML and spreadsheet formulas are stored
verbatim, never interpreted.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voxcart.datasets.atomic import csv_unescape_cell
from voxcart.datasets.errors import CatalogError
from voxcart.datasets.text.clean import clean_text
from voxcart.datasets.text.normalize import normalize

CORE_FIELDS = ("title", "brand", "category", "price", "sku")
MAX_SKU = 128
MAX_BRAND = 128
MAX_CATEGORY = 128
MAX_FILE_BYTES = 512 * 1024**2
_PRICE_JUNK = re.compile(r"[\s$€£¥₹,]|\b(?:USD|EUR|GBP|usd|eur|gbp)\b")
_CSV_FIELD_LIMIT = 10 * 1024**2


@dataclass(frozen=True)
class ProductRecord:
    """One valid catalog row.

    Attributes:
        line: line number in the file (1-based; for CSV the header is line 1).
        sku: the row's sku, or one derived from normalized title and brand (``auto-...``).
        title: listing title as written.
        brand: brand as written ("" when absent).
        category: category as written ("" when absent).
        price: price, or None when absent.
        attributes: every other column or key, plus the members of an `attributes` object.
    """

    line: int
    sku: str
    title: str
    brand: str
    category: str
    price: float | None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RejectedRow:
    """A row that was skipped, and why."""

    line: int
    reason: str


@dataclass(frozen=True)
class ParsedCatalog:
    """What a catalog file holds: valid records, rejected rows, and how it was read."""

    records: tuple[ProductRecord, ...]
    rejected: tuple[RejectedRow, ...]
    content_hash: str
    encoding: str
    warnings: tuple[str, ...]


def derive_sku(title: str, brand: str) -> str:
    """A stable sku for a row that has none: a hash of its normalized brand and title."""
    key = f"{normalize(brand)}|{normalize(title)}".encode()
    return "auto-" + hashlib.sha256(key).hexdigest()[:16]


def _decode(raw: bytes, path: Path, warnings: list[str]) -> tuple[str, str]:
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise CatalogError(
                f"catalog {path} is neither UTF-8 (byte 0x{raw[utf8_error.start]:02x} at offset "
                f"{utf8_error.start}) nor cp1252 (byte 0x{raw[exc.start]:02x} at offset "
                f"{exc.start}); re-save it as UTF-8"
            ) from exc
        warnings.append(
            f"{path.name} is not valid UTF-8 (byte 0x{raw[utf8_error.start]:02x} at offset "
            f"{utf8_error.start}); read it as cp1252 (Windows-1252) — check accented text"
        )
        return text, "cp1252"


def _key(name: object) -> str:
    return re.sub(r"\s+", "_", str(name).strip().lower())


def _text(value: object) -> str:
    if value is None:
        return ""
    # PostgreSQL text cannot hold NUL, and control characters (ESC, BEL) or line breaks would
    # reach the LM corpus and exports; everything else is kept exactly.
    return clean_text(str(value)).text.strip()


def _finite(value: Any, name: str) -> None:
    """Refuse NaN/Infinity anywhere in a JSON value: it cannot be stored as JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} is {value!r}; JSON cannot hold NaN or Infinity")
    if isinstance(value, dict):
        for key, inner in value.items():
            _finite(inner, f"{name}.{key}")
    elif isinstance(value, list):
        for inner in value:
            _finite(inner, name)


def _price(value: object) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"price {value!r} is not a number")
    if isinstance(value, int | float):
        number = float(value)
    else:
        cleaned = _PRICE_JUNK.sub("", str(value))
        if not cleaned:
            return None
        try:
            number = float(cleaned)
        except ValueError:
            raise ValueError(f"price {str(value)[:40]!r} is not a number (e.g. 49.99)") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"price {value!r} must be a finite number >= 0")
    return number


def _record(line: int, row: Mapping[str, Any]) -> ProductRecord:
    """Validate one row (keys already lower-case); raises ValueError with the reason."""
    if isinstance(row.get("title"), dict | list):
        raise ValueError(f"title is a JSON {type(row['title']).__name__}, not text")
    title = _text(row.get("title"))
    if not title:
        raise ValueError("no title (the `title` column is empty)")
    brand = _text(row.get("brand"))
    category = _text(row.get("category"))
    for name, value, limit in (("brand", brand, MAX_BRAND), ("category", category, MAX_CATEGORY)):
        if len(value) > limit:
            raise ValueError(f"{name} is {len(value)} characters long; at most {limit} allowed")
    sku = _text(row.get("sku")) or derive_sku(title, brand)
    if len(sku) > MAX_SKU:
        raise ValueError(f"sku is {len(sku)} characters long; at most {MAX_SKU} allowed")
    attributes: dict[str, Any] = {}
    nested = row.get("attributes")
    if isinstance(nested, str) and nested.strip().startswith("{"):
        try:
            nested = json.loads(nested)
        except json.JSONDecodeError as exc:
            raise ValueError(f"attributes is not a JSON object: {exc.msg}") from exc
    if isinstance(nested, dict):
        attributes.update({_key(k): v for k, v in nested.items()})
    elif nested not in (None, ""):
        attributes["attributes"] = nested
    for key, value in row.items():
        if key in CORE_FIELDS or key == "attributes" or value is None or value == "":
            continue
        attributes[key] = _text(value) if isinstance(value, str) else value
    _finite(attributes, "attributes")
    return ProductRecord(line, sku, title, brand, category, _price(row.get("price")), attributes)


def _csv_rows(text: str, delimiter: str, path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line, row) for each CSV row, or (line, reason) for a row that is malformed."""
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [_key(csv_unescape_cell(h)) for h in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        raise CatalogError(f"catalog {path}: cannot read the header row: {exc}") from exc
    if "title" not in header:
        raise CatalogError(
            f"catalog {path} has no `title` column (columns: {', '.join(header)[:200]}); "
            "add one holding each product's name"
        )
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, f"malformed CSV: {exc}"
            if reader.line_num < line:  # the reader could not move on: stop, do not spin
                return
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            yield line, f"row has {len(cells)} fields but the header has {len(header)}"
            continue
        yield line, {k: csv_unescape_cell(v) for k, v in zip(header, cells, strict=False)}


def _jsonl_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"not valid JSON: {exc.msg} (column {exc.colno})"
            continue
        except RecursionError:
            yield number, "JSON nested too deeply; a product is one flat object"
            continue
        if not isinstance(value, dict):
            yield number, f"a JSON {type(value).__name__}, not an object with a `title` key"
            continue
        yield number, {_key(k): v for k, v in value.items()}


def _format(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    if suffix == ".tsv":
        return "tsv"
    if suffix == ".csv":
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def read_catalog(path: Path) -> ParsedCatalog:
    """Read and validate a catalog file; bad rows are collected, not fatal.

    A sku that repeats within the file keeps its first row; later ones are rejected.

    Raises:
        CatalogError: the file is missing, too large, in an unknown encoding, or (CSV) has no
            `title` column.
    """
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CatalogError(
                f"catalog {path} is {size} bytes; at most {MAX_FILE_BYTES} are read (split it)"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc.strerror or exc}") from exc
    warnings: list[str] = []
    text, encoding = _decode(raw, path, warnings)
    fmt = _format(path, text)
    rows = (
        _jsonl_rows(text)
        if fmt == "jsonl"
        else _csv_rows(text, "\t" if fmt == "tsv" else ",", path)
    )
    records: list[ProductRecord] = []
    rejected: list[RejectedRow] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        if isinstance(row, str):
            rejected.append(RejectedRow(line, row))
            continue
        try:
            record = _record(line, row)
        except ValueError as exc:
            rejected.append(RejectedRow(line, str(exc)))
            continue
        if record.sku in first_line:
            rejected.append(
                RejectedRow(
                    line, f"duplicate sku {record.sku!r} (first on line {first_line[record.sku]})"
                )
            )
            continue
        first_line[record.sku] = line
        records.append(record)
    return ParsedCatalog(
        records=tuple(records),
        rejected=tuple(rejected),
        content_hash=hashlib.sha256(raw).hexdigest(),
        encoding=encoding,
        warnings=tuple(warnings),
    )
