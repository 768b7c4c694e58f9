"""Export from the app: the CLI's exporter, then the export folder packed as one zip to download."""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from voxcart.datasets.atomic import atomic_open
from voxcart.datasets.errors import ExportError
from voxcart.datasets.export.exporter import (
    ExportOptions,
    ExportResult,
    ProgressCallback,
    export_dataset,
)
from voxcart.datasets.store.project import Project

_STORED_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".parquet")
"""Already compressed (or incompressible) members are stored, not deflated."""


@dataclass(frozen=True)
class ExportBundle:
    """An export and its zip.

    Attributes:
        result: what the exporter wrote (the same as ``voxcart export``).
        zip_path: ``<exports>/<name>.zip``; members are paths under ``<name>/``.
        zip_bytes: size of the zip.
    """

    result: ExportResult
    zip_path: Path
    zip_bytes: int


def zip_folder(folder: Path, target: Path) -> Path:
    """Pack `folder` into `target` atomically; members are named ``<folder name>/<relative>``.

    Symbolic links are not followed, so nothing outside the folder ends up in the zip.

    Raises:
        ExportError: `folder` is not a directory.
    """
    if not folder.is_dir():
        raise ExportError(f"{folder} is not a directory; nothing to zip")
    with atomic_open(target, "wb", encoding=None) as handle:
        # atomic_open is typed for text; in "wb" mode it yields a binary file.
        binary = cast(IO[bytes], handle)
        with zipfile.ZipFile(binary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for current, dirs, files in os.walk(folder, followlinks=False):
                dirs.sort()
                for name in sorted(files):
                    path = Path(current) / name
                    if path.is_symlink() or not path.is_file():
                        continue
                    member = Path(folder.name) / path.relative_to(folder)
                    method = (
                        zipfile.ZIP_STORED
                        if path.suffix.lower() in _STORED_SUFFIXES
                        else zipfile.ZIP_DEFLATED
                    )
                    archive.write(path, member.as_posix(), compress_type=method)
    return target


def export_zip(
    project: Project,
    fmt: str,
    options: ExportOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> ExportBundle:
    """Export into the project's exports folder (as ``voxcart export`` does) and zip it.

    Raises:
        ExportError: as :func:`voxcart.datasets.export.exporter.export_dataset`.
    """
    result = export_dataset(project, project.exports_dir, fmt, options, progress=progress)
    target = zip_folder(result.path, result.path.with_name(f"{result.name}.zip"))
    return ExportBundle(result, target, target.stat().st_size)
