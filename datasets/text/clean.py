"""Text safety at the edge: what control characters and unpaired surrogates become before a
value reaches a database (PostgreSQL refuses NUL) or a line-oriented export (Kaldi `text`).

Transcripts are cleaned (control characters removed, line breaks and tabs turned into spaces)
and the change is described so the import report can say what happened; labels (ids, speakers,
sessions) are checked strictly, since a changed label silently merges or splits speakers.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass

__all__ = ["CleanText", "clean_text", "label_problem", "printable_name", "unsafe_chars"]

# Line and paragraph breaks that would split a one-line-per-record file (Kaldi text, TSV).
_BREAKS = {"\t", "\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"}


@dataclass(frozen=True)
class CleanText:
    """A cleaned value and what cleaning changed (empty when nothing did)."""

    text: str
    changes: str = ""


def _is_control(ch: str) -> bool:
    # Cc covers C0 (NUL, BEL, ESC...), DEL and C1; Cs are lone surrogates.
    return unicodedata.category(ch) in ("Cc", "Cs") and ch not in _BREAKS


def _name(ch: str) -> str:
    code = ord(ch)
    short = {0: "NUL", 7: "BEL", 8: "BS", 0x1B: "ESC", 0x7F: "DEL"}.get(code)
    return f"U+{code:04X}" + (f" ({short})" if short else "")


def unsafe_chars(text: str) -> list[str]:
    """Names of the distinct control characters and unpaired surrogates in `text`."""
    seen = dict.fromkeys(ch for ch in text if _is_control(ch) or ch in _BREAKS)
    return [_name(ch) for ch in seen]


def clean_text(text: str) -> CleanText:
    """Remove control characters and turn line breaks and tabs into single spaces.

    Unpaired surrogates (``"\\ud800"`` in JSON) cannot be stored as UTF-8 at all; they are
    removed like control characters. The result is stripped at both ends.
    """
    removed = [ch for ch in text if _is_control(ch)]
    broken = [ch for ch in text if ch in _BREAKS]
    if not removed and not broken:
        return CleanText(text)
    out = "".join(" " if ch in _BREAKS else ch for ch in text if not _is_control(ch))
    out = " ".join(out.split()) if broken else out.strip()
    parts = []
    if removed:
        parts.append("removed " + ", ".join(_name(ch) for ch in dict.fromkeys(removed)))
    if broken:
        parts.append("line breaks/tabs turned into spaces")
    return CleanText(out, "; ".join(parts))


def label_problem(value: str, field: str, limit: int) -> str | None:
    """Why `value` cannot be stored as the label `field` (id, speaker...), or None.

    A label is never changed silently: over-long values and control characters are refused
    with a reason instead of being cut or cleaned.
    """
    bad = unsafe_chars(value)
    if bad:
        return (
            f"{field} {value[:60]!r} holds control characters ({', '.join(bad)}); "
            "remove them from the manifest"
        )
    if len(value) > limit:
        return (
            f"{field} is {len(value)} characters long, over the {limit} allowed "
            f"({value[:40]!r}...); shorten it in the manifest"
        )
    return None


def printable_name(path: str | os.PathLike[str]) -> str:
    """A path as text that can be printed and stored: itself when it is valid UTF-8, else the
    repr of its raw bytes (``b'caf\\xe9.wav'``), so the real name is still reported."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return repr(os.fsencode(text))
    if any(_is_control(ch) for ch in text):
        return repr(text)
    return text
