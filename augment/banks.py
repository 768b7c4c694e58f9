"""Noise and room-impulse-response banks: audio folders resampled to 16 kHz mono and cached.

A bank lives in a cache directory: one float32 array holding every snippet end to end (read
memory-mapped, so DataLoader workers share its pages) and a JSON manifest naming each snippet
with a content-derived id, a category and metadata (source rate and channels, RT60, room).
User folders are cached under a key of their file names, sizes and modification times, so
editing the folder rebuilds the cache; built-in default banks are generated on first use
(see :mod:`voxcart.augment.bank_defaults`); :mod:`voxcart.augment.bank_cache` opens them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voxcart.augment.errors import BankError
from voxcart.datasets.errors import VoxcartError

BANK_SR = 16_000
"""Every bank is stored at this rate, mono."""
BANK_FORMAT = 1
"""Version of the cache layout; bump it to rebuild every cache."""
MAX_NOISE_SECONDS = 300.0
"""Longer noise files are cut to this many seconds (memory stays bounded)."""
MAX_RIR_SECONDS = 3.0
"""Impulse responses are cut this long after their direct-path peak."""
USER_CATEGORY = "user"
"""Category of every item from a user folder; it matches any category filter."""
KINDS = ("noise", "rir")

_MANIFEST = "manifest.json"
_AUDIO = "audio.npy"
_SILENT_RMS = 1e-5


@dataclass(frozen=True)
class BankItem:
    """One snippet of a bank.

    Attributes:
        id: stable id derived from the content (a file's bytes or a generator's parameters).
        name: the file's path relative to the bank folder, or a generated name.
        category: ``user`` for user files; ``color``, ``babble``, ``rumble`` or ``room`` for
            generated ones.
        start: first sample in the bank array.
        length: number of samples.
        meta: JSON-safe facts: ``source_sr``/``source_channels`` for files; ``rt60_s`` and, for
            simulated rooms, ``room_dim_m``, ``absorption``, ``distance_m``.
    """

    id: str
    name: str
    category: str
    start: int
    length: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        """Length in seconds at the bank rate."""
        return self.length / BANK_SR


@dataclass(frozen=True)
class BankEntry:
    """A snippet to be written into a new bank (before it has a position in the array)."""

    id: str
    name: str
    category: str
    audio: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)


class Bank:
    """An opened bank: its manifest in memory, its audio memory-mapped on first use.

    Pickling keeps the directory and manifest only; each process maps the audio itself.
    """

    def __init__(
        self,
        root: Path,
        kind: str,
        items: tuple[BankItem, ...],
        source: str,
        notes: tuple[str, ...] = (),
        skipped: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.root = root
        self.kind = kind
        self.items = items
        self.source = source
        self.notes = notes
        self.skipped = skipped
        self._by_id = {item.id: item for item in items}
        self._audio: np.ndarray | None = None
        self._resampled: dict[tuple[str, int], np.ndarray] = {}

    def __repr__(self) -> str:
        return f"Bank(kind={self.kind!r}, items={len(self.items)}, source={self.source!r})"

    def __len__(self) -> int:
        return len(self.items)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_audio"] = None
        state["_resampled"] = {}
        return state

    @classmethod
    def open(cls, root: Path) -> Bank:
        """Open a bank cache directory.

        Raises:
            BankError: the directory holds no readable manifest of the current format.
        """
        try:
            data = json.loads((root / _MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BankError(
                f"bank cache {root} is unreadable ({exc}); delete it to rebuild"
            ) from exc
        if data.get("format") != BANK_FORMAT or data.get("kind") not in KINDS:
            raise BankError(f"bank cache {root} has an unknown format; delete it to rebuild")
        items = tuple(BankItem(**item) for item in data["items"])
        skipped = tuple((str(a), str(b)) for a, b in data.get("skipped", []))
        return cls(root, data["kind"], items, data["source"], tuple(data.get("notes", [])), skipped)

    @property
    def fingerprint(self) -> str:
        """A short hash of the item ids: equal fingerprints mean the same snippets."""
        joined = "\n".join(item.id for item in self.items)
        return hashlib.sha256(joined.encode()).hexdigest()[:16]

    @property
    def audio(self) -> np.ndarray:
        """All snippets end to end (float32, memory-mapped, read-only)."""
        if self._audio is None:
            self._audio = np.load(self.root / _AUDIO, mmap_mode="r")
        return self._audio

    def get(self, item_id: str) -> BankItem:
        """The item with this id.

        Raises:
            BankError: the bank holds no such item (it was built from other files).
        """
        try:
            return self._by_id[item_id]
        except KeyError:
            raise BankError(
                f"{self.kind} bank {self.source!r} has no item {item_id!r}; the bank changed since "
                "the variant was made: point at the original files to reproduce it"
            ) from None

    def samples(self, item: BankItem, sr: int = BANK_SR) -> np.ndarray:
        """A snippet's samples as a float32 array at `sr` (resampled once, then memoized)."""
        if sr == BANK_SR:
            return np.array(self.audio[item.start : item.start + item.length], dtype=np.float32)
        key = (item.id, sr)
        if key not in self._resampled:
            from voxcart.datasets.audio import resample

            base = np.array(self.audio[item.start : item.start + item.length], dtype=np.float32)
            self._resampled[key] = resample(base, BANK_SR, sr)
        return self._resampled[key].copy()

    def select(self, categories: Sequence[str] | None) -> tuple[BankItem, ...]:
        """Items whose category is listed (user items always qualify); all when None."""
        if not categories:
            return self.items
        wanted = set(categories)
        return tuple(i for i in self.items if i.category in wanted or i.category == USER_CATEGORY)


