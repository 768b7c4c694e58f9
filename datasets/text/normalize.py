"""The transcript normalizer: written text to its spoken form, the form WER, LMs and exports use.

The spoken (normalized) form is lowercase words separated by single spaces: no digits, no
punctuation, apostrophes kept only inside words ("don't", "levi's"). Text is always treated as
text: markup such as "<b>" or a CSV formula is punctuation noise, never interpreted.

Rules, applied in this order on the cased text:

1. Markup and unicode: tag-shaped runs ("<b>") become spaces, HTML entities ("&amp;") their
   characters (text, never markup); NFKC; curly quotes and dashes folded; other-script
   digits to ASCII; control and format characters dropped.
2. Resolutions: "1080p" -> "ten eighty p" (480/720/1080/1440/2160/4320).
3. Prices: "$49.99" -> "forty nine dollars ninety nine cents", "€20", "£5", "20 USD", "$5k".
4. Ordinals ("2nd" -> "second"), decades ("90s" -> "nineties").
5. Units after a number (table in :mod:`voxcart.datasets.text.units`): "32GB" / "32 GB" ->
   "thirty two gigabytes", "10 oz" -> "ten ounces", '65"' -> "sixty five inch". "65 in" is read
   as inches only at the end of a phrase or before a display noun (tv, monitor, ...), so that
   "2 in 1" stays "two in one". An oil viscosity grade is not a unit: "5W-30" -> "five w thirty".
6. Model codes: a token mixing letters and digits ("PS5", "1000XM5", "4K") is split into letter
   and digit runs; letter runs of up to three letters are spelled letter by letter, longer ones
   kept as words, digit runs read as numbers. In a hyphenated compound holding a digit
   ("WH-1000XM5"), the hyphens split it and a purely upper-case part of up to three letters is
   spelled too: "WH-1000XM5" -> "w h one thousand x m five"; "65-inch" -> "sixty five inch".
7. Remaining numbers: "1,299" -> "one thousand two hundred ninety nine", "2.5" -> "two point
   five", "007" -> "zero zero seven" (a leading zero means a digit string). Years are not special.
8. Symbols "&", "+", "@", "#1" become "and", "plus", "at", "number"; everything else that is
   not a letter separates words.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

from voxcart.datasets.text.numbers import (
    digits_to_words,
    number_to_words,
    ordinal_to_words,
    words_to_number,
)
from voxcart.datasets.text.units import (
    CURRENCY_BY_CODE,
    CURRENCY_BY_SYMBOL,
    RESOLUTIONS,
    UNIT_BY_SYMBOL,
    Currency,
)

__all__ = ["normalize", "number_to_words", "tokens", "words_to_number"]

_FOLD = str.maketrans(
    {
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
        "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"',
        "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
        "×": "x", "\u200b": " ",
    }
)  # fmt: skip

# A number as written: "1,299", "12", with an optional decimal part; never inside a word.
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NOT_AFTER = r"(?<![A-Za-z0-9.,])"
_END = r"(?![A-Za-z0-9])"

_RESOLUTION_RE = re.compile(_NOT_AFTER + r"(" + "|".join(RESOLUTIONS) + r")[pP]" + _END)
_SYMBOLS = "|".join(re.escape(s) for s in sorted(CURRENCY_BY_SYMBOL, key=len, reverse=True))
_CURRENCY_PREFIX_RE = re.compile(
    r"(?:US)?(" + _SYMBOLS + r")\s?(" + _NUM + r")(?:\s?([kKmMbB])" + _END + r")?"
)
_CODES = "|".join(re.escape(c) for c in sorted(CURRENCY_BY_CODE, key=len, reverse=True))
_CURRENCY_CODE_RE = re.compile(_NOT_AFTER + r"(" + _NUM + r")\s?(" + _CODES + r")" + _END)
_ORDINAL_RE = re.compile(_NOT_AFTER + r"(\d+)(?:st|nd|rd|th|ST|ND|RD|TH)" + _END)
# An SAE oil viscosity grade ("5W-30", "10w40") is said "five w thirty", never as watts.
_VISCOSITY_RE = re.compile(_NOT_AFTER + r"(\d{1,2})[wW]-?(\d{1,2})" + _END)
_DECADE_RE = re.compile(_NOT_AFTER + r"(\d{0,2}[1-9]0)'?s" + _END)
_QUOTE_UNITS = {"'", '"'}
_UNIT_SYMBOLS = "|".join(
    re.escape(s) for s in sorted(UNIT_BY_SYMBOL, key=len, reverse=True) if s not in _QUOTE_UNITS
)
_UNIT_RE = re.compile(
    _NOT_AFTER + r"(" + _NUM + r")(?:[ -]?(" + _UNIT_SYMBOLS + r")" + r"(?![A-Za-z0-9])"
    r"|(['\"]))"
)
_DISPLAY_NOUNS = r"tv|tvs|television|monitor|screen|display|laptop|tablet|class|led|oled|qled|smart"
_INCH_IN_RE = re.compile(
    _NOT_AFTER + r"(" + _NUM + r")[ -]?in(?=\s*(?:$|[^\w\s-]|(?:" + _DISPLAY_NOUNS + r")\b))",
    re.IGNORECASE,
)
_FRACTIONS = {
    "1/2": "one half", "1/3": "one third", "2/3": "two thirds", "1/4": "one quarter",
    "3/4": "three quarters",
}  # fmt: skip
_FRACTION_RE = re.compile(_NOT_AFTER + r"(" + "|".join(_FRACTIONS) + r")(?![0-9/])")
_MODEL_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?![A-Za-z0-9])")
_RUN_RE = re.compile(r"[A-Za-z]+|[0-9]+")
_NUMBER_RE = re.compile(r"(?<![0-9,])(?:(\d{1,3}(?:,\d{3})+|\d+)((?:\.\d+)*)|\.(\d+))")
_HASH_RE = re.compile(r"#\s?(?=\d)")
# Markup is noise, never interpreted: a tag-shaped run ("<b>", "</a>", "<br/>") is a separator.
_TAG_RE = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_SYMBOL_WORDS = str.maketrans({"&": " and ", "+": " plus ", "@": " at "})
_MAX_WORDED_DIGITS = 15  # longer digit strings are read digit by digit (and never int()-parsed)
_MULTIPLIERS = {"k": 10**3, "m": 10**6, "b": 10**9}


def _prepare(text: str) -> str:
    if "<" in text:
        text = _TAG_RE.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    if text.isascii():
        return re.sub(r"[\x00-\x1f\x7f]", " ", text)
    out: list[str] = []
    for ch in text:
        if ch.isascii():
            out.append(" " if ch < " " or ch == "\x7f" else ch)
            continue
        category = unicodedata.category(ch)
        if category == "Nd":
            out.append(str(unicodedata.decimal(ch)))
        elif category[0] == "C":
            # Control characters separate words; format characters (soft hyphen, joiners) vanish.
            out.append("" if category == "Cf" else " ")
        else:
            out.append(ch)
    return "".join(out)


def _int_words(digits: str) -> str:
    digits = digits.replace(",", "")
    if (len(digits) > 1 and digits.startswith("0")) or len(digits) > _MAX_WORDED_DIGITS:
        return digits_to_words(digits)
    return number_to_words(int(digits))


def _number_words(written: str) -> str:
    """Words for a written number: "1,299" -> ..., "2.5" -> "two point five"."""
    whole, _, frac = written.partition(".")
    words = _int_words(whole) if whole else ""
    if frac:
        words = f"{words} point {digits_to_words(frac)}".strip()
    return words


def _is_one(written: str) -> bool:
    return written.replace(",", "") == "1"


def _price(currency: Currency, amount: str, multiplier: str | None = None) -> str:
    whole, _, frac = amount.partition(".")
    if multiplier or len(frac) > 2:
        scaled = _number_words(amount)
        if multiplier:
            scaled += " " + number_to_words(_MULTIPLIERS[multiplier.lower()]).split()[-1]
        return f" {scaled} {currency.major[1]} "
    major = int(whole.replace(",", ""))
    minor = int(frac.ljust(2, "0")) if frac else 0
    parts: list[str] = []
    if major or not minor:
        parts.append(f"{_int_words(whole)} {currency.major[0 if major == 1 else 1]}")
    if minor:
        parts.append(f"{number_to_words(minor)} {currency.minor[0 if minor == 1 else 1]}")
    return " " + " ".join(parts) + " "


def _currency_prefix(m: re.Match[str]) -> str:
    return _price(CURRENCY_BY_SYMBOL[m.group(1)], m.group(2), m.group(3))


def _currency_code(m: re.Match[str]) -> str:
    return _price(CURRENCY_BY_CODE[m.group(2)], m.group(1))


def _unit(m: re.Match[str]) -> str:
    number, symbol = m.group(1), m.group(2) or m.group(3)
    unit = UNIT_BY_SYMBOL[symbol]
    name = unit.singular if _is_one(number) else unit.plural
    return f" {_number_words(number)} {name} "


def _decade(m: re.Match[str]) -> str:
    words = number_to_words(int(m.group(1))).split()
    last = words[-1]
    words[-1] = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return " " + " ".join(words) + " "


def _spell_run(run: str, in_mixed_part: bool) -> str:
    if run.isdigit():
        return _int_words(run)
    if len(run) <= 3 and (in_mixed_part or run.isupper()):
        return " ".join(run)
    return run


def _model(m: re.Match[str]) -> str:
    token = m.group(0)
    if not any(c.isdigit() for c in token) or not any(c.isalpha() for c in token):
        return token
    words: list[str] = []
    for part in token.split("-"):
        mixed = any(c.isdigit() for c in part) and any(c.isalpha() for c in part)
        words += [_spell_run(run, mixed) for run in _RUN_RE.findall(part)]
    return " " + " ".join(words) + " "


def _number(m: re.Match[str]) -> str:
    whole, fracs, bare_frac = m.group(1), m.group(2), m.group(3)
    if bare_frac is not None:
        return f" point {digits_to_words(bare_frac)} "
    # "1.2.3" (a version) reads "one point two point three".
    said = [_int_words(whole), *(digits_to_words(f) for f in fracs.split(".")[1:])]
    return " " + " point ".join(said) + " "


def _final_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _WORD_RE.findall(text)


def normalize(text: str) -> str:
    """The spoken form of `text`: lowercase words, single spaces, numbers and symbols said.

    Pure and idempotent: ``normalize(normalize(x)) == normalize(x)``. Never raises on any
    string; the module docstring lists the rules.

    Raises:
        TypeError: `text` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize needs a str, got {type(text).__name__}")
    if len(text) <= _CACHED_CHARS:
        return _spoken_cached(text)
    return _spoken(text)


