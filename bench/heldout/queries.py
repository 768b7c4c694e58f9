"""Spoken shopper queries over the held-out catalog, each with its target product and entities.

The phrasings were written for this bench from how people ask a shop assistant ("what's the
cheapest", "compare X and Y", "do you have", "I need a five pound bag of"), independently of the
catalog LM's templates and the demo's queries. Texts are in spoken form (lower-case words, no
digits), so they are both what is synthesized and the reference transcript. Numbers come in the
ways people say them: "fourteen ninety nine", "two for ten dollars", "fifteen hundred piece",
model codes letter by letter or digit by digit, order numbers up to 99,999.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from voxcart.datasets.text.numbers import number_to_words

from .catalog import PRODUCTS, HeldoutProduct

ENTITY_KINDS: tuple[str, ...] = ("brand", "kind", "model", "size", "price", "quantity", "number")
_UNITS: dict[str, tuple[str, str]] = {  # written unit -> (adjective form, plural form)
    "lb": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "fl oz": ("ounce", "ounces"),
    "ft": ("foot", "feet"),
    "inch": ("inch", "inches"),
    "quart": ("quart", "quarts"),
    "count": ("count", "count"),
    "pieces": ("piece", "pieces"),
    "pack": ("pack", "packs"),
}
_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True)
class Entity:
    """A fact a query mentions: its kind (:data:`ENTITY_KINDS`) and catalog (written) value."""

    kind: str
    value: str


@dataclass(frozen=True)
class HeldoutQuery:
    """One spoken query.

    Attributes:
        id: stable id ("q0001"), also the clip id in the manifest.
        text: the spoken words: what is synthesized and the reference transcript.
        target_sku: the product the shopper means, or "" (order tracking, store questions).
        entities: the catalog facts and numbers the query mentions.
        phrasing: the name of the phrasing it was made with.
    """

    id: str
    text: str
    target_sku: str
    entities: tuple[Entity, ...]
    phrasing: str


def say_number(n: int, rng: np.random.Generator | None = None) -> str:
    """`n` in words; 1100-9900 in round hundreds sometimes as "fifteen hundred"."""
    if rng is not None and 1100 <= n < 10_000 and n % 100 == 0 and n % 1000 and rng.random() < 0.5:
        return f"{number_to_words(n // 100)} hundred"
    return number_to_words(n)


def say_size(size: str, rng: np.random.Generator, adjective: bool) -> str:
    """A size such as "5 lb" spoken: "five pound" (before a noun) or "five pounds"."""
    amount, unit = size.split(" ", 1)
    adj, plural = _UNITS[unit]
    value = int(amount)
    word = adj if adjective or value == 1 else plural
    if unit == "fl oz" and rng.random() < 0.3:
        word = "fluid " + word
    return f"{say_number(value, rng)} {word}"


def say_model(code: str, rng: np.random.Generator) -> str:
    """A model code spoken: letters one by one, digits as a number or one digit at a time."""
    words: list[str] = []
    by_digit = rng.random() < 0.35
    for part in code.replace("-", " ").split():
        run = ""
        for ch in part + " ":
            if run and (ch.isdigit() != run[-1].isdigit() or ch == " "):
                if run.isdigit():
                    digits = " ".join(_DIGITS[int(d)] for d in run)
                    words.append(digits if by_digit else say_number(int(run), rng))
                else:
                    words.extend(run.lower())
                run = ""
            if ch != " ":
                run += ch
    return " ".join(words)


def say_price(amount: float, rng: np.random.Generator) -> str:
    """A price the way people say it: "fourteen ninety nine", "fourteen dollars and ninety
    nine cents", "fifteen bucks" (round amounts) or "a dollar nineteen"."""
    cents = round(amount * 100)
    dollars, rest = divmod(cents, 100)
    if rest == 0:
        unit = "bucks" if rng.random() < 0.4 else "dollars"
        return f"{say_number(dollars)} {unit}"
    style = rng.random()
    if dollars == 1 and style < 0.5:
        return f"a dollar {say_number(rest)}"
    if style < 0.55 and dollars >= 2:
        tail = say_number(rest) if rest >= 10 else f"oh {say_number(rest)}"
        return f"{say_number(dollars)} {tail}"
    return f"{say_number(dollars)} dollars and {say_number(rest)} cents"


def _brand(p: HeldoutProduct) -> str:
    return p.brand.lower()


def _sized(rng: np.random.Generator) -> list[HeldoutProduct]:
    return [p for p in PRODUCTS if p.size and p.size.split(" ", 1)[1] in _UNITS]


def _pick(rng: np.random.Generator, items: list[HeldoutProduct]) -> HeldoutProduct:
    return items[int(rng.integers(len(items)))]


_Made = tuple[str, str, tuple[Entity, ...]]


def _ents(p: HeldoutProduct, *kinds: str) -> tuple[Entity, ...]:
    facts = {"brand": p.brand, "kind": p.kind, "model": p.model, "size": p.size}
    return tuple(Entity(k, facts[k]) for k in kinds)


