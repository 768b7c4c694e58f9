"""Where product types come from: a usable category column, or the titles."""

from __future__ import annotations

from voxcart.datasets.catalog.types import ProductText, title_head, title_types, type_source
from voxcart.datasets.catalog.vocab import derive_terms

PET = [
    ProductText("Purina Pro Plan Adult Dry Dog Food, 30 lb Bag", "Purina", "pet"),
    ProductText("Blue Buffalo Life Protection Dry Dog Food 15 lb", "Blue Buffalo", "pet"),
    ProductText("Tidy Cats Clumping Cat Litter, 20 lb", "Tidy Cats", "pet"),
    ProductText("KONG Classic Dog Toy - Large", "KONG", "pet"),
    ProductText("Cheerios Whole Grain Cereal 18 oz Box", "Cheerios", "grocery"),
]
AUDIO = [
    ProductText("Sony WH-1000XM5 Wireless Headphones, Black", "Sony", "Audio > Headphones"),
    ProductText("Bose SoundLink Flex Bluetooth Speaker", "Bose", "Audio > Speakers"),
    ProductText("JBL Tune 510BT Headphones", "JBL", "Audio > Headphones"),
]


def test_department_categories_give_way_to_title_types() -> None:
    source = type_source(PET)
    assert source.column == "title" and source.category_match == 0.0
    assert "derived from titles" in source.describe()
    types = {t.normalized for t in derive_terms(PET) if t.kind == "product_type"}
    assert {"dog food", "food", "litter", "toy", "cereal"} <= types
    assert not types & {"pet", "grocery"}


def test_a_category_the_titles_name_is_kept() -> None:
    assert type_source(AUDIO).column == "category"
    types = {t.normalized for t in derive_terms(AUDIO) if t.kind == "product_type"}
    assert types == {"headphones", "speakers"}


def test_a_type_attribute_wins_and_no_category_means_titles() -> None:
    typed = [ProductText("Acme Thing 3000", "Acme", "misc", {"product_type": "blender"})]
    assert type_source(typed).column == "product_type"
    assert type_source([ProductText("Acme Garden Hose 50 ft", "Acme")]).column == "title"


def test_title_head_drops_brand_sizes_and_packaging() -> None:
    assert title_head("Purina Pro Plan Adult Dry Dog Food, 30 lb Bag", "Purina")[-2:] == [
        "dog",
        "food",
    ]
    assert title_head("Bounty Paper Towels 12 Count", "Bounty") == ["paper", "towels"]
    heads = [["dry", "dog", "food"], ["wet", "dog", "food"], ["chew", "toy"]]
    assert title_types(heads) == [("food", "dog food"), ("food", "dog food"), ("toy",)]
