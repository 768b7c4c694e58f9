"""The one failure log of a batch job: every item that failed, one JSON object a line.

A batch (an import, a suggest run) reports a bad item and goes on; the log keeps all of them in
``<project>/reports/<name>-<UTC time>.jsonl`` (created on the first failure, so a clean run
leaves no file) and the first few in memory for the summary.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

T = TypeVar("T")


class FailureLog(Generic[T]):
    """Writes each failure to a JSONL report and keeps the first `keep` of them.

    Args:
        folder: where the report goes (created on the first failure).
        name: the report's name before its time stamp (``import``, ``suggest-<model>``).
        to_record: a failure as the JSON object of its line.
        keep: how many failures :attr:`kept` holds.

    Attributes:
        path: the report, None until the first failure.
        kept: the first `keep` failures.
        count: failures so far.
    """

    def __init__(
        self, folder: Path, name: str, to_record: Callable[[T], Mapping[str, Any]], keep: int
    ) -> None:
        self.folder = folder
        self.name = name
        self.path: Path | None = None
        self.kept: list[T] = []
        self.count = 0
        self._to_record = to_record
        self._keep = keep
        self._handle: IO[str] | None = None

    def add(self, failure: T) -> None:
        """Log one failure (flushed at once, so a crash keeps what was logged)."""
        self.count += 1
        if len(self.kept) < self._keep:
            self.kept.append(failure)
        self.write(failure)

    def write(self, item: T) -> None:
        """Write one line to the report without counting it as a failure (a change, a note)."""
        if self._handle is None:
            # Owner-only: a report names the corpus's files and quotes its transcripts.
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
            self.path = self.folder / f"{self.name}-{stamp}.jsonl"
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self._handle = os.fdopen(fd, "w", encoding="utf-8")
        self._handle.write(json.dumps(dict(self._to_record(item)), ensure_ascii=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        """Close the report (a later failure opens a new one)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
