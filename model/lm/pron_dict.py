"""Pronunciation dictionaries in CMU/Sphinx format: reading the bundled one, writing a subset.

A line is ``word PHONE PHONE ...``; alternatives are ``word(2) ...``. The bundled dictionary is
pocketsphinx's ``cmudict-en-us.dict``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from voxcart.model.errors import ModelError


def bundled_dict_path() -> Path:
    """Path of pocketsphinx's bundled US English dictionary."""
    from pocketsphinx import get_model_path

    return Path(get_model_path("en-us")) / "cmudict-en-us.dict"


def bundled_hmm_path() -> Path:
    """Path of pocketsphinx's bundled US English acoustic model folder."""
    from pocketsphinx import get_model_path

    return Path(get_model_path("en-us")) / "en-us"


def read_dict(path: Path) -> dict[str, list[str]]:
    """Every word's pronunciations (alternatives in file order).

    Raises:
        ModelError: the file cannot be read.
    """
    entries: dict[str, list[str]] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ModelError(f"cannot read pronunciation dictionary {path}: {exc}") from exc
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        word = parts[0]
        if word.endswith(")") and "(" in word:
            word = word[: word.index("(")]
        entries.setdefault(word, []).append(" ".join(parts[1:]))
    return entries


@lru_cache(maxsize=1)
def bundled_dict() -> dict[str, list[str]]:
    """The bundled dictionary, read once per process."""
    return read_dict(bundled_dict_path())


def write_dict(path: Path, entries: Mapping[str, Iterable[str]]) -> int:
    """Write a Sphinx dictionary (sorted, alternatives numbered); returns the line count."""
    lines: list[str] = []
    for word in sorted(entries):
        for index, phones in enumerate(entries[word]):
            label = word if index == 0 else f"{word}({index + 1})"
            lines.append(f"{label} {phones}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)
