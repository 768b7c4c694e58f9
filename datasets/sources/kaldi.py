"""Kaldi data directories: wav.scp, text, utt2spk and optional segments.

`text` and `utt2spk` are read alongside the utterance list as sorted streams (Kaldi keeps every
file sorted by key), so memory does not grow with the number of utterances; an unsorted file
falls back to an in-memory table. Only `wav.scp` is held in memory when `segments` is present.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

from voxcart.datasets.errors import ManifestError, UnsafePathError
from voxcart.datasets.sources.common import (
    MAX_SECONDS,
    ImportItem,
    Rejection,
    SourceContext,
    label,
    transcript_of,
)
from voxcart.datasets.sources.paths import resolve_safe
from voxcart.datasets.text.kaldi_ids import kaldi_unescape

# Pipes that only decode one file are read directly; any other command is refused.
_SOX_PIPE = re.compile(r"^sox\s+(?P<path>\S+)\s+-t\s+wav\s+-\s*\|$")
_FLAC_PIPE = re.compile(r"^flac\s+(?:-c\s+-d\s+-s|-dcs|-d\s+-c\s+-s|-cds)\s+(?P<path>\S+)\s*\|$")


def _split_line(line: str) -> tuple[str, str] | None:
    parts = line.strip().split(maxsplit=1)
    if not parts:
        return None
    return parts[0], parts[1] if len(parts) > 1 else ""


def _undecodable(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        handle = path.open("r", encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise ManifestError(f"{path}: cannot open ({exc.strerror})") from exc
    with handle:
        yield from enumerate(handle, start=1)


class SortedTable:
    """Key lookups in a Kaldi `key value` file, read as a stream when queries come in order."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stream = self._entries()
        self._current = next(self._stream, None)
        self._last_key = ""
        self._table: dict[str, str] | None = None

    def _entries(self) -> Iterator[tuple[str, str]]:
        for _number, line in _lines(self._path):
            parsed = _split_line(line)
            if parsed is not None:
                yield parsed

    def _load(self) -> dict[str, str]:
        table = dict(self._entries())
        self._table = table
        return table

    def get(self, key: str) -> str | None:
        """The value for `key`, or None when the file has no such key."""
        if self._table is not None:
            return self._table.get(key)
        if key < self._last_key:
            return self._load().get(key)
        self._last_key = key
        previous = ""
        while self._current is not None and self._current[0] < key:
            previous = self._current[0]
            self._current = next(self._stream, None)
            if self._current is not None and self._current[0] < previous:
                return self._load().get(key)
        if self._current is not None and self._current[0] == key:
            return self._current[1]
        return None


def scp_path(value: str, base: Path, ctx: SourceContext) -> Path:
    """Resolve a wav.scp entry: a plain path, or a simple `sox`/`flac` decode pipe of one file.

    Raises:
        ManifestError: the entry is another command, an archive offset, or empty.
        UnsafePathError: the path lies outside the allowed folders.
    """
    text = value.strip()
    if text.endswith("|"):
        match = _SOX_PIPE.match(text) or _FLAC_PIPE.match(text)
        if match is None:
            raise ManifestError(
                f"wav.scp entry {text[:80]!r} is a command pipe; voxcart reads only plain paths "
                "and `sox FILE -t wav - |` / `flac -c -d -s FILE |`: run the command to write "
                "the audio and list that file instead"
            )
        text = shlex.split(match.group("path"))[0]
    elif re.search(r"\.ark:\d+$", text):
        raise ManifestError(
            f"wav.scp entry {text[:80]!r} points into a Kaldi archive; extract it to audio files"
        )
    return resolve_safe(text, base, ctx.roots, ctx.allow_outside)


def iter_kaldi(folder: Path, ctx: SourceContext) -> Iterator[ImportItem | Rejection]:
    """Stream the utterances of a Kaldi data dir (with segments when `segments` exists).

    Raises:
        ManifestError: the folder has no wav.scp.
    """
    scp = folder / "wav.scp"
    if not scp.is_file():
        raise ManifestError(f"{folder}: not a Kaldi data dir (no wav.scp)")
    text = SortedTable(folder / "text") if (folder / "text").is_file() else None
    spk = SortedTable(folder / "utt2spk") if (folder / "utt2spk").is_file() else None
    segments = folder / "segments"
    if segments.is_file():
        yield from _segment_items(folder, segments, ctx, text, spk)
        return
    for number, line in _lines(scp):
        parsed = _split_line(line)
        if parsed is None:
            continue
        utt, value = parsed
        where = f"wav.scp:{number}"
        try:
            if _undecodable(line):
                raise ManifestError("line is not UTF-8 text; re-save wav.scp as UTF-8")
            path = scp_path(value, folder, ctx)
            yield _item(utt, path, 0.0, None, text, spk, where)
        except ManifestError as exc:
            code = "unsafe_path" if isinstance(exc, UnsafePathError) else "bad_row"
            yield Rejection(where, f"{utt[:60]!r}: {exc}", code)


