"""What every export format writer shares: export folders, clip audio, lazily opened split files.

A writer receives :class:`~voxcart.datasets.export.rows.ExportRow` objects one at a time and
writes them into the staging folder; paths inside manifests name the final folder, which the
staging folder is renamed to once the export is complete.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar, Protocol

from voxcart.datasets.atomic import safe_filename
from voxcart.datasets.errors import AudioError, ExportError
from voxcart.datasets.export.rows import ExportRow


class RowSkippedError(ExportError):
    """One row cannot be exported (its audio cannot be cut); the export goes on without it."""


@dataclass(frozen=True)
class AudioRef:
    """Where a row's audio is, as a manifest names it."""

    path: str
    offset_s: float
    duration_s: float
    materialized: bool


@dataclass(frozen=True)
class ExportContext:
    """Folders and options of one export.

    Attributes:
        staging: the temporary folder being written.
        final: the folder it becomes; manifests refer to paths under it.
        copy_audio: materialize every clip as a 16 kHz mono WAV inside the export.
        provenance: add annotator/suggestion fields.
        meta_columns: the metadata names of the exported rows (the extra columns of tables).
    """

    staging: Path
    final: Path
    copy_audio: bool = False
    provenance: bool = False
    meta_columns: tuple[str, ...] = ()

    def materialize(self, row: ExportRow, folder: str) -> AudioRef:
        """Cut the row's span into ``<folder>/<uid>.wav`` (16 kHz mono PCM_16, offset 0).

        Raises:
            RowSkippedError: the recording cannot be read; the message names file and reason.
        """
        from voxcart.datasets.audio import TARGET_SR, load_audio, write_wav

        name = safe_filename(row.uid, ".wav")
        try:
            audio = load_audio(
                row.recording.path, offset_s=row.offset_s, duration_s=row.duration_s, sr=TARGET_SR
            )
            if audio.size == 0:
                raise AudioError(
                    f"{row.recording.path}: span {row.offset_s:.3f}+{row.duration_s:.3f} s is empty"
                )
            write_wav(self.staging / folder / name, audio, TARGET_SR)
        except AudioError as exc:
            raise RowSkippedError(f"clip {row.uid!r}: cannot cut its audio: {exc}") from exc
        return AudioRef(
            path=str(self.final / folder / name),
            offset_s=0.0,
            duration_s=audio.size / TARGET_SR,
            materialized=True,
        )

    def audio(self, row: ExportRow) -> AudioRef:
        """The row's audio: the source recording span, or with `copy_audio` a WAV under
        ``audio/<split>/``."""
        if self.copy_audio:
            return self.materialize(row, f"audio/{row.split}")
        return AudioRef(row.recording.path, row.offset_s, row.duration_s, materialized=False)


class ManifestWriter(Protocol):
    """A format writer: rows in, files under the staging folder out."""

    def write(self, row: ExportRow) -> None:
        """Write one row (raise RowSkippedError, before writing anything, to leave it out)."""

    def finish(self) -> None:
        """Complete and close every file (called once, after the last row)."""

    def discard(self) -> None:
        """Close every file after a failure (the staging folder is removed anyway)."""


class SplitFiles:
    """One text file per split, opened on first use.

    Args:
        staging: the export's staging folder.
        pattern: relative path with ``{split}``, e.g. ``{split}_manifest.jsonl``.
        header: written first into each new file.
        gzipped: write gzip-compressed text.
    """

    def __init__(
        self,
        staging: Path,
        pattern: str,
        header: Callable[[IO[str]], None] | None = None,
        gzipped: bool = False,
    ) -> None:
        self._staging = staging
        self._pattern = pattern
        self._header = header
        self._gzipped = gzipped
        self._files: dict[str, IO[str]] = {}

    def __getitem__(self, split: str) -> IO[str]:
        handle = self._files.get(split)
        if handle is None:
            path = self._staging / self._pattern.format(split=split)
            path.parent.mkdir(parents=True, exist_ok=True)
            if self._gzipped:
                handle = gzip.open(path, "wt", encoding="utf-8", newline="\n")  # noqa: SIM115
            else:
                handle = path.open("w", encoding="utf-8", newline="")
            self._files[split] = handle
            if self._header is not None:
                self._header(handle)
        return handle

    def close(self) -> None:
        """Close every open file."""
        for handle in self._files.values():
            handle.close()
        self._files = {}


class JsonlSplitWriter:
    """A writer of one JSON Lines file per split (NeMo manifests, Hugging Face metadata).

    A subclass names the file (:attr:`pattern`, with ``{split}``) and builds a row's record
    (:meth:`record`); the clip's metadata (as extra top-level keys, which both formats load
    as they are and `voxcart import` reads back as metadata) and the provenance fields are
    added here, once for every such format.
    """

    pattern: ClassVar[str] = "{split}.jsonl"

    def __init__(self, ctx: ExportContext) -> None:
        self._ctx = ctx
        self._files = SplitFiles(ctx.staging, self.pattern)

    def record(self, row: ExportRow) -> dict[str, Any]:
        """The row's JSON object, without provenance (placing its audio as the format needs)."""
        raise NotImplementedError

    def write(self, row: ExportRow) -> None:
        """Append the row's record, with its provenance, to its split's file."""
        record = self.record(row)
        for name, value in row.meta.items():
            record.setdefault(name, value)
        if row.provenance is not None:
            record.update(row.provenance.as_dict())
        handle = self._files[row.split]
        handle.write(json.dumps(record, ensure_ascii=False))
        handle.write("\n")

    def finish(self) -> None:
        """Close the files."""
        self._files.close()

    def discard(self) -> None:
        """Close the files after a failure (the staging folder is removed anyway)."""
        self._files.close()
