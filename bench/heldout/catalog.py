"""The held-out catalog: invented brands in pet, grocery, beauty, auto, garden and toy products.

None of these brands or product types occurs in the demo catalog
(``voxcart.datasets.demo.catalog``); ``tests/bench/test_heldout.py`` checks that. Two CSV
layouts are written: ``types`` (category is a path ending in the product type, as the README's
catalog section describes) and ``departments`` (category holds only the department, "pet",
"grocery", as many retailer exports do, so product types must come from titles).
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

DEPARTMENTS: tuple[str, ...] = ("pet", "grocery", "beauty", "auto", "garden", "toys")
STYLES: tuple[str, ...] = ("departments", "types")
COLUMNS: tuple[str, ...] = ("title", "brand", "category", "price", "sku", "size", "model")


@dataclass(frozen=True)
class HeldoutProduct:
    """One catalog row.

    Attributes:
        department: one of :data:`DEPARTMENTS`.
        brand: invented manufacturer name.
        kind: the product type as a shopper says it ("dog kibble"), lower case.
        title: the listing title, as a shop shows it.
        size: size, weight, volume or count ("5 lb", "64 fl oz"), or "".
        model: model code ("WB-22"), or "".
        price: price in US dollars.
    """

    department: str
    brand: str
    kind: str
    title: str
    size: str
    model: str
    price: float

    @property
    def sku(self) -> str:
        """A stable sku derived from title and size."""
        digest = hashlib.sha256(f"{self.title}|{self.size}".encode()).hexdigest()[:8]
        return f"HO-{self.department[:3].upper()}-{digest.upper()}"

    @property
    def full_title(self) -> str:
        """The title with its size appended, as listings show variants."""
        return f"{self.title}, {self.size}" if self.size else self.title


def _p(
    department: str, brand: str, kind: str, head: str, variants: str, model: str = ""
) -> list[HeldoutProduct]:
    # variants: "size=price|size=price"; a product without sizes is "=price".
    out = []
    for item in variants.split("|"):
        size, price = item.split("=")
        title = f"{brand} {head}" + (f" {model}" if model else "")
        out.append(HeldoutProduct(department, brand, kind, title, size, model, float(price)))
    return out


PRODUCTS: tuple[HeldoutProduct, ...] = tuple(
    p
    for group in (
        # pet
        _p(
            "pet",
            "Barkwell",
            "dog kibble",
            "Grain Free Chicken Dog Kibble",
            "5 lb=18.49|15 lb=42.99|30 lb=71.99",
        ),
        _p(
            "pet",
            "Whiskerly",
            "cat litter",
            "Unscented Clumping Cat Litter",
            "10 lb=9.99|25 lb=19.49",
        ),
        _p("pet", "Pawtrail", "dog leash", "Retractable Dog Leash", "16 ft=24.95", "RL-16"),
        _p("pet", "Finnhaven", "aquarium filter", "Quiet Flow Aquarium Filter", "=34.99", "AF-40"),
        _p("pet", "Featherby", "bird seed", "Wild Bird Seed Blend", "7 lb=11.29|20 lb=27.99"),
        _p("pet", "Whiskerly", "cat treats", "Salmon Crunch Cat Treats", "3 oz=3.49|12 oz=9.79"),
        _p("pet", "Hopsworth", "timothy hay", "Second Cut Timothy Hay", "48 oz=14.99"),
        _p("pet", "Barkwell", "chew bones", "Peanut Butter Chew Bones", "6 count=12.49"),
        # grocery
        _p(
            "grocery", "Millbrook", "peanut butter", "Creamy Peanut Butter", "16 oz=3.49|40 oz=7.99"
        ),
        _p("grocery", "Sunvale", "jasmine rice", "Thai Jasmine Rice", "2 lb=4.29|10 lb=15.99"),
        _p("grocery", "Tavola Rossa", "pasta sauce", "Marinara Pasta Sauce", "24 oz=3.99"),
        _p(
            "grocery",
            "Oakhollow",
            "maple syrup",
            "Pure Maple Syrup",
            "12 fl oz=9.99|32 fl oz=21.99",
        ),
        _p(
            "grocery",
            "Crisp Canyon",
            "tortilla chips",
            "Restaurant Style Tortilla Chips",
            "13 oz=4.49",
        ),
        _p("grocery", "Greenmoor", "almond milk", "Unsweetened Almond Milk", "64 fl oz=3.79"),
        _p(
            "grocery",
            "Teaholm",
            "green tea",
            "Organic Green Tea Bags",
            "20 count=3.29|100 count=11.99",
        ),
        _p("grocery", "Sunvale", "black beans", "Low Sodium Black Beans", "15 oz=1.19"),
        # beauty
        _p("beauty", "Lumavelle", "sunscreen", "Mineral Sunscreen Lotion", "3 fl oz=15.99"),
        _p("beauty", "Petalique", "lip balm", "Tinted Lip Balm", "=4.99"),
        _p("beauty", "Nordeau", "dry shampoo", "Volumizing Dry Shampoo", "5 oz=8.49"),
        _p("beauty", "Lumavelle", "clay mask", "Charcoal Clay Mask", "4 oz=12.99"),
        _p("beauty", "Petalique", "nail polish", "Gel Nail Polish", "=9.99"),
        _p("beauty", "Silkhaven", "body wash", "Argan Oil Body Wash", "18 fl oz=7.99"),
        _p("beauty", "Nordeau", "curling iron", "Ceramic Curling Iron", "=39.99", "CI-125"),
        _p("beauty", "Velvra", "eyeliner", "Waterproof Eyeliner Pencil", "=6.49"),
        # auto
        _p(
            "auto",
            "Roadmark",
            "wiper blades",
            "All Season Wiper Blades",
            "22 inch=17.99|26 inch=19.99",
            "WB-22",
        ),
        _p("auto", "Torqline", "motor oil", "Full Synthetic Motor Oil 5W-30", "5 quart=27.49"),
        _p("auto", "Voltaro", "car battery", "AGM Car Battery", "=159.99", "H6-760"),
        _p("auto", "Brightpath", "headlight bulbs", "LED Headlight Bulbs", "2 pack=39.99", "H11"),
        _p("auto", "Roadmark", "tire inflator", "Portable Tire Inflator", "=49.99", "TI-150"),
        _p("auto", "Glosskin", "car wash soap", "Foaming Car Wash Soap", "64 fl oz=8.99"),
        _p("auto", "Torqline", "brake pads", "Ceramic Brake Pads", "=44.99", "BP-412"),
        _p("auto", "Voltaro", "jump starter", "Lithium Jump Starter", "=89.99", "JS-2000"),
        # garden
        _p(
            "garden",
            "Verdanto",
            "garden hose",
            "Expandable Garden Hose",
            "50 ft=29.99|100 ft=49.99",
        ),
        _p(
            "garden",
            "Rootwise",
            "potting soil",
            "Organic Potting Soil",
            "8 quart=6.49|16 quart=11.49",
        ),
        _p("garden", "Sprigmore", "pruning shears", "Bypass Pruning Shears", "=16.99", "PS-8"),
        _p("garden", "Verdanto", "sprinkler", "Oscillating Lawn Sprinkler", "=22.49", "OS-3600"),
        _p("garden", "Rootwise", "plant food", "Tomato Plant Food", "3 lb=9.49"),
        _p("garden", "Hollybank", "leaf blower", "Cordless Leaf Blower", "=129.00", "LB-40"),
        _p("garden", "Sprigmore", "garden bed", "Cedar Raised Garden Bed", "4 ft=79.99"),
        _p("garden", "Hollybank", "lawn mower", "Push Lawn Mower", "21 inch=349.00", "LM-21"),
        # toys
        _p(
            "toys",
            "Brickfolk",
            "building set",
            "Castle Building Set",
            "1500 pieces=89.99",
            "BF-1500",
        ),
        _p(
            "toys",
            "Zoomkins",
            "remote control car",
            "Off Road Remote Control Car",
            "=34.99",
            "RC-88",
        ),
        _p(
            "toys",
            "Puzzlewright",
            "jigsaw puzzle",
            "Mountain Lake Jigsaw Puzzle",
            "500 pieces=11.99|1000 pieces=14.99",
        ),
        _p("toys", "Doodlebug", "crayons", "Washable Crayons", "24 count=2.99|64 count=5.49"),
        _p("toys", "Zoomkins", "dart blaster", "Foam Dart Blaster", "=24.99", "DB-12"),
        _p("toys", "Cuddlewick", "teddy bear", "Plush Teddy Bear", "12 inch=15.99|18 inch=24.99"),
        _p("toys", "Timbertot", "train set", "Wooden Train Set", "52 pieces=49.99"),
        _p("toys", "Starlark", "telescope", "Kids Refractor Telescope", "=59.99", "KT-70"),
    )
    for p in group
)


def brands() -> tuple[str, ...]:
    """The catalog's brands, sorted."""
    return tuple(sorted({p.brand for p in PRODUCTS}))


def kinds() -> tuple[str, ...]:
    """The catalog's product types, sorted."""
    return tuple(sorted({p.kind for p in PRODUCTS}))


def write_catalog(path: Path, style: str = "departments") -> Path:
    """Write the catalog as a CSV that ``voxcart catalog import`` reads.

    Args:
        path: the CSV file to write (folders are created).
        style: ``departments`` (category = "pet", "grocery", ...) or ``types`` (category =
            "Pet > Dog Kibble").

    Raises:
        ValueError: `style` is not one of :data:`STYLES`.
    """
    if style not in STYLES:
        raise ValueError(f"style={style!r}: use one of {', '.join(STYLES)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for p in PRODUCTS:
            category = (
                p.department
                if style == "departments"
                else f"{p.department.title()} > {p.kind.title()}"
            )
            writer.writerow(
                [p.full_title, p.brand, category, f"{p.price:.2f}", p.sku, p.size, p.model]
            )
    return path
