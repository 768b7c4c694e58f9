"""Units, sizes and currencies of product text: how each is written and how it is said.

One table serves both directions: the normalizer reads "32GB" as "thirty two gigabytes" and
the inverse normalizer writes "thirty two gigabytes" back as "32GB".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """A unit: the written symbols that mean it and its spoken singular and plural.

    Attributes:
        symbols: written forms after a number, matched case-sensitively ("GB", "W").
        singular: spoken form after "one".
        plural: spoken form after any other number.
        written: the symbol the inverse normalizer writes.
        attach: write the symbol without a space ("32GB") rather than with one ("10 oz").
    """

    symbols: tuple[str, ...]
    singular: str
    plural: str
    written: str
    attach: bool = True


UNITS: tuple[Unit, ...] = (
    Unit(("TB", "tb", "Tb"), "terabyte", "terabytes", "TB"),
    Unit(("GB", "gb", "Gb"), "gigabyte", "gigabytes", "GB"),
    Unit(("MB", "mb"), "megabyte", "megabytes", "MB"),
    Unit(("KB", "kb"), "kilobyte", "kilobytes", "KB"),
    Unit(("mAh", "mah", "MAH"), "milliamp hour", "milliamp hours", "mAh"),
    Unit(("GHz", "ghz", "Ghz"), "gigahertz", "gigahertz", "GHz"),
    Unit(("MHz", "mhz", "Mhz"), "megahertz", "megahertz", "MHz"),
    Unit(("kHz", "khz", "KHz"), "kilohertz", "kilohertz", "kHz"),
    Unit(("Hz", "hz"), "hertz", "hertz", "Hz"),
    Unit(("MP", "mp"), "megapixel", "megapixels", "MP"),
    Unit(("kW", "kw", "KW"), "kilowatt", "kilowatts", "kW"),
    Unit(("W",), "watt", "watts", "W"),
    Unit(("V",), "volt", "volts", "V"),
    Unit(
        ("fl oz", "fl. oz", "fl. oz.", "fl.oz", "floz"),
        "fluid ounce",
        "fluid ounces",
        "fl oz",
        attach=False,
    ),
    Unit(("oz", "OZ", "Oz"), "ounce", "ounces", "oz", attach=False),
    Unit(("lbs", "lb", "LB", "LBS", "Lbs", "Lb"), "pound", "pounds", "lb", attach=False),
    Unit(("kg", "KG", "Kg", "kgs"), "kilogram", "kilograms", "kg"),
    Unit(("mg",), "milligram", "milligrams", "mg"),
    Unit(("g",), "gram", "grams", "g"),
    Unit(("ml", "mL", "ML"), "milliliter", "milliliters", "ml"),
    Unit(("L", "l", "ltr", "liter", "litre", "liters", "litres"), "liter", "liters", "L"),
    Unit(("gal", "Gal", "GAL"), "gallon", "gallons", "gal", attach=False),
    Unit(("qt", "QT", "Qt"), "quart", "quarts", "qt", attach=False),
    Unit(("ft", "FT", "Ft", "'"), "foot", "feet", "ft", attach=False),
    Unit(('"', "in.", "inches", "inch", "In"), "inch", "inch", "inch", attach=False),
    Unit(("mm", "MM"), "millimeter", "millimeters", "mm"),
    Unit(("cm", "CM"), "centimeter", "centimeters", "cm"),
    Unit(("m",), "meter", "meters", "m"),
    Unit(("pk", "PK", "Pk", "pack"), "pack", "pack", "pack", attach=False),
    Unit(("ct", "CT", "Ct", "count"), "count", "count", "count", attach=False),
    Unit(("°F", "°f"), "degree fahrenheit", "degrees fahrenheit", "°F"),
    Unit(("°C", "°c"), "degree celsius", "degrees celsius", "°C"),
    Unit(("°",), "degree", "degrees", "°"),
    Unit(("%",), "percent", "percent", "%"),
)


@dataclass(frozen=True)
class Currency:
    """A currency: its written symbol and codes and its spoken major/minor unit names."""

    symbol: str
    codes: tuple[str, ...]
    major: tuple[str, str]
    minor: tuple[str, str]


CURRENCIES: tuple[Currency, ...] = (
    Currency("$", ("USD", "usd", "US$"), ("dollar", "dollars"), ("cent", "cents")),
    Currency("€", ("EUR", "eur"), ("euro", "euros"), ("cent", "cents")),
    Currency("£", ("GBP", "gbp"), ("pound", "pounds"), ("penny", "pence")),
    Currency("¥", ("JPY", "jpy"), ("yen", "yen"), ("sen", "sen")),
    Currency("₹", ("INR", "inr"), ("rupee", "rupees"), ("paisa", "paise")),
)

# Display resolutions, said the way people say them ("ten eighty p").
RESOLUTIONS: dict[str, str] = {
    "480": "four eighty",
    "720": "seven twenty",
    "1080": "ten eighty",
    "1440": "fourteen forty",
    "2160": "twenty one sixty",
    "4320": "forty three twenty",
}

UNIT_BY_SYMBOL: dict[str, Unit] = {s: u for u in UNITS for s in u.symbols}
CURRENCY_BY_SYMBOL: dict[str, Currency] = {c.symbol: c for c in CURRENCIES}
CURRENCY_BY_CODE: dict[str, Currency] = {code: c for c in CURRENCIES for code in c.codes}
