"""Out-of-catalog words: words of a transcript that neither the catalog nor English knows.

A typed word is flagged when it is not a word of any catalog term and not in the English word
list (pocketsphinx's bundled pronunciation dictionary). Each flag carries the catalog terms
closest to it (rapidfuzz similarity), so that "sonny" can become "sony" in one click.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from voxcart.model.lm.pron_dict import bundled_dict_path

CLOSEST_MAX = 3
"""How many close catalog terms a flag suggests."""
CLOSEST_MIN_SCORE = 60.0
"""Least rapidfuzz ratio (0-100) for a catalog term to count as close."""
_TOKEN_RE = re.compile(r"\S+")
# Letter runs, with inner apostrophes and hyphens ("don't", "wi-fi"); markup and punctuation
# around or between words are not part of a word.
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@dataclass(frozen=True)
class OovFlag:
    """One word of a text that is in neither the catalog nor the English word list.

    Attributes:
        word: the word as typed (edge punctuation removed).
        start: character offset of the word in the text.
        end: offset just past the word.
        closest: the most similar catalog terms, best first (may be empty).
    """

    word: str
    start: int
    end: int
    closest: tuple[str, ...]


@dataclass(frozen=True)
class KnownWords:
    """The words a transcript may use without a flag, and the catalog terms to suggest.

    Attributes:
        english: lower-case English words.
        catalog_words: lower-case single words of the catalog terms.
        catalog_terms: the catalog terms (normalized, possibly several words).
    """

    english: frozenset[str]
    catalog_words: frozenset[str]
    catalog_terms: tuple[str, ...]

    def knows(self, word: str) -> bool:
        """Whether `word` (lower-cased) is an English word or a word of a catalog term."""
        w = word.lower().replace("’", "'")
        return w in self.english or w in self.catalog_words


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The words of pocketsphinx's bundled US English dictionary, lower case (read once)."""
    words: set[str] = set()
    with bundled_dict_path().open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            head = line.split(" ", 1)[0]
            if head.endswith(")") and "(" in head:
                head = head[: head.index("(")]
            if head:
                words.add(head.lower())
    return frozenset(words)


def known_words(catalog_terms: Iterable[str], english: frozenset[str] | None = None) -> KnownWords:
    """Build the lookup for :func:`oov_flags` from catalog terms (and the English list)."""
    terms = tuple(sorted({t.strip().lower() for t in catalog_terms if t.strip()}))
    words = frozenset(w for t in terms for w in t.split())
    return KnownWords(
        english=english_words() if english is None else english,
        catalog_words=words,
        catalog_terms=terms,
    )


def closest_terms(word: str, known: KnownWords, limit: int = CLOSEST_MAX) -> tuple[str, ...]:
    """The catalog terms (or single catalog words) most similar to `word`, best first."""
    choices = sorted(set(known.catalog_terms) | known.catalog_words)
    if not choices:
        return ()
    found = process.extract(
        word.lower(), choices, scorer=fuzz.ratio, limit=limit, score_cutoff=CLOSEST_MIN_SCORE
    )
    return tuple(str(choice) for choice, _score, _index in found)


def oov_flags(text: str, known: KnownWords) -> tuple[OovFlag, ...]:
    """Flag each word of `text` that neither the catalog nor the English list knows.

    A word is a run of letters (with inner apostrophes or hyphens) inside a whitespace-separated
    token; tokens with digits are left to the digit check. A hyphenated word is known when the
    whole word or each of its parts is known.
    """
    flags: list[OovFlag] = []
    for token in _TOKEN_RE.finditer(text):
        if any(ch.isdigit() for ch in token.group()):
            continue
        for match in _WORD_RE.finditer(token.group()):
            word = match.group()
            if known.knows(word):
                continue
            parts = [p for p in re.split(r"[-]", word) if p]
            if len(parts) > 1 and all(known.knows(p) for p in parts):
                continue
            start = token.start() + match.start()
            flags.append(OovFlag(word, start, start + len(word), closest_terms(word, known)))
    return tuple(flags)
