"""Kaldi data directories: ``<split>/`` with wav.scp, segments, text, utt2spk, spk2utt, utt2dur.

Clip metadata is not written: a data directory has no per-utterance file for arbitrary
fields (the datasheet says so and lists the metadata).

Conventions (those of ``utils/validate_data_dir.sh``):

* Utterance ids are ``<speaker>-<clip uid>``, so that sorting by utterance also groups by
  speaker and utt2spk and spk2utt agree. A clip without a speaker is its own speaker.
* Speaker and clip ids are escaped with :func:`voxcart.datasets.text.kaldi_ids.kaldi_id`
  (``"anna lee"`` becomes ``anna=20lee``); voxcart's Kaldi import decodes them again.
* Every file is sorted in C-locale byte order (an external sort, so memory stays flat).
* Kaldi reads 16 kHz mono WAV; a clip whose recording is anything else (FLAC, MP3, stereo,
  another rate, or a path Kaldi would misread) is materialized as a 16 kHz mono WAV cut to the
  clip under ``audio/<split>/`` and becomes its own recording. With copy_audio every clip is.
* Transcripts are one line: runs of whitespace (including newlines) become one space.
* ``utt2lang`` holds each clip's locale; with provenance, ``provenance.jsonl`` holds one
  object per utterance.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from voxcart.datasets.export.rows import ExportRow
from voxcart.datasets.export.writer import AudioRef, ExportContext, SplitFiles
from voxcart.datasets.external_sort import ExternalSorter
from voxcart.datasets.text.kaldi_ids import kaldi_id

SORTED_FILES: tuple[str, ...] = ("wav.scp", "segments", "text", "utt2spk", "utt2dur", "utt2lang")
_UNSAFE_PATH = re.compile(r"\s|\|$|:[0-9]+$|^-")


def utterance_id(row: ExportRow) -> tuple[str, str]:
    """The (utterance id, speaker id) of a row."""
    uid = kaldi_id(row.uid)
    if not row.speaker:
        return uid, uid
    speaker = kaldi_id(row.speaker)
    return f"{speaker}-{uid}", speaker


def _num(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


class _SplitDir:
    """The sorters of one split's files."""

    def __init__(self) -> None:
        self.sorters = {name: ExternalSorter() for name in SORTED_FILES}

    def close(self) -> None:
        for sorter in self.sorters.values():
            sorter.close()


class KaldiWriter:
    """Writes one Kaldi data directory per split."""

    def __init__(self, ctx: ExportContext) -> None:
        self._ctx = ctx
        self._splits: dict[str, _SplitDir] = {}
        self._provenance = SplitFiles(ctx.staging, "{split}/provenance.jsonl")

    def _audio(self, row: ExportRow, utt: str) -> tuple[str, AudioRef]:
        rec = row.recording
        if self._ctx.copy_audio or not rec.is_plain_wav or _UNSAFE_PATH.search(rec.path):
            return utt, self._ctx.materialize(row, f"audio/{row.split}")
        return rec.key, AudioRef(rec.path, row.offset_s, row.duration_s, materialized=False)

    def write(self, row: ExportRow) -> None:
        """Add the row's lines to its split's files."""
        utt, speaker = utterance_id(row)
        recording, audio = self._audio(row, utt)
        split = self._splits.get(row.split)
        if split is None:
            split = self._splits[row.split] = _SplitDir()
        add = split.sorters
        add["wav.scp"].add(f"{recording} {audio.path}")
        end = audio.offset_s + audio.duration_s
        add["segments"].add(f"{utt} {recording} {_num(audio.offset_s)} {_num(end)}")
        words = " ".join(row.text.split())
        add["text"].add(f"{utt} {words}" if words else utt)
        add["utt2spk"].add(f"{utt} {speaker}")
        add["utt2dur"].add(f"{utt} {_num(audio.duration_s)}")
        add["utt2lang"].add(f"{utt} {kaldi_id(row.language)}")
        if row.provenance is not None:
            record = {"utt_id": utt, "id": row.uid, **row.provenance.as_dict()}
            self._provenance[row.split].write(json.dumps(record, ensure_ascii=False) + "\n")

    def finish(self) -> None:
        """Write every file sorted, and spk2utt from the sorted utt2spk."""
        self._provenance.close()
        for name, split in self._splits.items():
            folder = self._ctx.staging / name
            folder.mkdir(parents=True, exist_ok=True)
            for filename, sorter in split.sorters.items():
                _write_lines(folder / filename, sorter.sorted_lines(unique=filename == "wav.scp"))
            _write_spk2utt(folder / "spk2utt", split.sorters["utt2spk"].sorted_lines())
        self.discard()

    def discard(self) -> None:
        """Remove the sort scratch files."""
        self._provenance.close()
        for split in self._splits.values():
            split.close()
        self._splits = {}


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for line in lines:
            handle.write(line)
            handle.write("\n")


def _write_spk2utt(path: Path, utt2spk: Iterable[str]) -> None:
    # Utterance ids start with their speaker id, so sorted utt2spk lists each speaker's
    # utterances contiguously; one speaker's line is held at a time.
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        current: str | None = None
        utts: list[str] = []
        for line in utt2spk:
            utt, speaker = line.split(" ", 1)
            if speaker != current:
                if current is not None:
                    handle.write(f"{current} {' '.join(utts)}\n")
                current, utts = speaker, []
            utts.append(utt)
        if current is not None:
            handle.write(f"{current} {' '.join(utts)}\n")
