"""Lhotse manifests: ``<split>_recordings.jsonl.gz`` and ``<split>_supervisions.jsonl.gz``.

Recordings follow lhotse's ``Recording`` schema (id, sources, sampling_rate, num_samples,
duration, channel_ids), supervisions its ``SupervisionSegment`` (id, recording_id, start,
duration, channel, text, language, speaker, custom: the clip's metadata and, with provenance,
the provenance fields). Recordings carry no metadata: one recording may hold several clips
with different values. Load them with
``CutSet.from_manifests(recordings=load_manifest(...), supervisions=load_manifest(...))``.
Recording lines go through an external sort so that each recording is listed once per split
without holding the set of recordings in memory.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from voxcart.datasets.audio import TARGET_SR
from voxcart.datasets.export.rows import ExportRow
from voxcart.datasets.export.writer import ExportContext, SplitFiles
from voxcart.datasets.external_sort import ExternalSorter

RECORDINGS_PATTERN = "{split}_recordings.jsonl.gz"
SUPERVISIONS_PATTERN = "{split}_supervisions.jsonl.gz"


def _recording(row: ExportRow, ctx: ExportContext) -> tuple[dict[str, Any], float, float]:
    """The lhotse recording of a row, and the clip's start and duration in it."""
    if ctx.copy_audio:
        audio = ctx.materialize(row, f"audio/{row.split}")
        frames = round(audio.duration_s * TARGET_SR)
        record = {
            "id": row.uid,
            "sources": [{"type": "file", "channels": [0], "source": audio.path}],
            "sampling_rate": TARGET_SR,
            "num_samples": frames,
            "duration": frames / TARGET_SR,
            "channel_ids": [0],
        }
        return record, 0.0, frames / TARGET_SR
    rec = row.recording
    channels = list(range(rec.channels))
    record = {
        "id": rec.key,
        "sources": [{"type": "file", "channels": channels, "source": rec.path}],
        "sampling_rate": rec.sample_rate,
        "num_samples": rec.num_frames,
        "duration": rec.num_frames / rec.sample_rate,
        "channel_ids": channels,
    }
    return record, row.offset_s, row.duration_s


class LhotseWriter:
    """Writes one recordings and one supervisions manifest per split."""

    def __init__(self, ctx: ExportContext) -> None:
        self._ctx = ctx
        self._supervisions = SplitFiles(ctx.staging, SUPERVISIONS_PATTERN, gzipped=True)
        self._recordings: dict[str, ExternalSorter] = {}

    def write(self, row: ExportRow) -> None:
        """Add the row's supervision, and its recording unless the split has it already."""
        recording, start, duration = _recording(row, self._ctx)
        supervision: dict[str, Any] = {
            "id": row.uid,
            "recording_id": recording["id"],
            "start": round(start, 6),
            "duration": round(duration, 6),
            "channel": 0 if len(recording["channel_ids"]) == 1 else recording["channel_ids"],
            "text": row.text,
            "language": row.language,
            "speaker": row.speaker,
        }
        custom: dict[str, Any] = dict(row.meta)
        if row.provenance is not None:
            custom.update(row.provenance.as_dict())
        if custom:
            supervision["custom"] = custom
        sorter = self._recordings.get(row.split)
        if sorter is None:
            sorter = self._recordings[row.split] = ExternalSorter()
        sorter.add(json.dumps(recording, ensure_ascii=False, sort_keys=False))
        self._supervisions[row.split].write(json.dumps(supervision, ensure_ascii=False) + "\n")

    def finish(self) -> None:
        """Write each split's recordings once each, sorted by id."""
        self._supervisions.close()
        for split, sorter in self._recordings.items():
            path = self._ctx.staging / RECORDINGS_PATTERN.format(split=split)
            with gzip.open(path, "wt", encoding="utf-8", newline="\n") as handle:
                for line in sorter.sorted_lines(unique=True):
                    handle.write(line)
                    handle.write("\n")
        self.discard()

    def discard(self) -> None:
        """Close files and remove the sort scratch files."""
        self._supervisions.close()
        for sorter in self._recordings.values():
            sorter.close()
        self._recordings = {}
