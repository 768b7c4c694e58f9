"""Import sources: detecting a source's format and streaming its items.

Every source is a generator of :class:`ImportItem` (a clip to import) or :class:`Rejection`
(a row that could not even be turned into one), so that a source of any size streams through
the import engine without being held in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from voxcart.datasets.audio import AUDIO_SUFFIXES
from voxcart.datasets.errors import ManifestError
from voxcart.datasets.sources.common import ImportItem, Rejection, SourceContext
from voxcart.datasets.sources.folder import count_folder, iter_file, iter_folder
from voxcart.datasets.sources.kaldi import count_kaldi, iter_kaldi
from voxcart.datasets.sources.table import (
    count_lines,
    hf_metadata_files,
    iter_delimited,
    iter_hf,
    iter_jsonl,
)

__all__ = [
    "FORMATS",
    "ImportItem",
    "Rejection",
    "SourceContext",
    "count_items",
    "detect_format",
    "iter_source",
]

FORMATS = ("auto", "folder", "csv", "tsv", "nemo", "hf", "kaldi", "file")
"""Values accepted for `fmt`; `auto` picks one from the source's shape."""

_DIR_FORMATS = ("folder", "hf", "kaldi")


def detect_format(source: Path) -> str:
    """Pick a format from the source's shape.

    A folder with `wav.scp` is Kaldi; one with `metadata.csv`/`metadata.jsonl` (at the top or
    in split folders) is a Hugging Face audiofolder; any other folder is a folder of audio.
    `.jsonl`/`.json` files are NeMo manifests, `.csv` and `.tsv` tables, audio files single files.

    Raises:
        ManifestError: the source does not exist or its kind cannot be told from its name.
    """
    if source.is_dir():
        if (source / "wav.scp").is_file():
            return "kaldi"
        if hf_metadata_files(source):
            return "hf"
        return "folder"
    if not source.exists():
        raise ManifestError(f"{source}: no such file or folder")
    suffix = source.suffix.lower()
    if suffix in (".jsonl", ".json"):
        return "nemo"
    if suffix in (".csv", ".tsv"):
        return suffix[1:]
    if suffix in AUDIO_SUFFIXES:
        return "file"
    raise ManifestError(
        f"{source}: cannot tell its format from the suffix {suffix!r}; "
        f"pass --format with one of {', '.join(FORMATS[1:])}"
    )


def _check(source: Path, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ManifestError(f"format {fmt!r} is not supported; use one of {', '.join(FORMATS)}")
    resolved = detect_format(source) if fmt == "auto" else fmt
    if not source.exists():
        raise ManifestError(f"{source}: no such file or folder")
    if (resolved in _DIR_FORMATS) != source.is_dir():
        kind = "a folder" if resolved in _DIR_FORMATS else "a file"
        raise ManifestError(f"{source}: format {resolved!r} needs {kind}")
    return resolved


def iter_source(
    source: Path, fmt: str, ctx: SourceContext
) -> tuple[str, Iterator[ImportItem | Rejection]]:
    """The resolved format of `source` and a stream of its items.

    Raises:
        ManifestError: the format is unknown, does not fit the source, or the source is missing.
    """
    resolved = _check(source, fmt)
    stream: Iterator[ImportItem | Rejection]
    if resolved == "folder":
        stream = iter_folder(source, ctx)
    elif resolved == "kaldi":
        stream = iter_kaldi(source, ctx)
    elif resolved == "hf":
        stream = iter_hf(source, ctx)
    elif resolved == "nemo":
        stream = iter_jsonl(source, ctx)
    elif resolved in ("csv", "tsv"):
        stream = iter_delimited(source, ctx, "\t" if resolved == "tsv" else ",")
    else:
        stream = iter_file(source)
    return resolved, stream


def count_items(source: Path, fmt: str) -> int | None:
    """A cheap estimate of how many items `source` holds (for progress bars), or None."""
    try:
        if fmt == "folder":
            return count_folder(source)
        if fmt == "kaldi":
            return count_kaldi(source)
        if fmt == "nemo":
            return count_lines(source)
        if fmt in ("csv", "tsv"):
            return max(0, count_lines(source) - 1)
        if fmt == "hf":
            return sum(
                max(0, count_lines(p) - (p.suffix == ".csv")) for _s, p in hf_metadata_files(source)
            )
        return 1
    except (OSError, ManifestError):
        return None
