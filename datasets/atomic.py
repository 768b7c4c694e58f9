"""Atomic writing of files and whole directories, and cells that are safe to open in a spreadsheet.

A reader never sees half a file or half an export: everything is written under a temporary
sibling name and renamed into place once complete. CSV cells that a spreadsheet would run as a
formula are escaped with a leading apostrophe, reversibly (see :func:`csv_safe_cell`).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from voxcart.datasets.errors import ExportError

# Spreadsheets (Excel, LibreOffice, Google Sheets) evaluate a cell starting with one of these.
FORMULA_TRIGGERS = frozenset("=+-@\t\r")
_ESCAPE = "'"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
_MAX_NAME = 120


def csv_safe_cell(value: str) -> str:
    """Escape a text cell so that a spreadsheet shows it as text instead of running it.

    A cell starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe
    (the OWASP "CSV injection" advice). A cell that already starts with an apostrophe gets
    one more, so the escape is reversible with :func:`csv_unescape_cell`.
    """
    if value and (value[0] in FORMULA_TRIGGERS or value[0] == _ESCAPE):
        return _ESCAPE + value
    return value


def csv_unescape_cell(value: str) -> str:
    """Undo :func:`csv_safe_cell` (importers of voxcart CSV use this to get the exact text)."""
    if (
        len(value) > 1
        and value[0] == _ESCAPE
        and (value[1] in FORMULA_TRIGGERS or value[1] == _ESCAPE)
    ):
        return value[1:]
    return value


def safe_filename(name: str, suffix: str = "") -> str:
    """A file name made from an arbitrary id that cannot escape its folder.

    Characters outside ``A-Z a-z 0-9 . _ -`` become ``_``; a leading dot is replaced; where
    anything changed (or the name is very long), a short hash of the original keeps distinct
    ids distinct.
    """
    cleaned = _SAFE_NAME.sub("_", name)
    if cleaned.startswith("."):
        cleaned = "_" + cleaned[1:]
    if cleaned != name or not cleaned or len(cleaned) > _MAX_NAME:
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        cleaned = f"{cleaned[:_MAX_NAME]}-{digest}"
    return cleaned + suffix


def validate_component(name: str, what: str) -> str:
    """Check that `name` is one plain path component (no separators, not hidden, not `..`).

    Raises:
        ExportError: the name would create a file or folder somewhere else.
    """
    if (
        not name
        or name in (".", "..")
        or name.startswith(".")
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or name != name.strip()
    ):
        raise ExportError(
            f"{what} {name!r} is not a plain folder name; use letters, digits, '-', '_' or '.' "
            "without slashes, a leading dot or surrounding spaces"
        )
    return name


@contextmanager
def atomic_path(path: Path, suffix: str = ".partial") -> Iterator[Path]:
    """A temporary sibling of `path` to write by name; fsynced and renamed onto `path` on success.

    The one atomic writer: :func:`atomic_open` opens it as a file, and writers that want a
    path (soundfile, matplotlib, torch) write to it directly. On an exception the temporary
    file is removed and `path` is left as it was.

    Args:
        path: the final file.
        suffix: the temporary name's ending (a writer that picks its format from the name,
            such as matplotlib, wants the real one, e.g. ``".png"``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with tmp.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_open(
    path: Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None
) -> Iterator[IO[Any]]:
    """Open a temporary sibling of `path` for writing; rename it onto `path` on success.

    `mode` is ``"w"`` (text, in `encoding`) or ``"wb"`` (pass ``encoding=None``). On an
    exception the temporary file is removed and `path` is left as it was.
    """
    with atomic_path(path) as tmp, tmp.open(mode, encoding=encoding, newline=newline) as handle:
        yield handle


class StagedDirectory:
    """A directory built under a temporary sibling name and published by one rename.

    Use as a context manager: write into :attr:`path`, call :meth:`publish` when complete.
    Leaving the block without publishing (an error, a crash caught by Python, Ctrl-C) removes
    the temporary directory, so no half-written export is ever visible under the final name.
    A process killed outright (kill -9, power loss) leaves its ``.NAME.*.partial`` folder; the
    next staging in the same parent folder removes such leftovers. A live staging holds an
    exclusive lock on its folder, so a concurrent one is never mistaken for a leftover.
    """

    def __init__(self, final: Path) -> None:
        self.final = final
        self.path: Path = final  # replaced in __enter__
        self._published = False
        self._lock_fd: int | None = None

    @property
    def published(self) -> bool:
        """Whether :meth:`publish` has renamed the folder into place."""
        return self._published

    def __enter__(self) -> StagedDirectory:
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self._check_free()
        remove_stale_partials(self.final.parent)
        self.path = Path(
            tempfile.mkdtemp(
                prefix=f".{self.final.name}.", suffix=".partial", dir=self.final.parent
            )
        )
        self._lock_fd = os.open(self.path, os.O_RDONLY)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        return self

    def _check_free(self) -> None:
        if self.final.exists() or self.final.is_symlink():
            raise ExportError(
                f"{self.final} already exists; exports are never overwritten: choose another "
                "--name or --out, or delete the old export first"
            )

    def publish(self) -> Path:
        """Rename the finished directory to its final name.

        Raises:
            ExportError: the final name appeared meanwhile (it is not replaced).
        """
        self._check_free()
        _fsync_dir(self.path)
        try:
            # A non-empty temporary directory is never renamed onto an existing non-empty one,
            # and _check_free rules out an existing empty one just before.
            os.rename(self.path, self.final)
        except OSError as exc:
            raise ExportError(f"cannot move the finished export to {self.final}: {exc}") from exc
        _fsync_dir(self.final.parent)
        self._published = True
        return self.final

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._published:
            shutil.rmtree(self.path, ignore_errors=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove the ``.*.partial`` staging folders in `folder` that no live process holds.

    Returns:
        The folders removed.
    """
    removed: list[Path] = []
    try:
        candidates = [p for p in folder.iterdir() if p.name.startswith(".")]
    except OSError:
        return removed
    for path in candidates:
        if not path.name.endswith(".partial") or path.is_symlink() or not path.is_dir():
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a running export holds it
        finally:
            os.close(fd)
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on directories; the rename is still atomic
    finally:
        os.close(fd)
