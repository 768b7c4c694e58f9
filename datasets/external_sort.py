"""Sorting text lines in bounded memory: sorted runs spilled to temporary files, then merged.

Kaldi wants every data-dir file sorted in C-locale byte order, and exports stream any number
of rows; this keeps memory flat however many lines there are. Python compares strings by code
point, which for UTF-8 text is the same order as `LC_ALL=C sort` compares bytes.
"""

from __future__ import annotations

import contextlib
import heapq
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

DEFAULT_RUN_LINES = 20_000


class ExternalSorter:
    """Collect lines (without newlines), then read them back sorted.

    Args:
        work_dir: folder for the temporary run files (default: the system temp folder);
            they are removed by :meth:`close`.
        run_lines: lines kept in memory before a sorted run is written out.
    """

    def __init__(self, work_dir: Path | None = None, run_lines: int = DEFAULT_RUN_LINES) -> None:
        if run_lines < 1:
            raise ValueError(f"run_lines={run_lines} must be at least 1")
        self._dir = Path(tempfile.mkdtemp(prefix=".sort-", dir=work_dir))
        self._run_lines = run_lines
        self._buffer: list[str] = []
        self._runs: list[Path] = []

    def add(self, line: str) -> None:
        """Add one line; it must not contain a newline."""
        if "\n" in line or "\r" in line:
            raise ValueError(f"line {line[:60]!r} holds a line break; escape it first")
        self._buffer.append(line)
        if len(self._buffer) >= self._run_lines:
            self._spill()

    def _spill(self) -> None:
        if not self._buffer:
            return
        self._buffer.sort()
        run = self._dir / f"run{len(self._runs):05d}.txt"
        with run.open("w", encoding="utf-8", newline="\n") as handle:
            for line in self._buffer:
                handle.write(line)
                handle.write("\n")
        self._runs.append(run)
        self._buffer = []

    def sorted_lines(self, unique: bool = False) -> Iterator[str]:
        """All added lines in C order; with `unique`, repeated identical lines appear once."""
        self._buffer.sort()
        handles: list[IO[str]] = [r.open("r", encoding="utf-8", newline="\n") for r in self._runs]
        try:
            streams: list[Iterator[str]] = [(line[:-1] for line in h) for h in handles]
            streams.append(iter(self._buffer))
            previous: str | None = None
            for line in heapq.merge(*streams):
                if unique and line == previous:
                    continue
                previous = line
                yield line
        finally:
            for handle in handles:
                handle.close()

    def close(self) -> None:
        """Delete the run files."""
        for run in self._runs:
            run.unlink(missing_ok=True)
        self._runs = []
        self._buffer = []
        with contextlib.suppress(OSError):
            self._dir.rmdir()
