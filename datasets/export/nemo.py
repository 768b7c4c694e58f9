"""NeMo ASR manifests: ``<split>_manifest.jsonl``, one JSON object per clip.

Keys: ``audio_filepath`` (absolute), ``duration``, ``offset``, ``text``, plus ``id``,
``speaker``, ``lang``, the clip's metadata (one key per name; NeMo ignores keys it does not
use) and, with provenance, the provenance fields. Text is written exactly
(JSON escapes quotes, newlines and control characters).
"""

from __future__ import annotations

from typing import Any

from voxcart.datasets.export.rows import ExportRow
from voxcart.datasets.export.writer import JsonlSplitWriter

MANIFEST_PATTERN = "{split}_manifest.jsonl"


def nemo_record(row: ExportRow, path: str, offset_s: float, duration_s: float) -> dict[str, Any]:
    """The NeMo manifest object of a row whose audio lies at `path` (without provenance)."""
    return {
        "audio_filepath": path,
        "duration": round(duration_s, 6),
        "offset": round(offset_s, 6),
        "text": row.text,
        "id": row.uid,
        "speaker": row.speaker,
        "lang": row.language,
    }


class NemoWriter(JsonlSplitWriter):
    """Writes one NeMo manifest per split."""

    pattern = MANIFEST_PATTERN

    def record(self, row: ExportRow) -> dict[str, Any]:
        """The row's manifest object (cutting its audio first with copy_audio)."""
        audio = self._ctx.audio(row)
        return nemo_record(row, audio.path, audio.offset_s, audio.duration_s)
