"""The entity vocabulary of a product catalog: which brands, product types, models and attribute
values shoppers may say, and finding them in normalized transcripts.

Terms are derived from product records by simple, documented rules (see :func:`derive_terms`);
each keeps its most common written form and its normalized (spoken) form.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from voxcart.datasets.catalog.types import (
    TYPE_KEYS,
    ProductText,
    category_types,
    clean_word,
    scalar_text,
    title_head,
    title_types,
    type_source,
)
from voxcart.datasets.text.normalize import normalize
from voxcart.datasets.text.numbers import parse_number
from voxcart.datasets.text.units import UNITS

KINDS: tuple[str, ...] = ("brand", "product_type", "model", "attribute")
# When one spoken span is several kinds of term, the more specific kind wins.
_KIND_PRIORITY = ("model", "brand", "product_type", "attribute")

MODEL_KEYS = frozenset({"model", "model_name", "model_number", "mpn"})
ATTRIBUTE_KEYS = frozenset(
    {
        "color", "colour", "size", "capacity", "storage", "memory", "material", "style",
        "flavor", "flavour", "scent", "finish", "pattern", "screen_size", "connectivity", "fit",
        "length", "width", "weight", "volume", "resolution", "power", "pack_size", "gender",
    }
)  # fmt: skip
MODEL_MODIFIERS = frozenset(
    {"pro", "max", "ultra", "plus", "mini", "lite", "air", "se", "xl", "fe", "mark", "ii", "iii",
     "iv"}
)  # fmt: skip
_GENERATION = frozenset({"gen", "generation"})
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)", re.IGNORECASE)
COMMON_WORDS = frozenset(
    {
        "a", "an", "and", "the", "of", "for", "with", "in", "on", "by", "to", "from", "new",
        "set", "kit", "pack", "edition", "original", "classic", "premium", "wireless",
        "portable", "smart", "bluetooth", "noise", "canceling", "cancelling", "over", "ear",
        "true", "electric", "digital", "black", "white", "silver", "gray", "grey", "blue", "red",
        "green", "pink", "gold", "rose", "men's", "women's", "kids",
    }
)  # fmt: skip
MAX_TERM_CHARS = 255
_UNIT_SPOKEN = frozenset(s for u in UNITS for s in (u.singular, u.plural))
_FEATURE_LETTERS = frozenset({"k", "p", "g", "d"})


@dataclass(frozen=True)
class DerivedTerm:
    """One vocabulary entry: kind, written form, normalized form, products mentioning it."""

    kind: str
    term: str
    normalized: str
    count: int


def _number_then(spoken: list[str]) -> list[str] | None:
    """The words after a leading number (with optional "point" digits), or None."""
    parsed = parse_number(spoken)
    if parsed is None:
        return None
    rest = spoken[parsed[1] :]
    if rest[:1] == ["point"]:
        rest = rest[1:]
        while rest and parse_number(rest[:1]) is not None:
            rest = rest[1:]
    return rest


def is_measure(text: str) -> bool:
    """True for a number with a unit: "256GB", "65 inch", "10 oz", "2.5L"."""
    rest = _number_then(normalize(text).split())
    return rest is not None and " ".join(rest) in _UNIT_SPOKEN


def is_feature(text: str) -> bool:
    """True for a number with a feature letter: "4K", "5G", "3D", "1080p"."""
    rest = _number_then(normalize(text).split())
    return rest is not None and len(rest) == 1 and rest[0] in _FEATURE_LETTERS


def _is_code(words: Sequence[str], i: int, excluded: frozenset[str]) -> bool:
    word = words[i]
    if _ORDINAL.fullmatch(word):
        # "2nd" alone is no model, "2nd Generation" is part of one.
        return i + 1 < len(words) and words[i + 1].lower() in _GENERATION
    return any(c.isalpha() for c in word) or i == 0 or _is_name_word(words[i - 1], excluded)


def _is_name_word(word: str, excluded: frozenset[str]) -> bool:
    if not word or not any(c.isalpha() for c in word) or any(c.isdigit() for c in word):
        return False
    if not any(c.isupper() for c in word):
        return False
    return word.lower() not in COMMON_WORDS and normalize(word) not in excluded


def title_terms(
    title: str, brand: str = "", excluded: frozenset[str] = frozenset()
) -> tuple[str | None, list[str]]:
    """The model phrase and the measure/feature values in a product title.

    Rules (after dropping a leading brand): the first *code* is a word holding a digit that is
    not a measure or feature ("WH-1000XM5", "S24"), or a plain number right after the brand or
    after a capitalized name word ("iPhone 15", "Levi's 501"). The model phrase is up to two
    capitalized name words before it (not common words, not `excluded` normalized words such as
    the product type), the code, and modifiers after it (Pro, Max, Ultra, Mark II, Gen 2, ...):
    "Apple iPhone 15 Pro Max 256GB" -> "iPhone 15 Pro Max". An ordinal is a code only before
    "Gen"/"Generation" ("AirPods Pro 2nd Generation"). Measures ("256GB", "65 inch") and
    features ("4K") anywhere in the title are returned as attribute values.
    """
    raw = title.split()
    # A phrase never runs across brackets or punctuation: "Switch OLED (PS5 ..." -> "PS5".
    starts = [i == 0 or w[0] in "([{" or raw[i - 1][-1] in ",;:)]}|" for i, w in enumerate(raw)]
    kept = [(c, b) for c, b in ((clean_word(w), b) for w, b in zip(raw, starts, strict=True)) if c]
    words = [c for c, _ in kept]
    boundary = [b for _, b in kept]
    brand_spoken = normalize(brand)
    if brand_spoken:
        for k in range(1, min(len(words), len(brand.split()) + 1) + 1):
            if normalize(" ".join(words[:k])) == brand_spoken:
                words, boundary = words[k:], [True, *boundary[k + 1 :]]
                break
    values: list[str] = []
    code: int | None = None
    i = 0
    while i < len(words):
        word = words[i]
        pair = f"{word} {words[i + 1]}" if i + 1 < len(words) else ""
        if word.replace(".", "").replace(",", "").isdigit() and pair and is_measure(pair):
            # Read in context: "2 in 1" is not a measure although "2 in" alone is.
            context = normalize(" ".join(words[i : i + 3]))
            if not context.startswith(normalize(pair)):
                i += 1
                continue
            values.append(pair)
            i += 2
            continue
        if any(c.isdigit() for c in word):
            if is_measure(word) or is_feature(word):
                values.append(word)
            elif code is None and _is_code(words, i, excluded):
                code = i
        i += 1
    if code is None:
        return None, values
    start = code
    while (
        start > 0
        and code - start < 2
        and not boundary[start]
        and _is_name_word(words[start - 1], excluded)
    ):
        start -= 1
    end = code + 1
    while end < len(words) and not boundary[end]:
        word = words[end].lower()
        if word in _GENERATION and end + 1 < len(words) and words[end + 1].isdigit():
            end += 2  # "Gen 2"
        elif word in _GENERATION or word in MODEL_MODIFIERS or word == "+":
            end += 1
        else:
            break
    return " ".join(words[start:end]), values


def _attribute_texts(product: ProductText, keys: Iterable[str]) -> list[str]:
    """The usable text values of these attributes, in key order."""
    found = (scalar_text(product.attributes.get(key)) for key in keys)
    return [value for value in found if value]


def product_terms(
    product: ProductText, derived_types: Sequence[str] | None = None
) -> dict[tuple[str, str], str]:
    """(kind, normalized) -> written form, for every term one product mentions.

    Args:
        product: the product.
        derived_types: product types derived from titles (:func:`title_types`); when given
            they replace the category's.
    """
    found: dict[tuple[str, str], str] = {}

    def add(kind: str, written: str) -> None:
        written = written.strip()
        spoken = normalize(written)
        if spoken and len(spoken) <= MAX_TERM_CHARS and len(written) <= MAX_TERM_CHARS:
            found.setdefault((kind, spoken), written)

    if product.brand:
        add("brand", product.brand)
    types = list(derived_types) if derived_types is not None else category_types(product.category)
    types += _attribute_texts(product, TYPE_KEYS)
    for written in types:
        add("product_type", written)
    excluded = frozenset(w for t in types for w in normalize(t).split())
    for value in _attribute_texts(product, MODEL_KEYS):
        add("model", value)
    model, values = title_terms(product.title, product.brand, excluded)
    if model:
        add("model", model)
    for value in [*values, *_attribute_texts(product, ATTRIBUTE_KEYS)]:
        add("attribute", value)
    return found


def derive_terms(products: Iterable[ProductText]) -> list[DerivedTerm]:
    """The catalog's vocabulary, with how many products mention each term.

    - brand: the brand field.
    - product_type: the `type`/`product_type`/`kind`/`subcategory` attributes; the last
      segment of the category path when most titles name it (:func:`type_source`); otherwise
      the head noun of each title and, where several products share it, its last two words
      (:func:`title_head`, :func:`title_types`): a `category` of departments ("pet",
      "grocery") is not what shoppers say.
    - model: `model`/`model_name`/`model_number`/`mpn` attributes, and the model phrase of
      the title (:func:`title_terms`).
    - attribute: `color`, `size`, `capacity`, ... attributes (short values only) and the
      measures and features found in titles.

    Terms are keyed by (kind, normalized form); the written form kept is the most common one.
    """
    items = list(products)
    derived: list[tuple[str, ...] | None] = [None] * len(items)
    if type_source(items).column == "title":
        derived = list(title_types([title_head(p.title, p.brand) for p in items]))
    counts: Counter[tuple[str, str]] = Counter()
    spellings: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for product, types in zip(items, derived, strict=True):
        for key, written in product_terms(product, types).items():
            counts[key] += 1
            spellings[key][written] += 1
    terms = [
        DerivedTerm(kind, spellings[(kind, spoken)].most_common(1)[0][0], spoken, count)
        for (kind, spoken), count in counts.items()
    ]
    return sorted(terms, key=lambda t: (KINDS.index(t.kind), t.normalized))


@dataclass(frozen=True)
class EntitySpan:
    """A catalog entity found in a token list: tokens[start:end], its kind and spoken text."""

    start: int
    end: int
    kind: str
    text: str


@dataclass(frozen=True)
class EntityVocabulary:
    """Normalized catalog terms by kind, and a longest-match finder over normalized tokens.

    `brands_written` and `models_written` keep the catalog's casing ("JBL", "iPhone 15 Pro"):
    pass them to :func:`voxcart.datasets.text.written_form.to_written` to restore it.
    """

    brands: frozenset[str] = frozenset()
    product_types: frozenset[str] = frozenset()
    models: frozenset[str] = frozenset()
    attributes: frozenset[str] = frozenset()
    brands_written: tuple[str, ...] = ()
    models_written: tuple[str, ...] = ()
    _index: dict[tuple[str, ...], str] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        index: dict[tuple[str, ...], str] = {}
        for kind in reversed(_KIND_PRIORITY):  # later (higher-priority) kinds overwrite
            for term in self.terms(kind):
                if term:
                    index[tuple(term.split())] = kind
        object.__setattr__(self, "_index", index)

    def terms(self, kind: str) -> frozenset[str]:
        """The normalized terms of one kind ("brand", "product_type", "model", "attribute").

        Raises:
            ValueError: `kind` is not one of those.
        """
        by_kind = {
            "brand": self.brands,
            "product_type": self.product_types,
            "model": self.models,
            "attribute": self.attributes,
        }
        if kind not in by_kind:
            raise ValueError(f"kind={kind!r}: use one of {', '.join(KINDS)}")
        return by_kind[kind]

    @property
    def all_terms(self) -> frozenset[str]:
        """Every normalized term, whatever its kind."""
        return self.brands | self.product_types | self.models | self.attributes

    def __len__(self) -> int:
        return len(self._index)

    def match(self, tokens: Sequence[str] | str) -> list[EntitySpan]:
        """Catalog entities in a normalized token list, left to right, longest match first.

        Spans never overlap. A string is normalized and split first.
        """
        words = normalize(tokens).split() if isinstance(tokens, str) else list(tokens)
        longest = max((len(k) for k in self._index), default=0)
        spans: list[EntitySpan] = []
        i = 0
        while i < len(words):
            for length in range(min(longest, len(words) - i), 0, -1):
                key = tuple(words[i : i + length])
                kind = self._index.get(key)
                if kind is not None:
                    spans.append(EntitySpan(i, i + length, kind, " ".join(key)))
                    i += length
                    break
            else:
                i += 1
        return spans