def _segment_items(
    folder: Path,
    segments: Path,
    ctx: SourceContext,
    text: SortedTable | None,
    spk: SortedTable | None,
) -> Iterator[ImportItem | Rejection]:
    recordings: dict[str, str] = {}
    for _number, line in _lines(folder / "wav.scp"):
        parsed = _split_line(line)
        if parsed is not None:
            recordings[parsed[0]] = parsed[1]
    for number, line in _lines(segments):
        fields = line.split()
        if not fields:
            continue
        where = f"segments:{number}"
        if len(fields) != 4:
            yield Rejection(
                where,
                f"{where}: expected `utt rec start end`, got {line.strip()[:80]!r}",
                "bad_row",
            )
            continue
        utt, rec, start_text, end_text = fields
        try:
            start, end = float(start_text), float(end_text)
        except ValueError:
            yield Rejection(
                where, f"{utt}: start/end {start_text!r} {end_text!r} are not numbers", "bad_row"
            )
            continue
        if not (math.isfinite(start) and math.isfinite(end)) or max(start, end) > MAX_SECONDS:
            yield Rejection(
                where,
                f"{utt}: start/end {start_text!r} {end_text!r} must be finite seconds under "
                f"{MAX_SECONDS:.0f}",
                "bad_row",
            )
            continue
        if rec not in recordings:
            yield Rejection(where, f"{utt}: recording {rec!r} is not in wav.scp", "bad_row")
            continue
        if start < 0 or (end != -1 and end <= start):
            yield Rejection(where, f"{utt}: segment {start}..{end} is empty or negative", "bad_row")
            continue
        try:
            if _undecodable(line):
                raise ManifestError("line is not UTF-8 text; re-save segments as UTF-8")
            path = scp_path(recordings[rec], folder, ctx)
            duration = None if end == -1 else end - start
            yield _item(utt, path, start, duration, text, spk, where, recording=rec)
        except ManifestError as exc:
            code = "unsafe_path" if isinstance(exc, UnsafePathError) else "bad_row"
            yield Rejection(where, f"{utt[:60]!r}: {exc}", code)


def _item(
    utt: str,
    path: Path,
    offset: float,
    duration: float | None,
    text: SortedTable | None,
    spk: SortedTable | None,
    where: str,
    recording: str | None = None,
) -> ImportItem:
    """The item of one utterance.

    Raises:
        ManifestError: its id, speaker or transcript line is unusable (not UTF-8, control
            characters in a label, a label too long).
    """
    lineage: dict[str, str] = {"manifest": where, "kaldi_utt": utt}
    if recording is not None:
        lineage["kaldi_recording"] = recording
    raw_text = text.get(utt) if text is not None else None
    raw_speaker = spk.get(utt) if spk is not None else None
    for name, value in (("text", raw_text), ("utt2spk", raw_speaker)):
        if value is not None and _undecodable(value):
            raise ManifestError(f"its {name} line is not UTF-8 text; re-save {name} as UTF-8")
    transcript, notices = transcript_of(raw_text)
    return ImportItem(
        path=path,
        transcript=transcript,
        speaker=label(_speaker(raw_speaker), "speaker"),
        offset_s=offset,
        duration_s=duration,
        uid=label(utt, "id"),
        lineage=lineage,
        source_format="kaldi",
        notices=notices,
    )


def _speaker(value: str | None) -> str | None:
    # voxcart's Kaldi export escapes speaker ids (=XX); read them back as they were.
    return kaldi_unescape(value) if value else value


def count_kaldi(folder: Path) -> int:
    """Number of utterances (lines of segments, else of wav.scp)."""
    listing = folder / "segments" if (folder / "segments").is_file() else folder / "wav.scp"
    return sum(1 for _number, line in _lines(listing) if line.strip())
