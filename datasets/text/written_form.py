"""Inverse text normalization: spoken-form text back to a written form for display and search.

"thirty two gigabytes" -> "32GB", "forty nine dollars ninety nine cents" -> "$49.99",
"p s five" -> "PS5", "jbl" -> "JBL" (with "JBL" among the known brands).

Rules, tried at each word in this order (the first that applies wins):

1. Known brand or product names (the `brands` argument, matched on their normalized form,
   longest first) are written as given: "iphone" -> "iPhone", "w h one thousand x m five" ->
   "WH-1000XM5".
2. Resolutions: "ten eighty p" -> "1080p".
3. Ordinals, only where they are unambiguous: compound ("twenty first" -> "21st") or before
   "generation", "gen", "edition" or "anniversary" ("second generation" -> "2nd generation").
4. Prices: "<n> dollars [and] <m> cents" -> "$n.mm", "<m> cents" -> "$0.mm"; likewise euros,
   yen, rupees and pounds with pence. "Pounds" alone is weight ("five pounds" -> "5 lb").
5. Model codes: up to three single letters and numbers alternating, with at least one of each,
   are joined ("s twenty four" -> "S24", "four k" -> "4K"). A lone "a" or "i" never joins.
6. Numbers with a unit word: "ten ounces" -> "10 oz", "two point five liters" -> "2.5L".
7. Other numbers: digits from ten up and for decimals ("twelve" -> "12", "two point five" ->
   "2.5", "twelve thousand" -> "12,000"); zero to nine stay words ("one", "two").

Every rewrite is checked locally: if the normalizer would not read the written piece (with the
words after it) back to the same spoken words, the words are kept as they are. So
``normalize(to_written(s)) == s`` for normalized `s`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from voxcart.datasets.text.normalize import normalize
from voxcart.datasets.text.numbers import ONES, ORDINAL_WORDS, parse_number, parse_ordinal
from voxcart.datasets.text.units import CURRENCIES, RESOLUTIONS, UNITS, Currency, Unit

_DIGIT_WORDS = {word: str(i) for i, word in enumerate(ONES[:10])}
_ORDINAL_CONTEXT = frozenset({"generation", "gen", "edition", "anniversary"})
_UNIT_BY_SPOKEN: dict[tuple[str, ...], Unit] = {}
for _u in UNITS:
    for _spoken in (_u.plural, _u.singular):
        _UNIT_BY_SPOKEN.setdefault(tuple(_spoken.split()), _u)
_UNIT_LENGTHS = sorted({len(k) for k in _UNIT_BY_SPOKEN}, reverse=True)
_RESOLUTION_BY_SPOKEN = {tuple(f"{spoken} p".split()): f"{w}p" for w, spoken in RESOLUTIONS.items()}
_LOCAL_CONTEXT = 3


@dataclass(frozen=True)
class _Piece:
    """A rewrite of tokens[start:end] into `written`."""

    written: str
    end: int


def _brand_table(brands: Iterable[str]) -> dict[tuple[str, ...], str]:
    table: dict[tuple[str, ...], str] = {}
    for brand in brands:
        key = tuple(normalize(brand).split())
        if key:
            table.setdefault(key, brand.strip())
    return table


def _digits(value: int) -> str:
    return f"{value:,}" if value >= 10_000 else str(value)


def _number_at(tokens: Sequence[str], i: int) -> tuple[str, int, bool] | None:
    """(written number, end index, is decimal) for the number starting at i, or None."""
    parsed = parse_number(tokens, i)
    if parsed is None:
        return None
    value, j = parsed
    if j + 1 < len(tokens) and tokens[j] == "point" and tokens[j + 1] in _DIGIT_WORDS:
        k = j + 1
        while k < len(tokens) and tokens[k] in _DIGIT_WORDS:
            k += 1
        frac = "".join(_DIGIT_WORDS[t] for t in tokens[j + 1 : k])
        return f"{value}.{frac}", k, True
    return _digits(value), j, False


def _ordinal_suffix(value: int) -> str:
    if 10 <= value % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")


def _ordinal(tokens: Sequence[str], i: int) -> _Piece | None:
    if not any(t in ORDINAL_WORDS for t in tokens[i : i + 12]):
        return None
    match = parse_ordinal(tokens, i)
    if match is None:
        return None
    compound = match.end - match.start > 1
    if not compound and (match.end >= len(tokens) or tokens[match.end] not in _ORDINAL_CONTEXT):
        return None
    return _Piece(f"{match.value}{_ordinal_suffix(match.value)}", match.end)


def _currency(tokens: Sequence[str], i: int) -> _Piece | None:
    number = _number_at(tokens, i)
    if number is None:
        return None
    written, j, decimal = number
    if j >= len(tokens):
        return None
    for currency in CURRENCIES:
        if tokens[j] in currency.minor and not decimal:
            return _minor_only(currency, tokens, i, j)
        if tokens[j] in currency.major:
            return _major(currency, tokens, written, decimal, j)
    return None


def _minor_only(currency: Currency, tokens: Sequence[str], i: int, j: int) -> _Piece | None:
    parsed = parse_number(tokens, i)
    if parsed is None or not 0 < parsed[0] < 100:
        return None
    if currency.symbol == "£" and tokens[j] == "cent":
        return None
    return _Piece(f"{currency.symbol}0.{parsed[0]:02d}", j + 1)


def _major(
    currency: Currency, tokens: Sequence[str], written: str, decimal: bool, j: int
) -> _Piece | None:
    k = j + 1
    if k < len(tokens) and tokens[k] == "and":
        k += 1
    minor = parse_number(tokens, k)
    if minor is not None and minor[1] < len(tokens) and tokens[minor[1]] in currency.minor:
        if decimal or not 0 < minor[0] < 100:
            return None
        return _Piece(f"{currency.symbol}{written}.{minor[0]:02d}", minor[1] + 1)
    if currency.symbol == "£":  # "five pounds" without pence is a weight.
        return None
    if decimal:
        return _Piece(f"{written} {tokens[j]}", j + 1)
    return _Piece(f"{currency.symbol}{written}", j + 1)


def _unit(tokens: Sequence[str], i: int) -> _Piece | None:
    number = _number_at(tokens, i)
    if number is None:
        return None
    written, j, _ = number
    for length in _UNIT_LENGTHS:
        unit = _UNIT_BY_SPOKEN.get(tuple(tokens[j : j + length]))
        if unit is not None:
            space = "" if unit.attach else " "
            return _Piece(f"{written}{space}{unit.written}", j + length)
    return None


def _letters(tokens: Sequence[str], i: int) -> int:
    """End of the run of single-letter tokens starting at i (at most 3; a lone a/i is no run)."""
    j = i
    while j < len(tokens) and j - i < 3 and len(tokens[j]) == 1 and tokens[j].isalpha():
        j += 1
    if j - i == 1 and tokens[i] in {"a", "i"}:
        return i
    return j


def _model_code(tokens: Sequence[str], i: int) -> _Piece | None:
    parts: list[str] = []
    j = i
    while j < len(tokens):
        end = _letters(tokens, j)
        if end > j and (not parts or parts[-1][-1].isdigit()):
            if end - j == 3 and end < len(tokens) and len(tokens[end]) == 1:
                break  # four or more single letters: not a code
            parts.append("".join(tokens[j:end]).upper())
            j = end
            continue
        parsed = parse_number(tokens, j)
        if parsed is not None and (not parts or parts[-1][-1].isalpha()):
            parts.append(str(parsed[0]))
            j = parsed[1]
            continue
        break
    written = "".join(parts)
    if not any(c.isdigit() for c in written) or not any(c.isalpha() for c in written):
        return None
    return _Piece(written, j)


def _plain_number(tokens: Sequence[str], i: int) -> _Piece | None:
    number = _number_at(tokens, i)
    if number is None:
        return None
    written, j, decimal = number
    if not decimal and written.isdigit() and int(written) < 10:
        return None
    return _Piece(written, j)


def _resolution(tokens: Sequence[str], i: int) -> _Piece | None:
    for key, written in _RESOLUTION_BY_SPOKEN.items():
        if tuple(tokens[i : i + len(key)]) == key:
            return _Piece(written, i + len(key))
    return None


_Rule = Callable[[Sequence[str], int], "_Piece | None"]


def _reads_back(piece: _Piece, tokens: Sequence[str], i: int) -> bool:
    after = list(tokens[piece.end : piece.end + _LOCAL_CONTEXT])
    # "and" inside a price ("forty nine dollars and ninety nine cents") is not written back.
    span = [t for t in tokens[i : piece.end] if t != "and"]
    return normalize(" ".join([piece.written, *after])).split() == span + after


def to_written(text: str, brands: Iterable[str] = ()) -> str:
    """The written form of spoken text, for display and search (rules in the module docstring).

    Args:
        text: spoken-form text; it is normalized first, so any text is accepted.
        brands: known brand and product names in their display casing ("JBL", "iPhone",
            "WH-1000XM5"); spoken spans that normalize to one of them are written that way.
    """
    tokens = normalize(text).split()
    table = _brand_table(brands)
    lengths = sorted({len(k) for k in table}, reverse=True)

    def brand(tokens: Sequence[str], i: int) -> _Piece | None:
        for length in lengths:
            written = table.get(tuple(tokens[i : i + length]))
            if written is not None:
                return _Piece(written, i + length)
        return None

    rules: tuple[_Rule, ...] = (
        brand, _resolution, _ordinal, _currency, _model_code, _unit, _plain_number,
    )  # fmt: skip
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for rule in rules:
            piece = rule(tokens, i)
            if piece is not None and piece.end > i and _reads_back(piece, tokens, i):
                out.append(piece.written)
                i = piece.end
                break
        else:
            out.append(tokens[i])
            i += 1
    return " ".join(out)
