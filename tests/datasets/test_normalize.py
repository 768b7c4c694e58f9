"""The normalizer: written text to spoken form, the inverse, and the number words behind both."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voxcart.datasets.text.normalize import normalize, number_to_words, tokens, words_to_number
from voxcart.datasets.text.numbers import ordinal_to_words
from voxcart.datasets.text.written_form import to_written

CASES: dict[str, list[tuple[str, str]]] = {
    "case_punctuation": [
        ("Show me Sony EARBUDS!", "show me sony earbuds"),
        ("  lots   of\tspace\n", "lots of space"),
        ("Don't buy Levi's, ok?", "don't buy levi's ok"),
        ("'quoted' words", "quoted words"),
        ("rock 'n' roll", "rock n roll"),
        ("snake_case and/or dots.", "snake case and or dots"),
        ("AT&T + Disney", "at and t plus disney"),
        ("#1 seller", "number one seller"),
    ],
    "unicode": [
        ("“Smart” TV — 2‑pack", "smart tv two pack"),
        ("it’s great", "it's great"),
        ("café crème", "café crème"),
        ("ｆｕｌｌｗｉｄｔｈ １２", "fullwidth twelve"),
        ("٣ items", "three items"),
        ("soft\u00adhyphen zero\u200bwidth", "softhyphen zero width"),
        ("e\u0301clair", "éclair"),
    ],
    "markup": [
        ("<b>Bold</b> deal", "bold deal"),
        ("Tom &amp; Jerry", "tom and jerry"),
        ("<script>alert(1)</script>", "alert one"),
        ('=HYPERLINK("http://evil","click")', "hyperlink http evil click"),
        ("a < b > c", "a b c"),
    ],
    "cardinals": [
        ("32", "thirty two"),
        ("1,299", "one thousand two hundred ninety nine"),
        ("0", "zero"),
        ("100", "one hundred"),
        ("1000000", "one million"),
        ("2024", "two thousand twenty four"),
        ("007", "zero zero seven"),
        ("1, 2, 3", "one two three"),
    ],
    "ordinals": [
        ("2nd", "second"),
        ("21st century", "twenty first century"),
        ("3RD gen", "third gen"),
        ("100th", "one hundredth"),
        ("12th", "twelfth"),
    ],
    "decimals": [
        ("2.5", "two point five"),
        ("0.75", "zero point seven five"),
        (".5", "point five"),
        ("version 1.2.3", "version one point two point three"),
    ],
    "prices": [
        ("$49.99", "forty nine dollars ninety nine cents"),
        ("$50", "fifty dollars"),
        ("$1", "one dollar"),
        ("$1.01", "one dollar one cent"),
        ("$0.99", "ninety nine cents"),
        ("$1,299.00", "one thousand two hundred ninety nine dollars"),
        ("$5k", "five thousand dollars"),
        ("€20", "twenty euros"),
        ("£5", "five pounds"),
        ("£5.99", "five pounds ninety nine pence"),
        ("20 USD", "twenty dollars"),
        ("under 50 bucks", "under fifty bucks"),
        ("$20-$50", "twenty dollars fifty dollars"),
    ],
    "units": [
        ("32GB", "thirty two gigabytes"),
        ("32 GB", "thirty two gigabytes"),
        ("1TB", "one terabyte"),
        ("10 oz", "ten ounces"),
        ("12 fl oz", "twelve fluid ounces"),
        ('65"', "sixty five inch"),
        ("65-inch", "sixty five inch"),
        ("65 in TV", "sixty five inch tv"),
        ("65 in.", "sixty five inch"),
        ("2 in 1", "two in one"),
        ("4-in-1", "four in one"),
        ("5ft", "five feet"),
        ("2L", "two liters"),
        ("500ml", "five hundred milliliters"),
        ("1080p", "ten eighty p"),
        ("4K", "four k"),
        ("5000mAh", "five thousand milliamp hours"),
        ("100W", "one hundred watts"),
        ("120Hz", "one hundred twenty hertz"),
        ("2.4 GHz", "two point four gigahertz"),
        ("5 lbs", "five pounds"),
        ("5g", "five grams"),
        ("5G phone", "five g phone"),
        ("20%", "twenty percent"),
        ("72°F", "seventy two degrees fahrenheit"),
        ("1/2 inch", "one half inch"),
        ("90s hits", "nineties hits"),
    ],
    "models": [
        ("iPhone 15 Pro Max", "iphone fifteen pro max"),
        ("WH-1000XM5", "w h one thousand x m five"),
        ("PS5", "p s five"),
        ("Galaxy S24+", "galaxy s twenty four plus"),
        ("XPS13", "x p s thirteen"),
        ("HERO12", "hero twelve"),
        ("Pixel 8a", "pixel eight a"),
        ("2x4", "two x four"),
        ("Wi-Fi 6", "wi fi six"),
    ],
}


@pytest.mark.parametrize(
    ("written", "spoken"),
    [case for cases in CASES.values() for case in cases],
    ids=[f"{kind}:{w}" for kind, cases in CASES.items() for w, _ in cases],
)
def test_normalize_table(written: str, spoken: str) -> None:
    assert normalize(written) == spoken
    assert normalize(spoken) == spoken


def test_tokens_are_the_normalized_words() -> None:
    assert tokens("Sony WH-1000XM5, $49.99") == [
        "sony", "w", "h", "one", "thousand", "x", "m", "five",
        "forty", "nine", "dollars", "ninety", "nine", "cents",
    ]  # fmt: skip
    assert tokens("") == []
    assert tokens("!!!") == []


def test_normalize_rejects_non_strings() -> None:
    with pytest.raises(TypeError, match="str"):
        normalize(42)


HOSTILE = [
    "<img src=x onerror=alert(1)>",
    '=cmd|" /C calc"!A0',
    "+SUM(1,2)",
    "@SUM(A1)",
    "-2+3",
    "\x00\x01\x1b[31mred\x1b[0m\x7f",
    "🎧 headphones 🔥🔥 $19.99 👍🏽",
    "👨‍👩‍👧 family",
    "\ud800 lone surrogate",
    "9" * 5000,
    "$" + "9" * 40,
    "1." * 2000,
    "<" * 3000 + "b" + ">" * 3000,
    "a-" * 5000,
    "İstanbul ǅ ß ﬁ",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_never_raises_and_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert all(w.replace("'", "").isalpha() and w == w.lower() for w in once.split())


def test_hostile_examples() -> None:
    assert (
        normalize("🎧 headphones 🔥🔥 $19.99 👍🏽")
        == "headphones nineteen dollars ninety nine cents"
    )
    assert normalize("\x1b[31mred\x1b[0m") == "thirty one mred zero meters"
    assert normalize("9" * 20).split() == ["nine"] * 20


def test_long_text_is_handled() -> None:
    text = "Sony WH-1000XM5 $349.99 32GB <b>x</b> " * 2000
    assert normalize(text).count("sony") == 2000


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalize_is_idempotent_on_any_text(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert "  " not in once and once == once.strip()


_PRODUCTY = st.lists(
    st.sampled_from(
        ["$", "€", "£", "1", "32", "1,299", ".", "GB", "in", " ", "-", "PS", "5", "x", "'", '"',
         "s", "2nd", "TV", "%", "mAh", "1080p", "<b>", "&", "oz", "a", "K", "0", "07", "/", "2"]
    ),
    max_size=12,
).map("".join)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(_PRODUCTY)
def test_normalize_is_idempotent_on_product_like_text(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert not any(c.isdigit() for c in once)


# ---- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (15, "fifteen"),
        (40, "forty"),
        (99, "ninety nine"),
        (100, "one hundred"),
        (105, "one hundred five"),
        (1299, "one thousand two hundred ninety nine"),
        (100_000, "one hundred thousand"),
        (2_000_017, "two million seventeen"),
        (999_999_999, "nine hundred ninety nine million nine hundred ninety nine thousand "
                       "nine hundred ninety nine"),
        (-3, "minus three"),
    ],
)  # fmt: skip
def test_number_to_words(n: int, words: str) -> None:
    assert number_to_words(n) == words
    assert words_to_number(words) == n


def test_ordinals() -> None:
    assert [ordinal_to_words(n) for n in (1, 2, 3, 5, 9, 12, 20, 21, 100)] == [
        "first", "second", "third", "fifth", "ninth", "twelfth", "twentieth", "twenty first",
        "one hundredth",
    ]  # fmt: skip


def test_words_to_number_accepts_and_and_hyphens() -> None:
    assert words_to_number("one hundred and twenty-five") == 125
    assert words_to_number("Two Thousand, Four") == 2004


@pytest.mark.parametrize(
    "bad", ["", "hello", "one one", "twenty thirty", "thousand", "one thousand million", "five x"]
)
def test_words_to_number_rejects_non_numbers(bad: str) -> None:
    with pytest.raises(ValueError, match=repr(bad).replace("(", r"\(")):
        words_to_number(bad)


def test_number_to_words_rejects_non_ints() -> None:
    with pytest.raises(TypeError):
        number_to_words(2.5)


@given(st.integers(min_value=0, max_value=999_999_999))
def test_number_words_round_trip(n: int) -> None:
    words = number_to_words(n)
    assert words_to_number(words) == n
    assert normalize(str(n)) == words


# ---- inverse normalization -----------------------------------------------------------------

BRANDS = ("JBL", "iPhone", "Sony", "WH-1000XM5", "PlayStation", "Galaxy S24")

WRITTEN_CASES = [
    ("thirty two gigabytes", "32GB"),
    ("one terabyte", "1TB"),
    ("ten ounces", "10 oz"),
    ("two point five liters", "2.5L"),
    ("sixty five inch tv", "65 inch tv"),
    ("forty nine dollars ninety nine cents", "$49.99"),
    ("forty nine dollars and ninety nine cents", "$49.99"),
    ("fifty dollars", "$50"),
    ("ninety nine cents", "$0.99"),
    ("twenty euros", "€20"),
    ("five pounds ninety nine pence", "£5.99"),
    ("five pounds", "5 lb"),
    ("under fifty bucks", "under 50 bucks"),
    ("jbl speaker", "JBL speaker"),
    ("iphone fifteen pro max", "iPhone 15 pro max"),
    ("sony w h one thousand x m five", "Sony WH-1000XM5"),
    ("p s five", "PS5"),
    ("galaxy s twenty four ultra", "Galaxy S24 ultra"),
    ("ten eighty p", "1080p"),
    ("four k tv", "4K tv"),
    ("twenty first century", "21st century"),
    ("second generation", "2nd generation"),
    ("wait a second", "wait a second"),
    ("twenty percent off", "20% off"),
    ("twelve thousand", "12,000"),
    ("one two three", "one two three"),
    ("buy a two pack", "buy a 2 pack"),
]


@pytest.mark.parametrize(("spoken", "written"), WRITTEN_CASES)
def test_to_written(spoken: str, written: str) -> None:
    assert to_written(spoken, brands=BRANDS) == written


# Canonical written forms: the round trip through the spoken form must be stable for each.
CANONICAL = [
    "32GB", "1TB", "10 oz", "2.5L", "500ml", '65" TV', "65-inch", "$49.99", "$50", "$0.99",
    "€20", "£5.99", "20 USD", "1080p", "4K", "5000mAh", "100W", "120Hz", "iPhone 15 Pro Max",
    "WH-1000XM5", "PS5", "Galaxy S24+", "2nd gen", "21st", "1,299", "2.5", "20%", "5 lbs",
    "JBL Flip 6", "Levi's 501", "under 50 bucks", "2 in 1", "4-in-1", "5G", "72°F", "90s",
    "12 fl oz", "5ft", "2.4 GHz", "x y z w 5", "core i7", "Pixel 8a", "2L", "12 m", "5 in",
]  # fmt: skip


@pytest.mark.parametrize("written", CANONICAL)
def test_round_trip_through_spoken_form_is_stable(written: str) -> None:
    spoken = normalize(written)
    assert normalize(to_written(spoken, brands=BRANDS)) == spoken
    assert normalize(to_written(spoken)) == spoken


@settings(max_examples=300, deadline=None)
@given(_PRODUCTY)
def test_round_trip_is_stable_on_product_like_text(text: str) -> None:
    spoken = normalize(text)
    assert normalize(to_written(spoken, brands=BRANDS)) == spoken


def test_to_written_of_empty_and_noise() -> None:
    assert to_written("") == ""
    assert to_written("<b></b> !!") == ""


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("5W-30 motor oil", "five w thirty motor oil"),
        ("10w40", "ten w forty"),
        ("0W-20", "zero w twenty"),
        ("a 60W bulb", "a sixty watts bulb"),
    ],
)
def test_oil_viscosity_grades_are_said_as_grades_not_watts(written: str, spoken: str) -> None:
    assert normalize(written) == spoken
