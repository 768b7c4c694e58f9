"""Which words of a catalog name product types: the category column when titles say it, a type
attribute, or the head noun of each title.

A catalog's `category` often holds departments ("pet", "grocery") that no shopper says; this
module decides which column the product types come from (:func:`type_source`) and derives
them from titles when no column will do (:func:`title_head`, :func:`title_types`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from voxcart.datasets.text.normalize import normalize
from voxcart.datasets.text.numbers import parse_number
from voxcart.datasets.text.units import UNIT_BY_SYMBOL

TYPE_KEYS = frozenset({"type", "product_type", "kind", "subcategory"})
MAX_ATTRIBUTE_WORDS = 6  # longest attribute value kept as a term (words)
UNIT_SYMBOLS = frozenset(UNIT_BY_SYMBOL)
_CATEGORY_SPLIT = re.compile(r"\s*(?:>|/|\||»|::)\s*")
_EDGE_PUNCT = "()[]{},;:|\"'!?*"


@dataclass(frozen=True)
class ProductText:
    """The fields of a product that terms are derived from."""

    title: str
    brand: str = ""
    category: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)


def clean_word(word: str) -> str:
    """The word without edge punctuation and brackets."""
    return word.strip(_EDGE_PUNCT)


def scalar_text(value: Any) -> str | None:
    """The value as short text, or None for non-scalars and long or empty text."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    if not text or len(text) > 60 or len(text.split()) > MAX_ATTRIBUTE_WORDS:
        return None
    return text


CONTAINER_WORDS = frozenset(
    {"pack", "packs", "count", "ct", "bag", "bags", "box", "boxes", "bottle", "bottles", "can",
     "cans", "jar", "jars", "tub", "case", "roll", "rolls", "set", "of", "value", "bundle",
     "pouch", "pouches", "refill", "size", "family"}
)  # fmt: skip
MIN_CATEGORY_MATCH = 0.3
"""Share of products whose title names their category for the category to count as a type."""
_HEAD_CUT = re.compile(r"\s*(?:,|\s-\s|\(|\[|\||/\s|\bwith\b|\bfor\b)\s*", re.IGNORECASE)


def _stem(word: str) -> str:
    """A crude singular, enough to compare a category word with a title word."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("es") and word[:-2].endswith(("ch", "sh", "x", "ss")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def category_names_product(category: str, title: str) -> bool:
    """True when the title says the category's last segment ("Headphones" in "... Headphones")."""
    types = category_types(category)
    if not types:
        return False
    wanted = [_stem(w) for w in normalize(types[0]).split()]
    said = {_stem(w) for w in normalize(title).split()}
    return bool(wanted) and wanted[-1] in said


def title_head(title: str, brand: str = "") -> list[str]:
    """The words of a title that name the product, without brand, model, sizes and packaging.

    The title is cut at the first comma, " - ", bracket, "with" or "for"; a leading brand is
    dropped, then trailing words holding digits, unit symbols and packaging words ("30 lb
    Bag", "12 Count", "Pack of 6") are stripped: "Purina Pro Plan Adult Dry Dog Food, 30 lb"
    -> ["pro", "plan", "adult", "dry", "dog", "food"] (normalized).
    """
    head = _HEAD_CUT.split(title, maxsplit=1)[0]
    words = [clean_word(w) for w in head.split()]
    words = [w for w in words if w]
    brand_words = brand.split()
    if brand_words and [w.lower() for w in words[: len(brand_words)]] == [
        w.lower() for w in brand_words
    ]:
        words = words[len(brand_words) :]
    while words and (
        any(c.isdigit() for c in words[-1])
        or words[-1] in UNIT_SYMBOLS
        or words[-1].lower() in CONTAINER_WORDS
        or parse_number([words[-1].lower()]) is not None
    ):
        words.pop()
    return normalize(" ".join(words)).split()


def title_types(heads: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    """Product types of each title head: its last word, and its last two words when that pair
    ends the heads of at least two products ("dog food", "food")."""
    pairs = Counter(" ".join(h[-2:]) for h in heads if len(h) >= 2)
    out: list[tuple[str, ...]] = []
    for head in heads:
        if not head:
            out.append(())
            continue
        pair = " ".join(head[-2:])
        out.append((head[-1], pair) if len(head) >= 2 and pairs[pair] >= 2 else (head[-1],))
    return out


@dataclass(frozen=True)
class TypeSource:
    """Where a catalog's product types come from.

    Attributes:
        column: ``category`` (its last path segment), a type attribute (``type``,
            ``product_type``, ``kind``, ``subcategory``), or ``title`` (derived from titles).
        category_match: share of products with a category whose title names it (None when no
            product has a category).
    """

    column: str
    category_match: float | None = None

    def describe(self) -> str:
        """One line for import reports."""
        if self.column == "title":
            why = (
                "no category or type column"
                if self.category_match is None
                else f"category names the product in only {self.category_match:.0%} of titles"
            )
            return f"product types derived from titles ({why})"
        return f"product types from the {self.column!r} column"


def type_source(products: Sequence[ProductText]) -> TypeSource:
    """Which column holds the product types: a type attribute, else the category when most
    titles name it (at least :data:`MIN_CATEGORY_MATCH`), else the titles themselves."""
    for key in sorted(TYPE_KEYS):
        if any(scalar_text(p.attributes.get(key)) for p in products):
            return TypeSource(key)
    with_category = [p for p in products if category_types(p.category)]
    if not with_category:
        return TypeSource("title")
    share = sum(category_names_product(p.category, p.title) for p in with_category) / len(
        with_category
    )
    return (
        TypeSource("category", share) if share >= MIN_CATEGORY_MATCH else TypeSource("title", share)
    )


def category_types(category: str) -> list[str]:
    """The product type of a category path: its last segment ("Audio > Headphones")."""
    parts = [p.strip() for p in _CATEGORY_SPLIT.split(category) if p.strip()]
    return parts[-1:]