def write_bank(
    root: Path,
    kind: str,
    source: str,
    entries: Sequence[BankEntry],
    notes: Sequence[str] = (),
    skipped: Sequence[tuple[str, str]] = (),
) -> Bank:
    """Write a bank atomically (temporary sibling directory, then one rename) and open it.

    When another process published the same bank first, its copy is kept and opened.

    Raises:
        BankError: no entries, or the cache folder cannot be written.
    """
    if not entries:
        reasons = "; ".join(f"{name}: {why}" for name, why in list(skipped)[:5])
        raise BankError(
            f"{kind} bank {source!r} has no usable audio" + (f" ({reasons})" if reasons else "")
        )
    items: list[dict[str, Any]] = []
    start = 0
    for entry in entries:
        length = int(entry.audio.shape[0])
        items.append(
            {
                "id": entry.id,
                "name": entry.name,
                "category": entry.category,
                "start": start,
                "length": length,
                "meta": entry.meta,
            }
        )
        start += length
    audio = np.concatenate([np.asarray(e.audio, dtype=np.float32) for e in entries])
    manifest = {
        "format": BANK_FORMAT,
        "kind": kind,
        "source": source,
        "sample_rate": BANK_SR,
        "notes": list(notes),
        "skipped": [list(pair) for pair in skipped],
        "items": items,
    }
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".partial", dir=root.parent))
    except OSError as exc:
        raise BankError(f"cannot write the bank cache under {root.parent}: {exc}") from exc
    try:
        np.save(tmp / _AUDIO, audio)
        (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        os.rename(tmp, root)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not (root / _MANIFEST).is_file():
            raise
    return Bank.open(root)


def estimate_rt60(rir: np.ndarray, sr: int = BANK_SR) -> float | None:
    """Reverberation time from Schroeder backward integration (T20 extrapolated to 60 dB).

    Returns None when the response decays by less than 25 dB (too short to measure).
    """
    energy = np.cumsum(np.square(rir[::-1], dtype=np.float64))[::-1]
    if energy.size == 0 or energy[0] <= 0:
        return None
    edc = 10.0 * np.log10(np.maximum(energy / energy[0], 1e-30))
    upper = int(np.argmax(edc <= -5.0))
    lower = int(np.argmax(edc <= -25.0))
    if edc[-1] > -25.0 or lower <= upper + 1:
        return None
    t = np.arange(upper, lower) / sr
    slope, _ = np.polyfit(t, edc[upper:lower], 1)
    if slope >= 0:
        return None
    return float(-60.0 / slope)


def _file_id(kind: str, path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"{kind}:{digest.hexdigest()[:16]}"


def _read_entry(kind: str, path: Path, name: str) -> BankEntry:
    from voxcart.datasets.audio import load_audio, probe

    info = probe(path)
    limit = MAX_NOISE_SECONDS if kind == "noise" else None
    audio = load_audio(path, 0.0, limit, sr=BANK_SR)
    meta: dict[str, Any] = {
        "source_sr": info.sample_rate,
        "source_channels": info.channels,
        "source_duration_s": round(info.duration_s, 3),
    }
    if kind == "noise":
        if audio.size < BANK_SR // 20:
            raise BankError("shorter than 50 ms")
        if float(np.sqrt(np.mean(np.square(audio)))) < _SILENT_RMS:
            raise BankError("silent")
        if limit is not None and info.duration_s > limit:
            meta["truncated_to_s"] = limit
    else:
        if audio.size == 0 or not np.any(audio):
            raise BankError("all zeros")
        audio = audio[int(np.argmax(np.abs(audio))) :][: int(MAX_RIR_SECONDS * BANK_SR)]
        rt60 = estimate_rt60(audio)
        meta["rt60_s"] = None if rt60 is None else round(rt60, 3)
    return BankEntry(_file_id(kind, path), name, USER_CATEGORY, audio, meta)


def _audio_files(folder: Path) -> list[Path]:
    from voxcart.datasets.audio import AUDIO_SUFFIXES

    return sorted(
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in AUDIO_SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def folder_bank(folder: Path | str, kind: str, cache_root: Path) -> Bank:
    """Open (building on first use) the bank of every audio file under a user folder.

    Files at any rate and channel count are averaged to mono and resampled to 16 kHz. A file
    that cannot be read, is silent or duplicates another is skipped with its reason recorded
    in :attr:`Bank.skipped`; the bank fails only if nothing usable remains.

    Raises:
        BankError: the folder is missing, holds no audio, or nothing in it is usable.
    """
    if kind not in KINDS:
        raise BankError(f"bank kind={kind!r} is not one of {', '.join(KINDS)}")
    root = Path(folder).expanduser().resolve()
    if not root.is_dir():
        raise BankError(f"{kind} bank folder {root} does not exist or is not a folder")
    files = _audio_files(root)
    if not files:
        raise BankError(f"{kind} bank folder {root} holds no audio files (.wav, .flac, ...)")
    key = hashlib.sha256(f"{BANK_FORMAT}|{kind}|{root}".encode())
    for path in files:
        stat = path.stat()
        key.update(f"|{path.relative_to(root)}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    cache = cache_root / f"{kind}-{root.name[:40]}-{key.hexdigest()[:16]}"
    if (cache / _MANIFEST).is_file():
        return Bank.open(cache)
    entries: list[BankEntry] = []
    skipped: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for path in files:
        name = str(path.relative_to(root))
        try:
            entry = _read_entry(kind, path, name)
        except (VoxcartError, OSError, ValueError) as exc:
            skipped.append((name, str(exc)))
            continue
        if entry.id in seen:
            skipped.append((name, f"duplicate of {seen[entry.id]}"))
            continue
        seen[entry.id] = name
        entries.append(entry)
    return write_bank(cache, kind, str(root), entries, skipped=skipped)
