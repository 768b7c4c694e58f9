"""Hugging Face audiofolder: ``<split>/`` folders holding the clips and a ``metadata.jsonl``.

Audio is always materialized (16 kHz mono WAV cut to the clip), since an audiofolder loads the
files it finds beside its metadata; ``file_name`` is relative to the split folder. Load it with
``datasets.load_dataset("audiofolder", data_dir=EXPORT)``; ``dev`` is read as the validation split.
The clip's metadata are extra keys of its metadata object, which load as dataset columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from voxcart.datasets.export.rows import ExportRow
from voxcart.datasets.export.writer import JsonlSplitWriter

METADATA_NAME = "metadata.jsonl"


class HfWriter(JsonlSplitWriter):
    """Writes an audiofolder with one subfolder per split."""

    pattern = "{split}/" + METADATA_NAME

    def record(self, row: ExportRow) -> dict[str, Any]:
        """Cut the clip into its split folder; its metadata object."""
        audio = self._ctx.materialize(row, row.split)
        return {
            "file_name": Path(audio.path).name,
            "transcription": row.text,
            "id": row.uid,
            "speaker_id": row.speaker,
            "language": row.language,
            "duration": round(audio.duration_s, 6),
        }
