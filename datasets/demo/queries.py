"""Spoken shopping queries for the demo project, generated from templates over the demo catalog.

Each query has a written form (how a customer would type it: "show me Sony earbuds under $50")
and its spoken form from the project normalizer ("show me sony earbuds under fifty dollars"),
which is what the demo synthesizes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from voxcart.datasets.demo.catalog import DemoProduct
from voxcart.datasets.text.normalize import normalize

PRICE_STEPS: tuple[int, ...] = (
    20,
    25,
    50,
    75,
    100,
    150,
    200,
    300,
    500,
    750,
    1000,
    1500,
    2000,
    3000,
)
_MASS_OR_PLURAL = frozenset(
    {
        "headphones", "earbuds", "running shoes", "sneakers", "jeans", "socks", "leggings",
        "coffee pods", "ground coffee", "coffee beans", "cereal", "snack bars", "oatmeal",
        "sparkling water", "olive oil", "mascara", "fleece",
    }
)  # fmt: skip
_REORDERABLE = frozenset({"Coffee & Groceries", "Beauty"})
_LETTER_SIZES = {"S": "small", "M": "medium", "L": "large", "XL": "XL"}
_ATTEMPTS_PER_QUERY = 50


@dataclass(frozen=True)
class DemoQuery:
    """One demo query.

    Attributes:
        written: the query as a customer would type it.
        spoken: its normalized spoken form (what is synthesized and what a model should output).
        intent: what the customer wants (search, filter, product_lookup, price_check,
            add_to_cart, remove_from_cart, order_status, reorder).
        product_sku: the catalog product the query is about, where it names one specific product.
        entities: the catalog terms the query mentions, as written (brand, model, kind, ...).
    """

    written: str
    spoken: str
    intent: str
    product_sku: str | None
    entities: tuple[str, ...]


@dataclass(frozen=True)
class _Draft:
    written: str
    intent: str
    specific: bool
    entities: tuple[str, ...]


def _kind(product: DemoProduct, plural: bool) -> str:
    word = "TV" if product.kind == "tv" else product.kind
    if not plural or product.kind in _MASS_OR_PLURAL:
        return word
    if word.endswith("mouse"):
        return word[: -len("mouse")] + "mice"
    if word.endswith(("ch", "sh", "s")):
        return word + "es"
    return word + "s"


def _size_phrase(product: DemoProduct) -> str:
    size = product.size
    if size in _LETTER_SIZES:
        return f"size {_LETTER_SIZES[size]}"
    waist = re.fullmatch(r"(\d+)x\d+", size)
    if waist:
        return f"size {waist.group(1)}"
    return size.lower() if "Edition" in size else size


def _price_text(value: float) -> str:
    return f"${value:,.0f}" if float(value).is_integer() else f"${value:,.2f}"


def _threshold(price: float) -> int:
    return next((step for step in PRICE_STEPS if step >= price * 1.05), PRICE_STEPS[-1])


def _looking_for(product: DemoProduct) -> str:
    phrase = f"{product.brand} {_kind(product, plural=False)}"
    if product.kind in _MASS_OR_PLURAL:
        return phrase
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


Template = Callable[[DemoProduct, np.random.Generator], _Draft | None]
Eligible = Callable[[DemoProduct], bool]


def _any(_product: DemoProduct) -> bool:
    return True


def _has_attribute(product: DemoProduct) -> bool:
    return bool(product.size or product.color)


def _reorderable(product: DemoProduct) -> bool:
    return product.category in _REORDERABLE


def _search(p: DemoProduct, rng: np.random.Generator) -> _Draft:
    kinds = _kind(p, plural=True)
    pair = (p.brand, kinds)
    forms: tuple[tuple[str, tuple[str, ...]], ...] = (
        (f"show me {p.brand} {kinds}", pair),
        (f"{p.brand} {kinds}", pair),
        (f"I'm looking for {_looking_for(p)}", (p.brand, _kind(p, plural=False))),
        (f"do you sell {p.brand} {kinds}", pair),
        (f"show me {kinds} from {p.brand}", pair),
        (f"what {p.brand} {kinds} do you have", pair),
        (f"search for {p.brand} {p.model}", (p.brand, p.model)),
    )
    written, entities = forms[int(rng.integers(len(forms)))]
    return _Draft(written, "search", specific=False, entities=entities)


def _filter_price(p: DemoProduct, rng: np.random.Generator) -> _Draft:
    limit = _price_text(_threshold(p.price))
    kinds = _kind(p, plural=True)
    forms = (
        (f"{p.brand} {kinds} under {limit}", (p.brand, kinds, limit)),
        (f"show me {kinds} under {limit}", (kinds, limit)),
        (f"{kinds} less than {limit}", (kinds, limit)),
        (f"cheap {p.brand} {kinds} below {limit}", (p.brand, kinds, limit)),
    )
    written, entities = forms[int(rng.integers(len(forms)))]
    return _Draft(written, "filter", specific=False, entities=entities)


def _filter_attribute(p: DemoProduct, rng: np.random.Generator) -> _Draft | None:
    if not p.size and not p.color:
        return None
    kinds = _kind(p, plural=True)
    color = p.color.lower()
    size = _size_phrase(p)
    if p.size and p.color:
        if size.startswith("size"):
            written = f"{color} {p.brand} {kinds} {size}"
        else:
            written = f"{size} {p.brand} {kinds} in {color}"
        entities: tuple[str, ...] = (color, p.brand, kinds, size)
    elif p.size:
        written = (
            f"{p.brand} {kinds} {size}" if size.startswith("size") else f"{size} {p.brand} {kinds}"
        )
        entities = (p.brand, kinds, size)
    else:
        written = f"{color} {p.brand} {kinds}" if rng.random() < 0.5 else f"{kinds} in {color}"
        entities = (color, p.brand, kinds) if p.brand in written else (kinds, color)
    return _Draft(written, "filter", specific=False, entities=entities)


def _lookup(p: DemoProduct, rng: np.random.Generator) -> _Draft:
    if p.color and rng.random() < 0.6:
        written = f"do you have the {p.model} in {p.color.lower()}"
        entities: tuple[str, ...] = (p.model, p.color.lower())
    elif p.size and rng.random() < 0.5:
        written = f"do you have the {p.brand} {p.model} in {_size_phrase(p)}"
        entities = (p.brand, p.model, _size_phrase(p))
    else:
        written = f"is the {p.brand} {p.model} in stock"
        entities = (p.brand, p.model)
    return _Draft(written, "product_lookup", specific=True, entities=entities)


def _price_check(p: DemoProduct, rng: np.random.Generator) -> _Draft:
    price = _price_text(p.price)
    forms = (
        (f"how much is the {p.brand} {p.model}", (p.brand, p.model)),
        (f"what's the price of the {p.model}", (p.model,)),
        (f"is the {p.model} still {price}", (p.model, price)),
        (f"{p.brand} {p.model} for {price}", (p.brand, p.model, price)),
    )
    written, entities = forms[int(rng.integers(len(forms)))]
    return _Draft(written, "price_check", specific=True, entities=entities)


def _add_to_cart(p: DemoProduct, rng: np.random.Generator) -> _Draft:
    kind = _kind(p, plural=False)
    size = _size_phrase(p)
    choice = int(rng.integers(4))
    written: str
    entities: tuple[str, ...]
    if choice == 0 and p.size and not size.startswith("size"):
        written, entities = f"add the {size} {p.brand} {kind} to my cart", (size, p.brand, kind)
    elif choice == 1 and p.color:
        color = p.color.lower()
        written, entities = f"add the {color} {p.model} to my cart", (color, p.model)
    elif choice == 2 and p.category in _REORDERABLE:
        count = int(rng.integers(2, 5))
        written = f"add {count} {p.brand} {p.model} to my cart"
        entities = (str(count), p.brand, p.model)
    elif choice == 3:
        written, entities = f"buy the {p.brand} {p.model}", (p.brand, p.model)
    else:
        written, entities = f"put the {p.brand} {p.model} in my cart", (p.brand, p.model)
    return _Draft(written, "add_to_cart", specific=True, entities=entities)


def _remove(p: DemoProduct, rng: np.random.Generator) -> _Draft:
    forms = (
        (f"remove the {p.model} from my cart", (p.model,)),
        (f"take the {p.brand} {_kind(p, False)} out of my cart", (p.brand, _kind(p, False))),
        (f"delete the {p.brand} {p.model} from my cart", (p.brand, p.model)),
    )
    written, entities = forms[int(rng.integers(len(forms)))]
    return _Draft(written, "remove_from_cart", specific=True, entities=entities)


def _order_status(p: DemoProduct, rng: np.random.Generator) -> _Draft:
    kind = _kind(p, plural=False)
    forms = (
        ("where is my order", ()),
        ("where's my package", ()),
        (f"where is my {p.brand} {kind}", (p.brand, kind)),
        (f"track my {p.model} order", (p.model,)),
        (f"when will my {kind} arrive", (kind,)),
        (f"has my {p.brand} order shipped", (p.brand,)),
        (f"cancel my order for the {p.model}", (p.model,)),
    )
    written, entities = forms[int(rng.integers(len(forms)))]
    return _Draft(written, "order_status", specific=bool(entities), entities=entities)


def _reorder(p: DemoProduct, rng: np.random.Generator) -> _Draft | None:
    if p.category not in _REORDERABLE:
        return None
    kind = _kind(p, plural=False)
    forms = (
        (f"reorder my {kind}", (kind,)),
        (f"order more {p.brand} {kind}", (p.brand, kind)),
        (f"buy {p.brand} {p.model} again", (p.brand, p.model)),
        (f"reorder the {p.size} {p.model}", (p.size, p.model))
        if p.size
        else (f"reorder {p.model}", (p.model,)),
    )
    written, entities = forms[int(rng.integers(len(forms)))]
    return _Draft(written, "reorder", specific=True, entities=entities)


# Relative weights: searches and filters dominate real voice-search traffic.
TEMPLATES: tuple[tuple[Template, float, Eligible], ...] = (
    (_search, 0.20, _any),
    (_filter_price, 0.15, _any),
    (_filter_attribute, 0.15, _has_attribute),
    (_lookup, 0.10, _any),
    (_price_check, 0.10, _any),
    (_add_to_cart, 0.12, _any),
    (_remove, 0.06, _any),
    (_order_status, 0.06, _any),
    (_reorder, 0.06, _reorderable),
)


def _style(text: str, rng: np.random.Generator) -> str:
    """Typing habits: some customers type all lowercase, some start with a capital, some add '?'."""
    roll = rng.random()
    if roll < 0.3:
        text = text.lower()
    elif roll < 0.7 and text.split(" ", 1)[0].islower():
        text = text[:1].upper() + text[1:]
    question = text.lower().startswith(("do ", "is ", "how ", "what", "where", "when", "has "))
    if question and rng.random() < 0.5:
        text += "?"
    return text


def generate_queries(
    catalog_rows: Sequence[DemoProduct], n: int = 300, seed: int = 0
) -> list[DemoQuery]:
    """Draw `n` distinct queries over the catalog.

    Args:
        catalog_rows: the products queries may mention (e.g. :func:`demo_products`).
        n: how many queries; fewer are returned only if the catalog is too small to give `n`
            distinct spoken texts.
        seed: the same seed and catalog give the same queries in the same order.

    Raises:
        ValueError: `n` is negative or the catalog is empty while `n` > 0.
    """
    if n < 0:
        raise ValueError(f"n={n} must be zero or positive")
    if n and not catalog_rows:
        raise ValueError("catalog_rows is empty; pass demo_products() or another product list")
    rng = np.random.default_rng(seed)
    pools = [[p for p in catalog_rows if eligible(p)] for _, _, eligible in TEMPLATES]
    weights = np.array(
        [w if pool else 0.0 for (_, w, _), pool in zip(TEMPLATES, pools, strict=True)]
    )
    weights = weights / weights.sum()
    seen: set[str] = set()
    queries: list[DemoQuery] = []
    attempts = 0
    while len(queries) < n and attempts < n * _ATTEMPTS_PER_QUERY:
        attempts += 1
        pick = int(rng.choice(len(TEMPLATES), p=weights))
        pool = pools[pick]
        product = pool[int(rng.integers(len(pool)))]
        draft = TEMPLATES[pick][0](product, rng)
        if draft is None:
            continue
        written = _style(draft.written, rng)
        spoken = normalize(written)
        if not spoken or spoken in seen:
            continue
        seen.add(spoken)
        queries.append(
            DemoQuery(
                written=written,
                spoken=spoken,
                intent=draft.intent,
                product_sku=product.sku if draft.specific else None,
                entities=draft.entities,
            )
        )
    return queries
