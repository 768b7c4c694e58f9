"""Written query templates for the catalog language model: search, filter, price, cart, orders.

Each template is a written sentence with slots (``{brand}``, ``{type}``, ``{types}``,
``{model}``, ``{color}``, ``{size}``, ``{price}``, ``{limit}``, ``{count}``, and the number classes
``{amount}`` (any spoken price), ``{measure}`` (any spoken size), ``{qty}`` (a quantity or
multi-buy), ``{other}`` (another product type of the catalog)); the corpus builder fills them
from catalog products (the number classes from :mod:`voxcart.model.lm.spoken`) and turns the
result into spoken form with the project normalizer, so that "$49.99" and "WH-1000XM5" are
spelled the way people say them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SLOT_RE = re.compile(r"\{(\w+)\}")
SLOTS = frozenset(
    {"brand", "type", "types", "model", "color", "size", "price", "limit", "count", "amount",
     "measure", "qty", "other"}
)  # fmt: skip

# (intent, written template). A template whose slots a product lacks is skipped for it.
TEMPLATES: tuple[tuple[str, str], ...] = (
    ("search", "show me {brand} {types}"),
    ("search", "{brand} {types}"),
    ("search", "{brand} {model}"),
    ("search", "i'm looking for a {brand} {type}"),
    ("search", "do you have {brand} {types}"),
    ("search", "do you sell {types}"),
    ("search", "search for {brand} {model}"),
    ("search", "find {types} from {brand}"),
    ("search", "what {brand} {types} do you have"),
    ("search", "i want to buy a {type}"),
    ("search", "show me the {model}"),
    ("filter", "{brand} {types} under {limit}"),
    ("filter", "show me {types} under {limit}"),
    ("filter", "{types} less than {limit}"),
    ("filter", "cheap {brand} {types} below {limit}"),
    ("filter", "best {types} under {limit}"),
    ("filter", "{color} {brand} {types}"),
    ("filter", "{types} in {color}"),
    ("filter", "{size} {brand} {types}"),
    ("filter", "{brand} {types} {size}"),
    ("filter", "{size} {types} in {color}"),
    ("lookup", "do you have the {model} in {color}"),
    ("lookup", "do you have the {brand} {model} in {size}"),
    ("lookup", "is the {brand} {model} in stock"),
    ("price", "how much is the {brand} {model}"),
    ("price", "what's the price of the {model}"),
    ("price", "how much does the {brand} {type} cost"),
    ("price", "is the {model} still {price}"),
    ("price", "{brand} {model} for {price}"),
    ("price", "is the {model} on sale"),
    ("cart", "add the {brand} {model} to my cart"),
    ("cart", "add {count} {brand} {model} to my cart"),
    ("cart", "add the {color} {model} to my cart"),
    ("cart", "add the {size} {brand} {type} to my cart"),
    ("cart", "put the {brand} {model} in my cart"),
    ("cart", "buy the {brand} {model}"),
    ("cart", "remove the {model} from my cart"),
    ("cart", "take the {brand} {type} out of my cart"),
    ("cart", "delete the {brand} {model} from my cart"),
    ("order", "track my {model} order"),
    ("order", "where is my {brand} {type}"),
    ("order", "when will my {type} arrive"),
    ("order", "has my {brand} order shipped"),
    ("order", "cancel my order for the {model}"),
    ("order", "return the {brand} {model}"),
    ("order", "reorder my {type}"),
    ("order", "order more {brand} {type}"),
    ("order", "buy {brand} {model} again"),
    ("order", "reorder the {size} {model}"),
    # General shopping phrasing with the number classes (comparisons, superlatives, amounts).
    ("compare", "compare {brand} {types}"),
    ("compare", "compare the {model} and the {brand} {type}"),
    ("compare", "which {type} is the cheapest"),
    ("compare", "what is the cheapest {type}"),
    ("compare", "show me the cheapest {types}"),
    ("compare", "what's the best {type} for the money"),
    ("compare", "is the {model} better than the {brand} {type}"),
    ("compare", "{types} and {other}"),
    ("compare", "{brand} {types} or {other}"),
    ("filter", "{types} between {amount} and {limit}"),
    ("filter", "{types} for about {amount}"),
    ("filter", "{types} under {amount}"),
    ("filter", "{brand} {type} around {amount}"),
    ("filter", "a {measure} of {type}"),
    ("filter", "{brand} {type} {measure}"),
    ("filter", "the {measure} {brand} {type}"),
    ("filter", "do you have a bigger {type}"),
    ("filter", "i need a {measure}"),
    ("price", "is the {brand} {type} {amount}"),
    ("price", "{qty} {brand} {types}"),
    ("price", "are the {types} {qty}"),
    ("price", "i saw it for {amount}"),
    ("cart", "add {qty} to my cart"),
    ("cart", "add {count} {types} and a {other}"),
    ("cart", "i want {qty} of the {brand} {type}"),
    ("cart", "get me {count} {measure} {types}"),
    ("cart", "change the quantity to {qty}"),
    ("order", "reorder the {brand} {type} and the {other}"),
)

# Queries with no catalog slot, added once each.
FIXED_QUERIES: tuple[str, ...] = (
    "where is my order",
    "where's my package",
    "track my order",
    "show my cart",
    "what's in my cart",
    "empty my cart",
    "check out",
    "go to checkout",
    "show me today's deals",
    "what's on sale",
    "cancel my order",
    "i want to return an item",
)

PRICE_LIMITS: tuple[int, ...] = (
    20, 25, 30, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 3000,
)  # fmt: skip


@dataclass(frozen=True)
class Template:
    """One parsed template: its intent, text and the slots it needs."""

    intent: str
    text: str
    slots: frozenset[str]


def parse_templates(
    templates: tuple[tuple[str, str], ...] = TEMPLATES,
) -> tuple[Template, ...]:
    """Parse ``(intent, text)`` pairs, checking every slot name.

    Raises:
        ValueError: a template uses a slot outside :data:`SLOTS`.
    """
    parsed: list[Template] = []
    for intent, text in templates:
        slots = frozenset(SLOT_RE.findall(text))
        unknown = slots - SLOTS
        if unknown:
            raise ValueError(
                f"template {text!r} uses unknown slot(s) {sorted(unknown)}; allowed: "
                f"{sorted(SLOTS)}"
            )
        parsed.append(Template(intent, text, slots))
    return tuple(parsed)


def fill(template: Template, values: dict[str, str]) -> str | None:
    """The template with its slots filled, or None when a needed value is empty."""
    if any(not values.get(slot) for slot in template.slots):
        return None
    return SLOT_RE.sub(lambda m: values[m.group(1)], template.text)
