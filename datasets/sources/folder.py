"""Folders of audio files (walked recursively, in a stable order) and single audio files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from voxcart.datasets.audio import AUDIO_SUFFIXES
from voxcart.datasets.errors import UnsafePathError
from voxcart.datasets.sources.common import ImportItem, Rejection, SourceContext
from voxcart.datasets.sources.paths import resolve_safe, stat_problem
from voxcart.datasets.text.clean import printable_name


def walk_audio(folder: Path) -> Iterator[Path]:
    """Audio files under `folder`, sorted, hidden entries skipped; folder links not followed."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in AUDIO_SUFFIXES:
                yield Path(root) / name


def iter_folder(folder: Path, ctx: SourceContext) -> Iterator[ImportItem | Rejection]:
    """One item per audio file under `folder`; a file linking outside the folder is refused."""
    for path in walk_audio(folder):
        relative = path.relative_to(folder)
        name = printable_name(path)
        if name != str(path):
            yield Rejection(
                name,
                f"file name is not valid UTF-8 (raw bytes {printable_name(relative)}); rename it "
                "to UTF-8, e.g. `convmv -f latin1 -t utf8 -r --notest FOLDER`",
                "bad_name",
            )
            continue
        if path.is_symlink():
            problem = stat_problem(path)
            if problem is not None:
                yield Rejection(name, problem[1].removeprefix(f"{name}: "), problem[0])
                continue
        try:
            resolved = resolve_safe(str(path), folder, ctx.roots, ctx.allow_outside)
        except UnsafePathError as exc:
            yield Rejection(str(path), str(exc), "unsafe_path")
            continue
        yield ImportItem(
            path=resolved,
            lineage={"source_file": relative.as_posix()},
            source_format="folder",
        )


def count_folder(folder: Path) -> int:
    """Number of audio files under `folder` (a progress total)."""
    return sum(1 for _path in walk_audio(folder))


def iter_file(path: Path) -> Iterator[ImportItem | Rejection]:
    """The single file the user named (the user chose it, so no root check applies)."""
    yield ImportItem(path=Path(os.path.realpath(path)), source_format="file")