_CACHED_CHARS = 512
"""Texts up to this length are remembered (a submit normalizes its transcript twice, an
evaluation its references once per model); longer ones are computed every time."""


@lru_cache(maxsize=8192)
def _spoken_cached(text: str) -> str:
    return _spoken(text)


def _spoken(text: str) -> str:
    s = _prepare(text)
    if any(c.isdigit() for c in s) or "#" in s:
        s = _RESOLUTION_RE.sub(lambda m: f" {RESOLUTIONS[m.group(1)]} p ", s)
        s = _CURRENCY_PREFIX_RE.sub(_currency_prefix, s)
        s = _CURRENCY_CODE_RE.sub(_currency_code, s)
        s = _ORDINAL_RE.sub(lambda m: f" {ordinal_to_words(int(m.group(1)))} ", s)
        s = _DECADE_RE.sub(_decade, s)
        s = _FRACTION_RE.sub(lambda m: f" {_FRACTIONS[m.group(1)]} ", s)
        s = _VISCOSITY_RE.sub(lambda m: f" {_int_words(m.group(1))} w {_int_words(m.group(2))} ", s)
        s = _UNIT_RE.sub(_unit, s)
        s = _INCH_IN_RE.sub(lambda m: f" {_number_words(m.group(1))} inch ", s)
        s = _HASH_RE.sub(" number ", s)
        s = _MODEL_RE.sub(_model, s)
        s = _NUMBER_RE.sub(_number, s)
    s = s.translate(_SYMBOL_WORDS)
    return " ".join(_final_words(s))


def tokens(text: str) -> list[str]:
    """The normalized words of `text` (``normalize(text).split()``)."""
    return normalize(text).split()
