"""How every command prints: tables with a header row, ``--json`` records, and warnings.

Tables are tab-separated (one header line, then one line per row) so that ``cut -f`` and
spreadsheets read them; ``--json`` is the stable form for scripts. Warnings and errors go to
stderr as one line each, ``voxcart: warning: ...`` and ``voxcart: error: ...``.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from voxcart.datasets.errors import VoxcartWarning

WARNING_PREFIX = "voxcart: warning: "
ERROR_PREFIX = "voxcart: error: "


def table_lines(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """A header line and one tab-separated line per row (``None`` cells print as ``-``)."""
    lines = ["\t".join(headers)]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"a row has {len(row)} cells for {len(headers)} columns: {row!r}")
        lines.append("\t".join("-" if cell is None else str(cell) for cell in row))
    return lines


def echo_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Print :func:`table_lines` to stdout."""
    for line in table_lines(headers, rows):
        typer.echo(line)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def to_json(records: Any) -> str:
    """Frozen dataclasses (or a list of them, or plain data) as indented JSON; enums print as
    their values, datetimes in ISO 8601, paths as strings."""
    if is_dataclass(records) and not isinstance(records, type):
        records = asdict(records)
    elif isinstance(records, list | tuple):
        records = [asdict(r) if is_dataclass(r) and not isinstance(r, type) else r for r in records]
    return json.dumps(records, indent=2, ensure_ascii=False, default=_plain)


def echo_json(records: Any) -> None:
    """Print :func:`to_json` to stdout."""
    typer.echo(to_json(records))


def warn(message: str) -> None:
    """Print ``voxcart: warning: MESSAGE`` to stderr (the one warning style of every command)."""
    typer.echo(WARNING_PREFIX + message, err=True)


def show_library_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """A ``warnings.showwarning`` that prints a :class:`VoxcartWarning` in the CLI style and
    leaves other libraries' warnings in Python's format."""
    if issubclass(category, VoxcartWarning):
        print(WARNING_PREFIX + str(message), file=file or sys.stderr)
        return
    target = file or sys.stderr
    target.write(warnings.formatwarning(message, category, filename, lineno, line))
