"""NeMo ASR manifests: ``<split>_manifest.jsonl``, one JSON object per clip.

Keys: ``audio_filepath`` (absolute), ``duration``, ``offset``, ``text``, plus ``id``,
``speaker``, ``lang`` and, with provenance, the provenance fields. Text is written exactly
(JSON escapes quotes, newlines and control characters).
"""

from __future__ import annotations

import json
from typing import Any

from voxcart.datasets.export.rows import ExportRow
from voxcart.datasets.export.writer import ExportContext, SplitFiles

MANIFEST_PATTERN = "{split}_manifest.jsonl"


def nemo_record(row: ExportRow, path: str, offset_s: float, duration_s: float) -> dict[str, Any]:
    """The NeMo manifest object of a row whose audio lies at `path`."""
    record: dict[str, Any] = {
        "audio_filepath": path,
        "duration": round(duration_s, 6),
        "offset": round(offset_s, 6),
        "text": row.text,
        "id": row.uid,
        "speaker": row.speaker,
        "lang": row.language,
    }
    if row.provenance is not None:
        record.update(row.provenance.as_dict())
    return record


class NemoWriter:
    """Writes one NeMo manifest per split."""

    def __init__(self, ctx: ExportContext) -> None:
        self._ctx = ctx
        self._files = SplitFiles(ctx.staging, MANIFEST_PATTERN)

    def write(self, row: ExportRow) -> None:
        """Append the row to its split's manifest (cutting its audio first with copy_audio)."""
        audio = self._ctx.audio(row)
        record = nemo_record(row, audio.path, audio.offset_s, audio.duration_s)
        handle = self._files[row.split]
        handle.write(json.dumps(record, ensure_ascii=False))
        handle.write("\n")

    def finish(self) -> None:
        """Close the manifests."""
        self._files.close()

    def discard(self) -> None:
        """Close the manifests after a failure."""
        self._files.close()
