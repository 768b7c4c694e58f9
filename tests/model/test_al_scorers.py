"""Active-learning scorers: the clip the model is less sure of scores higher."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.model.al_fixtures import candidate
from voxcart.datasets.catalog.vocab import EntityVocabulary
from voxcart.model.al.scorers import SCORER_NAMES, least_confidence, make_scorer, text_disagreement
from voxcart.model.errors import ModelError

VOCAB = EntityVocabulary(brands=frozenset({"sony"}), product_types=frozenset({"headphones"}))
TEXT = "show me sony headphones"


@pytest.mark.parametrize("name", ["least-confidence", "log-prob", "entropy"])
def test_confidence_scorers_rank_the_unsure_clip_higher(name: str) -> None:
    scorer = make_scorer(name)
    sure = candidate(1, TEXT, [0.95, 0.9, 0.92, 0.97])
    unsure = candidate(2, TEXT, [0.95, 0.6, 0.4, 0.97])
    assert scorer(unsure) > scorer(sure) >= 0.0


def test_least_confidence_is_one_minus_lowest_word() -> None:
    assert least_confidence(candidate(1, TEXT, [0.9, 0.3, 0.8, 0.7])) == pytest.approx(0.7)
    # No words: the stored min_confidence decides; nothing stored means nothing to learn.
    assert least_confidence(candidate(2, "", [], scores={"min_confidence": 0.25})) == 0.75
    assert least_confidence(candidate(3, "", [])) == 0.0


def test_entropy_prefers_stored_token_entropy() -> None:
    scorer = make_scorer("entropy")
    assert scorer(candidate(1, TEXT, scores={"token_entropy": 0.42})) == 0.42


def test_margin_small_gap_scores_higher_and_falls_back_without_nbest() -> None:
    scorer = make_scorer("margin")
    close = candidate(1, TEXT, nbest=[(TEXT, -10.0), ("show me sony headphone", -10.1)])
    clear = candidate(2, TEXT, nbest=[(TEXT, -10.0), ("show me tony headphones", -14.0)])
    assert scorer(close) > scorer(clear)
    assert scorer(close) == pytest.approx(math.exp(-0.1))
    single = candidate(3, TEXT, [0.9, 0.5, 0.9, 0.9], nbest=[(TEXT, -3.0)])
    assert scorer(single) == pytest.approx(least_confidence(single)) == pytest.approx(0.5)


def test_entity_scorer_looks_at_entity_words_only() -> None:
    scorer = make_scorer("entity", vocabulary=VOCAB)
    # Sure of the product name, unsure of a filler word: low entity score.
    sure_entity = candidate(1, TEXT, [0.95, 0.2, 0.96, 0.94])
    # Unsure of the brand although every other word is near-certain.
    unsure_entity = candidate(2, TEXT, [0.99, 0.99, 0.5, 0.99])
    assert scorer(unsure_entity) == pytest.approx(0.5)
    assert scorer(sure_entity) == pytest.approx(0.06)
    assert scorer(unsure_entity) > scorer(sure_entity)
    # least-confidence ranks them the other way round.
    assert least_confidence(sure_entity) > least_confidence(unsure_entity)


def test_entity_scorer_falls_back_without_entities_and_needs_a_vocabulary() -> None:
    scorer = make_scorer("entity", vocabulary=VOCAB)
    plain = candidate(1, "add it to my cart", [0.9, 0.3, 0.9, 0.9, 0.9])
    assert scorer(plain) == pytest.approx(least_confidence(plain))
    with pytest.raises(ModelError, match="entity vocabulary"):
        make_scorer("entity")


def test_committee_disagreement_is_mean_wer_and_falls_back_alone() -> None:
    scorer = make_scorer("committee")
    agree = candidate(1, TEXT, other_texts=["Show me Sony headphones", TEXT])
    disagree = candidate(2, TEXT, other_texts=["show me tony head phones", TEXT])
    assert scorer(agree) == 0.0
    assert scorer(disagree) > scorer(agree)
    assert scorer(disagree) == pytest.approx(
        text_disagreement(TEXT, "show me tony head phones") / 2
    )
    alone = candidate(3, TEXT, [0.9, 0.4, 0.9, 0.9])
    assert scorer(alone) == pytest.approx(0.6)


def test_disagreement_is_a_number_for_empty_texts() -> None:
    assert text_disagreement("", "") == 0.0
    assert text_disagreement("", "hello") == 1.0
    assert text_disagreement("sony tv", "") == 1.0


def test_random_scorer_is_deterministic_per_seed() -> None:
    clips = [candidate(i) for i in range(20)]
    first = [make_scorer("random", seed=7)(c) for c in clips]
    again = [make_scorer("random", seed=7)(c) for c in clips]
    other = [make_scorer("random", seed=8)(c) for c in clips]
    assert first == again
    assert first != other
    assert all(0.0 <= v < 1.0 for v in first)


def test_unknown_scorer_names_the_choices() -> None:
    with pytest.raises(ModelError, match="least-confidence"):
        make_scorer("uncertainty")


@given(st.lists(st.floats(0.0, 1.0), min_size=0, max_size=6))
def test_every_scorer_gives_a_finite_non_negative_score(confs: list[float]) -> None:
    text = " ".join(["sony", "headphones", "red", "big", "cheap", "now"][: len(confs)])
    clip = candidate(
        1, text, confs, nbest=[(text, -1.0), ("x", -2.0)], other_texts=["sony earbuds"]
    )
    for name in SCORER_NAMES:
        value = make_scorer(name, vocabulary=VOCAB)(clip)
        assert math.isfinite(value) and value >= 0.0
