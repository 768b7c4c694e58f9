"""Numbers as English words and back: cardinals, ordinals and spans of number words in text.

The spoken forms are the canonical ones the normalizer writes: no "and", no hyphens, no commas
("one thousand two hundred ninety nine"). The parsers also accept "and" and hyphenated tens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ONES: tuple[str, ...] = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
TENS: tuple[str, ...] = (
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
)  # fmt: skip
SCALES: tuple[tuple[int, str], ...] = (
    (10**12, "trillion"),
    (10**9, "billion"),
    (10**6, "million"),
    (10**3, "thousand"),
)
MAX_WORDED = 10**15 - 1

_ORDINAL_IRREGULAR = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip

_UNIT_VALUE = {word: value for value, word in enumerate(ONES)}
_TENS_VALUE = {word: value * 10 for value, word in enumerate(TENS) if word}
_SCALE_VALUE = {word: value for value, word in SCALES}
NUMBER_WORDS: frozenset[str] = frozenset([*_UNIT_VALUE, *_TENS_VALUE, *_SCALE_VALUE, "hundred"])


def _ordinal_word(word: str) -> str:
    if word in _ORDINAL_IRREGULAR:
        return _ORDINAL_IRREGULAR[word]
    if word.endswith("y"):
        return word[:-1] + "ieth"
    return word + "th"


_ORDINAL_TO_CARDINAL = {_ordinal_word(w): w for w in NUMBER_WORDS}
ORDINAL_WORDS: frozenset[str] = frozenset(_ORDINAL_TO_CARDINAL)


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [ONES[hundreds], "hundred"]
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(TENS[tens])
        if ones:
            words.append(ONES[ones])
    elif rest:
        words.append(ONES[rest])
    return words


def number_to_words(n: int) -> str:
    """Spell a whole number the way it is said: 1299 -> "one thousand two hundred ninety nine".

    Negative numbers get "minus"; numbers of 10**15 and above are read digit by digit.

    Raises:
        TypeError: `n` is not an int.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"number_to_words needs an int, got {n!r} ({type(n).__name__})")
    if n < 0:
        return "minus " + number_to_words(-n)
    if n == 0:
        return "zero"
    if n > MAX_WORDED:
        return digits_to_words(str(n))
    words: list[str] = []
    rest = n
    for value, name in SCALES:
        count, rest = divmod(rest, value)
        if count:
            words += [*_below_thousand(count), name]
    words += _below_thousand(rest)
    return " ".join(words)


def digits_to_words(digits: str) -> str:
    """Read a digit string one digit at a time: "05" -> "zero five"."""
    return " ".join(ONES[int(d)] for d in digits if d.isdigit())


def ordinal_to_words(n: int) -> str:
    """Spell an ordinal: 2 -> "second", 21 -> "twenty first", 100 -> "one hundredth"."""
    words = number_to_words(n).split()
    words[-1] = _ordinal_word(words[-1])
    return " ".join(words)


def _chunk(tokens: Sequence[str], i: int) -> tuple[int, int] | None:
    """Parse one group below a thousand starting at `i`; (value, next index) or None."""
    value = 0
    j = i
    n = len(tokens)
    if (
        j + 1 < n
        and tokens[j] in _UNIT_VALUE
        and tokens[j] != "zero"
        and tokens[j + 1] == "hundred"
    ):
        value = _UNIT_VALUE[tokens[j]] * 100
        j += 2
    if j < n and tokens[j] in _TENS_VALUE:
        value += _TENS_VALUE[tokens[j]]
        j += 1
        if j < n and tokens[j] in _UNIT_VALUE and 0 < _UNIT_VALUE[tokens[j]] < 10:
            value += _UNIT_VALUE[tokens[j]]
            j += 1
    elif j < n and tokens[j] in _UNIT_VALUE and tokens[j] != "zero":
        value += _UNIT_VALUE[tokens[j]]
        j += 1
    if j == i:
        return None
    return value, j


def parse_number(tokens: Sequence[str], start: int = 0) -> tuple[int, int] | None:
    """Parse the longest canonical cardinal beginning at `tokens[start]`.

    Tokens are lowercase words; "and" between groups and hyphenated tens must already be split
    (see :func:`words_to_number`). Returns (value, end index) or None when no number starts there.
    """
    if start < len(tokens) and tokens[start] == "zero":
        return 0, start + 1
    total = 0
    i = start
    last_scale = MAX_WORDED + 1
    while True:
        chunk = _chunk(tokens, i)
        if chunk is None:
            break
        value, j = chunk
        if j < len(tokens) and tokens[j] in _SCALE_VALUE and _SCALE_VALUE[tokens[j]] < last_scale:
            last_scale = _SCALE_VALUE[tokens[j]]
            total += value * last_scale
            i = j + 1
            continue
        total += value
        i = j
        break
    if i == start:
        return None
    return total, i


def _split_words(words: str) -> list[str]:
    return [t for t in words.lower().replace("-", " ").replace(",", " ").split() if t != "and"]


def words_to_number(words: str) -> int:
    """Read a spelled cardinal: "one thousand two hundred ninety nine" -> 1299.

    Accepts "and", hyphens and commas between words, and a leading "minus".

    Raises:
        ValueError: `words` is not exactly one number (the message quotes it).
    """
    tokens = _split_words(words)
    sign = 1
    if tokens and tokens[0] == "minus":
        sign, tokens = -1, tokens[1:]
    parsed = parse_number(tokens)
    if parsed is None or parsed[1] != len(tokens):
        raise ValueError(f"{words!r} is not a number in words (e.g. 'two hundred five')")
    return sign * parsed[0]


@dataclass(frozen=True)
class OrdinalMatch:
    """An ordinal found in a token list: its value and the tokens it spans."""

    value: int
    start: int
    end: int


def parse_ordinal(tokens: Sequence[str], start: int = 0) -> OrdinalMatch | None:
    """Parse an ordinal ("twenty first", "second", "one hundredth") beginning at `start`."""
    for end in range(min(len(tokens), start + 12), start, -1):
        last = tokens[end - 1]
        if last not in _ORDINAL_TO_CARDINAL:
            continue
        cardinal = [*tokens[start : end - 1], _ORDINAL_TO_CARDINAL[last]]
        parsed = parse_number(cardinal)
        if parsed is not None and parsed[1] == len(cardinal):
            return OrdinalMatch(parsed[0], start, end)
    return None
