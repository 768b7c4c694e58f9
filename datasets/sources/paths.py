"""Safe resolution of paths read from manifests: relative to the manifest, inside allowed roots."""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from voxcart.datasets.errors import ManifestError, UnsafePathError
from voxcart.datasets.text.clean import printable_name

_URL_SCHEMES = ("http://", "https://", "s3://", "gs://", "ftp://", "file://", "hf://")


@lru_cache(maxsize=256)
def _real(folder: Path) -> Path:
    # Roots repeat for every row of a manifest; resolve each once.
    return Path(os.path.realpath(folder))


def resolve_safe(raw: str, base: Path, roots: Sequence[Path], allow_outside: bool) -> Path:
    """Resolve a manifest path and refuse it when it escapes every allowed root.

    A relative path is taken relative to `base` (the manifest's folder); symlinks are resolved
    before the check, so a link that points out of the roots is caught like `../../etc/passwd`.
    `base` itself always counts as an allowed root.

    Args:
        raw: the path exactly as the manifest spells it.
        base: the folder the manifest lives in.
        roots: further folders that paths may point into (project audio roots, --allow-root).
        allow_outside: accept any path (the user vouches for the manifest).

    Returns:
        The absolute, symlink-free path (it may not exist; the caller reports missing files).

    Raises:
        ManifestError: the path is empty, holds a NUL byte, or is a URL.
        UnsafePathError: the resolved path lies outside `base` and every root.
    """
    text = raw.strip()
    if not text:
        raise ManifestError("audio path is empty; every row needs a file path")
    if "\x00" in text:
        raise ManifestError(f"audio path {text[:80]!r} holds a NUL byte; fix the manifest")
    if text.lower().startswith(_URL_SCHEMES):
        raise ManifestError(
            f"audio path {text[:120]!r} is a URL; download the files and list local paths"
        )
    candidate = Path(text)
    if not candidate.is_absolute():
        candidate = base / candidate
    resolved = Path(os.path.realpath(candidate))
    if allow_outside:
        return resolved
    allowed = [_real(base), *(_real(root) for root in roots)]
    if any(resolved == root or resolved.is_relative_to(root) for root in allowed):
        return resolved
    raise UnsafePathError(
        f"audio path {text[:120]!r} resolves to {resolved}, outside the allowed folders "
        f"({', '.join(str(r) for r in allowed)}); add its folder with --allow-root DIR, "
        "list it in audio_roots of voxcart.toml, or pass --allow-outside if you trust the manifest"
    )


def stat_problem(path: Path) -> tuple[str, str] | None:
    """(code, reason) when `path` cannot be opened as a file, naming the path itself.

    A dangling symlink is reported as the link (with its target), not under the target's
    name; a symlink loop as a loop, not as a missing file.
    """
    name = printable_name(path)
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "missing", f"{name}: symlink loop (the link points back to itself); fix the link"
        if os.path.islink(path):
            target = printable_name(os.readlink(path))
            return "missing", f"{name}: dangling symlink to {target} (the target does not exist)"
        if exc.errno == errno.ENOENT:
            return "missing", f"{name}: file not found"
        if exc.errno == errno.ENAMETOOLONG:
            return "missing", f"{name}: path too long for the file system"
        return "missing", f"{name}: cannot open ({exc.strerror})"
    except ValueError:
        return "bad_name", f"{name}: path holds a NUL byte"
    if not os.path.isfile(path):
        return "missing", f"{name}: not a regular file"
    return None