def _do_you_have(rng: np.random.Generator) -> _Made:
    p = _pick(rng, list(PRODUCTS))
    lead = ("do you have", "do you guys carry", "do you sell", "you got any")[int(rng.integers(4))]
    return f"{lead} {_brand(p)} {p.kind}", p.sku, _ents(p, "brand", "kind")


def _cheapest(rng: np.random.Generator) -> _Made:
    p = _pick(rng, list(PRODUCTS))
    same = [q for q in PRODUCTS if q.kind == p.kind]
    best = min(same, key=lambda q: q.price)
    lead = ("what's the cheapest", "show me the cheapest", "which is the cheapest")[
        int(rng.integers(3))
    ]
    return f"{lead} {p.kind} you have", best.sku, _ents(p, "kind")


def _compare(rng: np.random.Generator) -> _Made:
    p = _pick(rng, list(PRODUCTS))
    others = [q for q in PRODUCTS if q.department == p.department and q.brand != p.brand]
    q = _pick(rng, others)
    text = f"compare the {_brand(p)} {p.kind} and the {_brand(q)} {q.kind}"
    return text, p.sku, (*_ents(p, "brand", "kind"), *_ents(q, "brand", "kind"))


def _need_bag(rng: np.random.Generator) -> _Made:
    p = _pick(rng, [q for q in _sized(rng) if q.size.endswith(" lb")])
    return (
        f"i need a {say_size(p.size, rng, True)} bag of {p.kind}",
        p.sku,
        _ents(p, "size", "kind"),
    )


def _how_much_sized(rng: np.random.Generator) -> _Made:
    p = _pick(rng, _sized(rng))
    lead = ("how much is the", "what does the", "what's the price of the")[int(rng.integers(3))]
    tail = " cost" if lead == "what does the" else ""
    text = f"{lead} {say_size(p.size, rng, True)} {_brand(p)} {p.kind}{tail}"
    return text, p.sku, _ents(p, "size", "brand", "kind")


def _under_price(rng: np.random.Generator) -> _Made:
    p = _pick(rng, list(PRODUCTS))
    limit = int(np.ceil(p.price / 5.0) * 5 + 5 * int(rng.integers(0, 3)))
    word = ("under", "less than", "below", "for under")[int(rng.integers(4))]
    unit = "bucks" if rng.random() < 0.3 else "dollars"
    text = f"{p.kind} {word} {say_number(limit)} {unit}"
    if rng.random() < 0.5:
        text = f"i'm looking for {text}"
    return text, p.sku, (*_ents(p, "kind"), Entity("price", f"{limit:.2f}"))


def _still_price(rng: np.random.Generator) -> _Made:
    p = _pick(rng, [q for q in PRODUCTS if q.model])
    text = f"is the {_brand(p)} {say_model(p.model, rng)} still {say_price(p.price, rng)}"
    return text, p.sku, (*_ents(p, "brand", "model"), Entity("price", f"{p.price:.2f}"))


def _add_quantity(rng: np.random.Generator) -> _Made:
    p = _pick(rng, list(PRODUCTS))
    n = int(rng.integers(2, 13))
    lead = ("add", "put", "throw")[int(rng.integers(3))]
    where = ("to my cart", "in my basket", "in the cart")[int(rng.integers(3))]
    text = f"{lead} {say_number(n)} {_brand(p)} {p.kind} {where}"
    return text, p.sku, (*_ents(p, "brand", "kind"), Entity("quantity", str(n)))


def _two_for(rng: np.random.Generator) -> _Made:
    p = _pick(rng, [q for q in PRODUCTS if q.price < 20])
    n = int(rng.integers(2, 5))
    total = int(np.floor(p.price * n * 0.9)) or 1
    text = f"is the {_brand(p)} {p.kind} still {say_number(n)} for {say_number(total)} dollars"
    return (
        text,
        p.sku,
        (*_ents(p, "brand", "kind"), Entity("quantity", str(n)), Entity("price", f"{total:.2f}")),
    )


def _model_lookup(rng: np.random.Generator) -> _Made:
    p = _pick(rng, [q for q in PRODUCTS if q.model])
    lead = ("i'm looking for the", "find the", "do you have the", "where can i find the")[
        int(rng.integers(4))
    ]
    return f"{lead} {say_model(p.model, rng)}", p.sku, _ents(p, "model")


def _order_number(rng: np.random.Generator) -> _Made:
    n = int(rng.integers(10_000, 100_000))
    lead = ("where's my order number", "track order", "what's the status of order number")[
        int(rng.integers(3))
    ]
    return f"{lead} {say_number(n)}", "", (Entity("number", str(n)),)


def _reorder(rng: np.random.Generator) -> _Made:
    p = _pick(rng, list(PRODUCTS))
    text = f"reorder the {_brand(p)} {p.kind} i got last time"
    return text, p.sku, _ents(p, "brand", "kind")


