"""Kaldi-safe ids: the escape voxcart's Kaldi export writes and its Kaldi import reads back.

Kaldi ids cannot hold whitespace and must sort consistently, so every character that is
whitespace, ``=`` or sorts at or below ``-`` (``!"#$%&'()*+,-``) is written as ``=XX`` (its
UTF-8 bytes in hex): ``"anna lee"`` becomes ``anna=20lee``.
"""

from __future__ import annotations

import re

_ESCAPED = re.compile(r"(?:=[0-9A-F]{2})+")


def kaldi_id(value: str) -> str:
    """Escape an id for Kaldi; ids that need no escape are unchanged."""
    out: list[str] = []
    for ch in value:
        if ch <= "-" or ch == "=" or ch.isspace():
            out.extend(f"={byte:02X}" for byte in ch.encode("utf-8"))
        else:
            out.append(ch)
    return "".join(out)


def kaldi_unescape(value: str) -> str:
    """Undo :func:`kaldi_id`; runs that do not decode as UTF-8 are left as they are."""

    def decode(match: re.Match[str]) -> str:
        raw = bytes(
            int(match.group(0)[i + 1 : i + 3], 16) for i in range(0, len(match.group(0)), 3)
        )
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return match.group(0)

    return _ESCAPED.sub(decode, value)
