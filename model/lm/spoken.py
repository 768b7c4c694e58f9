"""Spoken numbers, prices, sizes and quantities: the number classes of the catalog LM.

Shoppers say amounts the catalog never prints: "ninety nine thousand", "fourteen ninety nine
dollars and ninety nine cents", "two for ten dollars", "a five pound bag". These generators
sample such phrases (in spoken form, the way :mod:`voxcart.datasets.text.numbers` spells
numbers, plus the common variants the normalizer does not write, such as "and" before cents
and a singular unit before a noun) so that the LM gives them context, not only unigrams.
"""

from __future__ import annotations

import math

import numpy as np

from voxcart.datasets.text.numbers import number_to_words
from voxcart.datasets.text.units import UNITS

MAX_AMOUNT = 99_999
# Units people say sizes with in shopping queries (spoken singular, plural).
SIZE_UNITS: tuple[tuple[str, str], ...] = tuple(
    (u.singular, u.plural)
    for u in UNITS
    if u.singular
    in {
        "ounce", "fluid ounce", "pound", "kilogram", "gram", "milliliter", "liter", "gallon",
        "quart", "foot", "inch", "pack", "count", "terabyte", "gigabyte", "watt", "volt",
        "milliamp hour", "centimeter", "millimeter", "meter",
    }
)  # fmt: skip
CONTAINERS: tuple[str, ...] = (
    "bag", "box", "bottle", "can", "jar", "pack", "case", "tub", "roll", "bundle", "set",
)  # fmt: skip


def sample_amount(rng: np.random.Generator, high: int = MAX_AMOUNT) -> int:
    """A whole amount from 1 to `high`, log-uniform (small amounts are said more often)."""
    return max(1, min(high, int(math.exp(rng.uniform(0.0, math.log(high + 1))))))


def spoken_price(rng: np.random.Generator) -> str:
    """A spoken US price: "forty nine dollars", "... dollars and ninety nine cents", "... bucks"."""
    dollars = sample_amount(rng)
    cents = int(rng.choice([0, 0, 99, 95, 49, 50, 25, int(rng.integers(1, 100))]))
    major = f"{number_to_words(dollars)} {'dollar' if dollars == 1 else 'dollars'}"
    if not cents:
        return major if rng.random() < 0.9 else f"{number_to_words(dollars)} bucks"
    minor = f"{number_to_words(cents)} {'cent' if cents == 1 else 'cents'}"
    joiner = " and " if rng.random() < 0.5 else " "
    return f"{major}{joiner}{minor}"


def spoken_size(rng: np.random.Generator) -> str:
    """A spoken size: "five pounds", "a five pound bag", "one point five liters", "twelve pack"."""
    singular, plural = SIZE_UNITS[int(rng.integers(0, len(SIZE_UNITS)))]
    value = sample_amount(rng, 500)
    number = number_to_words(value)
    if rng.random() < 0.2:
        number = f"{number} point {number_to_words(int(rng.integers(1, 10)))}"
    style = rng.random()
    if style < 0.45:
        return f"{number} {singular if value == 1 and 'point' not in number else plural}"
    container = CONTAINERS[int(rng.integers(0, len(CONTAINERS)))]
    article = "a " if rng.random() < 0.5 else ""
    return f"{article}{number} {singular} {container}"


def spoken_quantity(rng: np.random.Generator) -> str:
    """A spoken quantity or multi-buy: "two for ten dollars", "a pack of six", "three of them"."""
    n = int(rng.integers(2, 25))
    words = number_to_words(n)
    style = int(rng.integers(0, 6))
    if style == 0:
        return f"{words} for {number_to_words(sample_amount(rng, 100))} dollars"
    if style == 1:
        return f"a pack of {words}"
    if style == 2:
        return f"{words} of them"
    if style == 3:
        return f"buy {words} get one free"
    if style == 4:
        return f"{words} pack"
    return f"{words}"


def number_sentences(count: int, seed: int) -> list[str]:
    """`count` short sentences of amounts alone and in price/size/quantity phrases."""
    rng = np.random.default_rng(seed)
    out: list[str] = []
    for i in range(count):
        kind = i % 4
        if kind == 0:
            out.append(number_to_words(sample_amount(rng)))
        elif kind == 1:
            out.append(spoken_price(rng))
        elif kind == 2:
            out.append(spoken_size(rng))
        else:
            out.append(spoken_quantity(rng))
    return out