def _comes_in(rng: np.random.Generator) -> _Made:
    families = [q for q in _sized(rng) if sum(r.title == q.title for r in PRODUCTS) > 1]
    p = _pick(rng, families)
    text = f"does the {_brand(p)} {p.kind} come in {say_size(p.size, rng, False)}"
    return text, p.sku, _ents(p, "brand", "kind", "size")


def _on_sale(rng: np.random.Generator) -> _Made:
    p = _pick(rng, list(PRODUCTS))
    lead = ("is there any", "got any", "anything from")[int(rng.integers(3))]
    return f"{lead} {_brand(p)} {p.kind} on sale", p.sku, _ents(p, "brand", "kind")


def _terse(rng: np.random.Generator) -> _Made:
    p = _pick(rng, _sized(rng))
    return (
        f"{_brand(p)} {p.kind} {say_size(p.size, rng, False)}",
        p.sku,
        _ents(p, "brand", "kind", "size"),
    )


def _budget(rng: np.random.Generator) -> _Made:
    p = _pick(rng, list(PRODUCTS))
    limit = int(np.ceil(p.price)) + int(rng.integers(1, 30))
    text = f"i want {p.kind} but it's gotta be under {say_number(limit)} dollars"
    return text, p.sku, (*_ents(p, "kind"), Entity("price", f"{limit:.2f}"))


def _price_check(rng: np.random.Generator) -> _Made:
    p = _pick(rng, list(PRODUCTS))
    lead = ("how much are the", "what do the", "price check on")[int(rng.integers(3))]
    tail = " go for" if lead == "what do the" else ""
    return f"{lead} {_brand(p)} {p.kind}{tail}", p.sku, _ents(p, "brand", "kind")


def _pack_count(rng: np.random.Generator) -> _Made:
    p = _pick(rng, [q for q in _sized(rng) if q.size.endswith(("count", "pieces", "pack"))])
    text = f"can i get the {say_size(p.size, rng, True)} {p.kind} from {_brand(p)}"
    return text, p.sku, _ents(p, "size", "kind", "brand")


def _delivery(rng: np.random.Generator) -> _Made:
    p = _pick(rng, list(PRODUCTS))
    n = int(rng.integers(1, 6))
    when = ("tomorrow", "by friday", "this weekend")[int(rng.integers(3))]
    qty = "a" if n == 1 else say_number(n)
    text = f"can you deliver {qty} {p.kind} {when}"
    return text, p.sku, (*_ents(p, "kind"), Entity("quantity", str(n)))


def _gift(rng: np.random.Generator) -> _Made:
    p = _pick(rng, [q for q in PRODUCTS if q.department == "toys"])
    age = int(rng.integers(3, 13))
    text = f"i need a {p.kind} for a {say_number(age)} year old"
    return text, p.sku, (*_ents(p, "kind"), Entity("number", str(age)))


def _best_rated(rng: np.random.Generator) -> _Made:
    p = _pick(rng, list(PRODUCTS))
    return f"which {p.kind} has the best reviews", p.sku, _ents(p, "kind")


def _exact_price(rng: np.random.Generator) -> _Made:
    p = _pick(rng, list(PRODUCTS))
    text = f"the {p.kind} for {say_price(p.price, rng)}"
    if rng.random() < 0.5:
        text = f"i saw {text} online"
    return text, p.sku, (*_ents(p, "kind"), Entity("price", f"{p.price:.2f}"))


PHRASINGS: dict[str, Callable[[np.random.Generator], _Made]] = {
    "do_you_have": _do_you_have,
    "cheapest": _cheapest,
    "compare": _compare,
    "need_bag": _need_bag,
    "how_much_sized": _how_much_sized,
    "under_price": _under_price,
    "still_price": _still_price,
    "add_quantity": _add_quantity,
    "two_for": _two_for,
    "model_lookup": _model_lookup,
    "order_number": _order_number,
    "reorder": _reorder,
    "comes_in": _comes_in,
    "on_sale": _on_sale,
    "terse": _terse,
    "budget": _budget,
    "price_check": _price_check,
    "pack_count": _pack_count,
    "delivery": _delivery,
    "gift": _gift,
    "best_rated": _best_rated,
    "exact_price": _exact_price,
}


def generate_queries(n: int, seed: int = 0) -> list[HeldoutQuery]:
    """`n` queries, cycling through the phrasings; the same (n, seed) gives the same list.

    Query ``i`` depends only on ``seed`` and ``i``, so a longer list extends a shorter one.

    Raises:
        ValueError: `n` is negative.
    """
    if n < 0:
        raise ValueError(f"n={n} must not be negative")
    names = list(PHRASINGS)
    order = np.random.default_rng([seed, 7]).permutation(len(names))
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, 11, i])
        name = names[int(order[i % len(names)])]
        text, sku, entities = PHRASINGS[name](rng)
        out.append(HeldoutQuery(f"q{i + 1:04d}", " ".join(text.split()), sku, entities, name))
    return out
