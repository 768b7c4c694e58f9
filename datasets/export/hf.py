"""Hugging Face audiofolder: ``<split>/`` folders holding the clips and a ``metadata.jsonl``.

Audio is always materialized (16 kHz mono WAV cut to the clip), since an audiofolder loads the
files it finds beside its metadata; ``file_name`` is relative to the split folder. Load it with
``datasets.load_dataset("audiofolder", data_dir=EXPORT)``; ``dev`` is read as the validation split.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from voxcart.datasets.export.rows import ExportRow
from voxcart.datasets.export.writer import ExportContext, SplitFiles

METADATA_NAME = "metadata.jsonl"


class HfWriter:
    """Writes an audiofolder with one subfolder per split."""

    def __init__(self, ctx: ExportContext) -> None:
        self._ctx = ctx
        self._files = SplitFiles(ctx.staging, "{split}/" + METADATA_NAME)

    def write(self, row: ExportRow) -> None:
        """Cut the clip into its split folder and append its metadata."""
        audio = self._ctx.materialize(row, row.split)
        record: dict[str, Any] = {
            "file_name": Path(audio.path).name,
            "transcription": row.text,
            "id": row.uid,
            "speaker_id": row.speaker,
            "language": row.language,
            "duration": round(audio.duration_s, 6),
        }
        if row.provenance is not None:
            record.update(row.provenance.as_dict())
        handle = self._files[row.split]
        handle.write(json.dumps(record, ensure_ascii=False))
        handle.write("\n")

    def finish(self) -> None:
        """Close the metadata files."""
        self._files.close()

    def discard(self) -> None:
        """Close the metadata files after a failure."""
        self._files.close()
