"""How evaluation groups clips: by speaker, noise condition, augmentation and query type.

Each slice dimension maps a clip's stored fields (speaker, tags, origin) or its reference text
to one value:

- ``speaker``: the clip's speaker id, ``(unknown)`` where none was recorded.
- ``noise``: the kind in a ``noise:<kind>`` tag, else ``noisy`` where an ``snr:<dB>`` tag
  exists, else ``clean``.
- ``snr``: the ``snr:<dB>`` tag bucketed as ``<10 dB``, ``10-19 dB``, ``>=20 dB``; ``clean``
  without one.
- ``augmentation``: ``testset:<name>`` where tagged so, else ``aug:<preset>``, else
  ``augmented`` for an ``augment`` origin without a tag, else ``original``.
- ``query_type``: :func:`query_type` of the normalized reference.
- ``meta.NAME``: the clip's value of the metadata column NAME (kept from its import
  manifest, inherited by augmented and re-cut copies), ``(none)`` where it has none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from voxcart.datasets.catalog.vocab import EntityVocabulary
from voxcart.datasets.store.clip_meta import META_PREFIX, meta_field, name_problem
from voxcart.model.errors import ModelError
from voxcart.model.eval.metrics import find_prices

SLICE_DIMENSIONS: tuple[str, ...] = ("speaker", "noise", "snr", "augmentation", "query_type")
"""The built-in dimensions; ``meta.NAME`` names a clip metadata column besides these."""
NO_META = "(none)"
DEFAULT_SLICES: tuple[str, ...] = ("speaker", "noise", "augmentation", "query_type")
QUERY_TYPES: tuple[str, ...] = ("search", "filter-price", "cart", "order", "other")

_CART_NOUNS = frozenset({"cart", "basket", "checkout", "bag"})
_CART_VERBS = frozenset({"add", "buy", "purchase", "put", "remove", "delete", "take", "drop"})
_ORDER_WORDS = frozenset(
    {
        "order", "orders", "reorder", "package", "packages", "shipped", "shipping", "ship",
        "delivery", "deliver", "delivered", "track", "tracking", "arrive", "arriving", "again",
        "return", "refund",
    }
)  # fmt: skip
_PRICE_WORDS = frozenset({"price", "prices", "cost", "costs", "cheap", "cheaper", "cheapest"})
_PRICE_PHRASES = (("how", "much"), ("less", "than"), ("more", "than"))
_SEARCH_WORDS = frozenset(
    {"show", "find", "search", "looking", "sell", "stock", "available", "need", "want", "got"}
)
_SEARCH_PHRASES = (("do", "you", "have"), ("what", "kind"), ("is", "there"), ("are", "there"))


@dataclass(frozen=True)
class ClipFacts:
    """The stored fields of a clip that slices are computed from."""

    speaker: str | None
    tags: Sequence[str]
    origin: str
    meta: Mapping[str, str] = field(default_factory=dict)


def _has_phrase(words: Sequence[str], phrases: Iterable[tuple[str, ...]]) -> bool:
    for phrase in phrases:
        n = len(phrase)
        if any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1)):
            return True
    return False


def query_type(reference: str, vocabulary: EntityVocabulary | None = None) -> str:
    """Classify a normalized query by simple rules, checked in this order.

    1. ``cart``: mentions a cart/basket/checkout/bag.
    2. ``order``: mentions orders, packages, shipping, delivery, tracking, returns, reordering
       or buying "again".
    3. ``cart``: starts with add/buy/purchase/put/remove/delete/take/drop.
    4. ``filter-price``: holds a spoken price, "how much", "less/more than" or price words.
    5. ``search``: holds a search cue (show, find, search, looking, sell, stock, "do you
       have", ...) or a catalog entity (with a vocabulary).
    6. ``other``: everything else (greetings, digits, out-of-domain speech).
    """
    words = reference.split()
    present = set(words)
    if present & _CART_NOUNS:
        return "cart"
    if present & _ORDER_WORDS:
        return "order"
    if words and words[0] in _CART_VERBS:
        return "cart"
    if find_prices(words) or present & _PRICE_WORDS or _has_phrase(words, _PRICE_PHRASES):
        return "filter-price"
    if present & _SEARCH_WORDS or _has_phrase(words, _SEARCH_PHRASES):
        return "search"
    if vocabulary is not None and vocabulary.match(words):
        return "search"
    return "other"


def _tag_value(tags: Sequence[str], prefix: str) -> str | None:
    for tag in tags:
        text = str(tag)
        if text.startswith(prefix) and len(text) > len(prefix):
            return text[len(prefix) :]
    return None


def _snr_bucket(value: str | None) -> str:
    if value is None:
        return "clean"
    try:
        db = float(value)
    except ValueError:
        return f"snr {value}"
    if db < 10:
        return "<10 dB"
    return "10-19 dB" if db < 20 else ">=20 dB"


def slice_values(
    facts: ClipFacts,
    reference: str,
    dimensions: Sequence[str],
    vocabulary: EntityVocabulary | None = None,
) -> dict[str, str]:
    """The value of each requested dimension for one clip."""
    values: dict[str, str] = {}
    for dimension in dimensions:
        if dimension == "speaker":
            values[dimension] = facts.speaker or "(unknown)"
        elif dimension == "noise":
            kind = _tag_value(facts.tags, "noise:")
            snr = _tag_value(facts.tags, "snr:")
            values[dimension] = kind or ("noisy" if snr is not None else "clean")
        elif dimension == "snr":
            values[dimension] = _snr_bucket(_tag_value(facts.tags, "snr:"))
        elif dimension == "augmentation":
            test_set = _tag_value(facts.tags, "testset:")
            preset = _tag_value(facts.tags, "aug:")
            if test_set is not None:
                values[dimension] = f"testset:{test_set}"
            elif preset is not None:
                values[dimension] = f"aug:{preset}"
            else:
                values[dimension] = "augmented" if facts.origin == "augment" else "original"
        elif dimension == "query_type":
            values[dimension] = query_type(reference, vocabulary)
        else:
            name = meta_field(dimension)
            if name is not None:
                values[dimension] = facts.meta.get(name) or NO_META
    return values


def check_dimensions(dimensions: Sequence[str]) -> tuple[str, ...]:
    """Return the dimensions, without repeats, when each is known (``meta.NAME`` lower-cased,
    as metadata names are stored).

    Raises:
        ModelError: a dimension is neither one of :data:`SLICE_DIMENSIONS` nor ``meta.NAME``
            with a valid metadata name.
    """
    checked: list[str] = []
    unknown: list[str] = []
    for dimension in dimensions:
        name = meta_field(dimension)
        if name is None:
            (checked if dimension in SLICE_DIMENSIONS else unknown).append(dimension)
            continue
        problem = name_problem(name)
        if problem is not None:
            raise ModelError(
                f"slice {dimension!r}: {problem}; name a metadata column as meta.NAME "
                "(e.g. meta.condition)"
            )
        checked.append(META_PREFIX + name)
    if unknown:
        raise ModelError(
            f"slices={unknown!r} are unknown; use any of {', '.join(SLICE_DIMENSIONS)} or "
            "meta.NAME for a metadata column kept at import (e.g. meta.condition)"
        )
    return tuple(dict.fromkeys(checked))


def group_by(values: Mapping[int, Mapping[str, str]], dimension: str) -> dict[str, list[int]]:
    """Clip ids by their value of one dimension, values sorted by name."""
    groups: dict[str, list[int]] = {}
    for clip_id, per_dimension in values.items():
        groups.setdefault(per_dimension[dimension], []).append(clip_id)
    return dict(sorted(groups.items()))
