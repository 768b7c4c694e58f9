"""Evaluation metrics on hand-made cases: WER/CER, entities and prices, search success, slices."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voxcart.datasets.catalog.vocab import EntityVocabulary
from voxcart.datasets.text.wer import corpus_cer, corpus_wer
from voxcart.model.errors import ModelError
from voxcart.model.eval.metrics import (
    aggregate,
    find_prices,
    find_sizes,
    score_clip,
)
from voxcart.model.eval.product_search import ProductSearch, product_doc
from voxcart.model.eval.report import cell
from voxcart.model.eval.slices import ClipFacts, check_dimensions, query_type, slice_values

VOCABULARY = EntityVocabulary(
    brands=frozenset({"sony", "bose"}),
    product_types=frozenset({"headphones"}),
    models=frozenset({"w h one thousand x m five"}),
    attributes=frozenset({"black"}),
)
CATALOG = [
    product_doc("SONY-XM5", "Sony WH-1000XM5 Wireless Headphones, Black", "Sony", "WH-1000XM5"),
    product_doc("SONY-XM4", "Sony WH-1000XM4 Wireless Headphones", "Sony", "WH-1000XM4"),
    product_doc("BOSE-QC", "Bose QuietComfort Ultra Headphones", "Bose", "QuietComfort Ultra"),
    product_doc("NINJA-AF", "Ninja Air Fryer Max XL", "Ninja", "AF161", "Kitchen > Air Fryers"),
    product_doc("DYSON-V15", "Dyson V15 Detect Cordless Vacuum", "Dyson", "V15 Detect"),
]


def test_wer_and_cer_are_exact_edit_counts():
    score = score_clip("show me sony headphones", "show me sonny headphones now")
    assert (score.substitutions, score.deletions, score.insertions) == (1, 0, 1)
    assert score.wer == pytest.approx(2 / 4)
    # "sony" -> "sonny" is one inserted character, " now" four more.
    assert score.char_errors == 5 and score.ref_chars == len("show me sony headphones")
    assert corpus_cer(["show me sony headphones"], ["show me sonny headphones now"]) == (
        pytest.approx(5 / 23)
    )


def test_corpus_wer_weights_clips_by_their_length():
    refs = ["one two three four", "five six"]
    hyps = ["one two three four", "five"]
    assert corpus_wer(refs, hyps) == pytest.approx(1 / 6)  # not the mean of 0 and 0.5
    with pytest.raises(ValueError, match="2 references but 1 hypotheses"):
        corpus_wer(refs, hyps[:1])


def test_texts_are_compared_in_normalized_form():
    score = score_clip(
        "Sony WH-1000XM5 under $50!", "sony w h one thousand x m five under fifty dollars"
    )
    assert score.word_errors == 0 and score.char_errors == 0


def test_empty_hypothesis_and_empty_reference():
    deleted = score_clip("show me sony headphones", "")
    assert deleted.deletions == 4 and deleted.wer == 1.0
    inserted = score_clip("", "uh hello")
    assert inserted.insertions == 2 and inserted.wer is None
    assert aggregate([deleted, inserted]).wer == pytest.approx(6 / 4)
    silent = score_clip("", "")
    assert silent.wer == 0.0 and aggregate([silent]).wer == 0.0
    assert aggregate([inserted]).wer is None and aggregate([]).wer is None


def test_entity_errors_count_a_missing_brand_a_wrong_model_and_a_wrong_price():
    score = score_clip(
        "sony WH-1000XM5 headphones under $49.99",
        "sorry w h one thousand x m four headphones under forty nine dollars",
        vocabulary=VOCABULARY,
    )
    tallies = {t.kind: (t.reference, t.missed) for t in score.entities}
    assert tallies == {
        "brand": (1, 1),
        "product_type": (1, 0),
        "model": (1, 1),
        "attribute": (0, 0),
        "price": (1, 1),
        "size": (0, 0),
    }
    assert score.missed_entities == (
        "brand:sony",
        "model:w h one thousand x m five",
        "price:USD 49.99",
    )
    metrics = aggregate([score])
    assert metrics.entity_error_rate == pytest.approx(3 / 4)
    assert metrics.entity_rate("product_type") == 0.0
    assert metrics.entity_rate("attribute") is None
    with pytest.raises(ValueError, match="kind='color'"):
        metrics.entity_rate("color")


def test_an_entity_said_twice_must_be_heard_twice():
    score = score_clip("sony or sony", "sony or", vocabulary=VOCABULARY)
    assert score.missed_entities == ("brand:sony",)
    assert {t.kind: t.reference for t in score.entities}["brand"] == 2


def test_spoken_prices_are_found_with_the_number_parser():
    found = find_prices(
        "under forty nine dollars ninety nine cents or fifty dollars and five cents "
        "or ninety nine cents or twenty euros but not twelve ounces"
    )
    assert [p.text for p in found] == ["USD 49.99", "USD 50.05", "USD 0.99", "EUR 20.00"]
    assert find_prices("one thousand five hundred ninety nine dollars")[0].amount_minor == 159_900
    assert find_prices("the galaxy s twenty four ultra") == []


def test_search_success_top1_and_top5_on_a_tiny_catalog():
    search = ProductSearch(CATALOG)
    assert search.search("sony w h one thousand x m five", 1) == ["SONY-XM5"]
    assert search.search("ninja air fryers", 1) == ["NINJA-AF"]  # plural folded
    exact = score_clip("sony WH-1000XM5", "sony w h one thousand x m five", search=search)
    assert (exact.search_top1, exact.search_top5) == (True, True)
    # The model number is misheard: the top hit is another Sony, the right one is still close.
    near = score_clip("sony WH-1000XM5", "sony w h one thousand x m four", search=search)
    assert (near.search_top1, near.search_top5) == (False, True)
    lost = score_clip("sony WH-1000XM5", "so many", search=search)
    assert (lost.search_top1, lost.search_top5) == (False, False)
    unsearchable = score_clip("where is my order", "where is my order", search=search)
    assert (unsearchable.search_top1, unsearchable.search_top5) == (None, None)
    metrics = aggregate([exact, near, lost, unsearchable])
    assert metrics.searchable == 3
    assert metrics.search_top1 == pytest.approx(1 / 3)
    assert metrics.search_top5 == pytest.approx(2 / 3)


def test_search_rejects_bad_arguments_and_breaks_ties_by_catalog_order():
    twins = [product_doc("BLACK", "Sony WH-1000XM5"), product_doc("SILVER", "Sony WH-1000XM5")]
    assert ProductSearch(twins).search("sony", 2) == ["BLACK", "SILVER"]
    assert ProductSearch(twins[::-1]).search("sony", 2) == ["SILVER", "BLACK"]
    search = ProductSearch(CATALOG)
    assert search.search("show me the", 5) == []
    with pytest.raises(ValueError, match="k=0"):
        search.search("sony", 0)
    with pytest.raises(ValueError, match="b=2"):
        ProductSearch(CATALOG, b=2)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("show me sony headphones", "search"),
        ("do you have the galaxy buds two pro in purple", "search"),
        ("bose headphones", "search"),
        ("sony headphones under fifty dollars", "filter-price"),
        ("how much is the dyson v fifteen", "filter-price"),
        ("add the apple airpods pro to my cart", "cart"),
        ("buy the ninja air fryer", "cart"),
        ("where is my order", "order"),
        ("buy sony headphones again", "order"),
        ("reorder the twelve ounces moisturizing cream", "order"),
        ("the quick brown fox", "other"),
    ],
)
def test_query_type_rules(text, kind):
    assert query_type(text, VOCABULARY) == kind


def test_slice_values_from_tags_and_origin():
    noisy = ClipFacts("spk1", ["tts", "noise:pink", "snr:7"], "demo")
    values = slice_values(noisy, "where is my order", ("speaker", "noise", "snr", "augmentation"))
    assert values == {
        "speaker": "spk1",
        "noise": "pink",
        "snr": "<10 dB",
        "augmentation": "original",
    }
    augmented = ClipFacts(None, ["aug:reverb", "testset:far", "snr:25"], "augment")
    values = slice_values(augmented, "", ("speaker", "noise", "snr", "augmentation"))
    assert values == {
        "speaker": "(unknown)",
        "noise": "noisy",
        "snr": ">=20 dB",
        "augmentation": "testset:far",
    }
    with pytest.raises(ModelError, match="'accent'"):
        check_dimensions(["speaker", "accent"])


@given(st.text(max_size=80))
def test_markdown_cells_never_carry_markup_or_break_the_table(text):
    escaped = cell(text)
    assert "\n" not in escaped and "<" not in escaped
    assert "|" not in escaped.replace("\\|", "")


def test_a_pound_of_weight_is_a_size_not_sterling() -> None:
    assert find_prices("a five pound bag of rice") == []
    assert [s.text for s in find_sizes("a five pound bag of rice")] == ["5 lb"]
    assert [s.text for s in find_sizes("five pounds of flour")] == ["5 lb"]
    assert [p.text for p in find_prices("ten pounds fifty pence")] == ["GBP 10.50"]
    assert [p.text for p in find_prices("anything under five pounds")] == ["GBP 5.00"]
    assert [s.text for s in find_sizes("one point five liters and a six pack")] == [
        "1.5 L",
        "6 pack",
    ]


def test_a_wrong_size_is_a_missed_size_entity_not_a_price() -> None:
    score = score_clip("dog food five pound bag", "dog food nine pound bag")
    tallies = {t.kind: (t.reference, t.missed) for t in score.entities}
    assert tallies["size"] == (1, 1) and tallies["price"] == (0, 0)
    assert score.missed_entities == ("size:5 lb",)
