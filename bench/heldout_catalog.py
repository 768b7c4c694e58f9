"""A held-out catalog and shopper queries in domains the demo does not use (pet, grocery,
garden, auto, toy, beauty), for checking the catalog LM on text nobody tuned it to.

Written independently of ``model/lm/templates.py``: different brands, product types and
phrasings; never import it from the package or use it to edit templates. The `category`
column holds departments, as many retailer exports do, so product types must come from titles.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

# (department, brand, title head, sizes, price)
PRODUCTS: tuple[tuple[str, str, str, tuple[str, ...], float], ...] = (
    ("pet", "Purina", "Purina ONE Chicken Dry Dog Food", ("8 lb", "16.5 lb", "31.1 lb"), 21.48),
    ("pet", "Blue Buffalo", "Blue Buffalo Wilderness Dry Cat Food", ("5 lb", "11 lb"), 34.99),
    ("pet", "Tidy Cats", "Tidy Cats Clumping Cat Litter", ("20 lb", "35 lb"), 17.99),
    ("pet", "KONG", "KONG Classic Dog Toy", ("Medium", "Large"), 12.99),
    ("pet", "Greenies", "Greenies Dental Dog Treats", ("12 oz", "27 oz"), 19.98),
    ("grocery", "Cheerios", "Cheerios Whole Grain Oat Cereal", ("8.9 oz", "18 oz"), 4.79),
    ("grocery", "Barilla", "Barilla Spaghetti Pasta", ("16 oz",), 1.89),
    ("grocery", "Folgers", "Folgers Classic Roast Ground Coffee", ("25.9 oz", "40.3 oz"), 11.47),
    ("grocery", "Chobani", "Chobani Greek Yogurt", ("5.3 oz", "32 oz"), 1.5),
    ("grocery", "Kind", "KIND Dark Chocolate Nuts Bars", ("6 Count", "12 Count"), 7.99),
    ("garden", "Scotts", "Scotts Turf Builder Lawn Fertilizer", ("12.5 lb", "32.3 lb"), 29.98),
    ("garden", "Miracle-Gro", "Miracle-Gro Potting Mix", ("8 qt", "25 qt"), 9.97),
    ("garden", "Fiskars", "Fiskars Bypass Pruning Shears", ("5/8 inch",), 14.99),
    ("garden", "Flexzilla", "Flexzilla Garden Hose", ("50 ft", "100 ft"), 49.99),
    ("auto", "Rain-X", "Rain-X Latitude Wiper Blades", ("22 inch", "26 inch"), 24.99),
    ("auto", "Mobil 1", "Mobil 1 Full Synthetic Motor Oil", ("5 qt",), 29.97),
    ("auto", "Armor All", "Armor All Car Wash Soap", ("64 fl oz",), 8.97),
    ("toy", "LEGO", "LEGO Classic Creative Brick Box", ("790 Pieces",), 59.99),
    ("toy", "Hot Wheels", "Hot Wheels Track Builder Set", ("Unlimited",), 39.99),
    ("toy", "Crayola", "Crayola Washable Markers", ("10 Count", "40 Count"), 7.49),
    ("beauty", "CeraVe", "CeraVe Hydrating Facial Cleanser", ("12 fl oz", "16 fl oz"), 15.99),
    ("beauty", "Neutrogena", "Neutrogena Hydro Boost Water Gel", ("1.7 oz",), 21.49),
    ("beauty", "Maybelline", "Maybelline Great Lash Mascara", ("Blackest Black",), 6.99),
    ("beauty", "Olaplex", "Olaplex No. 3 Hair Perfector", ("3.3 fl oz",), 30.0),
)

# Shopper phrasings, deliberately unlike the LM templates.
PHRASES: tuple[str, ...] = (
    "hey can you find me some {kind}",
    "i'm out of {kind} again",
    "what's the cheapest {kind} you've got",
    "compare {brand} and {other} {kind}",
    "how much for the {size} {brand} {kind}",
    "two for ten dollars on {kind}",
    "i need a {size} bag of {kind}",
    "anything like {brand} {kind} but cheaper",
    "do you carry {brand}",
    "put {n} of the {brand} {kind} in my basket",
    "is the {brand} {kind} under {price}",
    "get me the big {kind}, the {size} one",
)


def write_catalog(path: Path) -> Path:
    """Write the held-out catalog CSV (title, brand, category, price, sku)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "brand", "category", "price", "sku"])
        for i, (department, brand, head, sizes, price) in enumerate(PRODUCTS):
            for j, size in enumerate(sizes):
                title = f"{head}, {size}"
                writer.writerow([title, brand, department, round(price * (1 + j), 2), f"H{i}-{j}"])
    return path


def queries(n: int = 160, seed: int = 13) -> list[str]:
    """`n` written shopper queries over the held-out catalog."""
    rng = np.random.default_rng(seed)
    out: list[str] = []
    for _ in range(n):
        _dep, brand, head, sizes, price = PRODUCTS[int(rng.integers(len(PRODUCTS)))]
        other = PRODUCTS[int(rng.integers(len(PRODUCTS)))][1]
        kind = " ".join(head.split()[-2:]).lower()
        phrase = PHRASES[int(rng.integers(len(PHRASES)))]
        out.append(
            phrase.format(
                kind=kind,
                brand=brand,
                other=other,
                size=sizes[int(rng.integers(len(sizes)))],
                n=int(rng.integers(2, 13)),
                price=f"${int(price * 1.5) + int(rng.integers(1, 90))}",
            )
        )
    return out
