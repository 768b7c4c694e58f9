"""The mixed catalog LM: ARPA scoring, interpolation, EM weights, speakable numbers."""

from __future__ import annotations

import math
from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voxcart.datasets.text.normalize import normalize
from voxcart.datasets.text.numbers import number_to_words
from voxcart.model.errors import ModelError
from voxcart.model.lm.arpa import NgramLm, parse_arpa, score_text, write_arpa
from voxcart.model.lm.background import background_lm
from voxcart.model.lm.build import arpa_text
from voxcart.model.lm.mix import MIN_WEIGHT, interpolate, tune_weights
from voxcart.model.lm.spoken import number_sentences

CATALOG = [
    "show me sony headphones",
    "add the sony w h one thousand x m five to my cart",
    "bose speakers under fifty dollars",
]


@lru_cache(maxsize=1)
def _mixed() -> NgramLm:
    domain = parse_arpa(arpa_text(CATALOG + number_sentences(200, 0), 0.5))
    return interpolate([domain, background_lm()], [0.9, 0.1])


def _unigram(probs: dict[str, float]) -> NgramLm:
    return NgramLm(order=1, logprob={(w,): math.log10(p) for w, p in probs.items()})


def test_perplexity_and_coverage_follow_their_definitions() -> None:
    model = _unigram({"a": 0.5, "b": 0.25, "</s>": 0.25})
    score = score_text(model, ["a b", "a zzz"])
    assert score.words == 4 and score.oov == 1 and score.coverage == 0.75
    # log10 of 0.5 * 0.25 * 0.25 (first) and 0.5 * 0.25 (second; zzz skipped)
    expected = math.log10(0.5 * 0.25 * 0.25 * 0.5 * 0.25)
    assert score.logprob == pytest.approx(expected)
    assert score.perplexity == pytest.approx(10 ** (-expected / 5))
    assert score.oov_words == ("zzz",)


def test_arpa_round_trip_keeps_probabilities() -> None:
    model = parse_arpa(arpa_text(CATALOG, 0.5))
    again = parse_arpa(write_arpa(model))
    assert again.order == 3
    for gram, value in model.logprob.items():
        assert again.logprob[gram] == pytest.approx(value, abs=1e-4)


def test_interpolation_keeps_each_history_mass() -> None:
    # pocketsphinx's ArpaBoLM leaves unigram mass for unknown words, so a component's
    # distribution sums to less than one; the mix must sum to the weighted component sums.
    domain = parse_arpa(arpa_text(CATALOG + number_sentences(200, 0), 0.5))
    background = background_lm()
    mixed = _mixed()
    words = [w for w in mixed.vocabulary if w != "<s>"]

    def mass(model: NgramLm, history: tuple[str, ...]) -> float:
        return sum(
            10 ** (v if (v := model.word_logprob(history, w)) is not None else -99) for w in words
        )

    for history in [(), ("<s>",), ("show",), ("<s>", "show"), ("sony",)]:
        expected = 0.9 * mass(domain, history) + 0.1 * mass(background, ())
        assert mass(mixed, history) == pytest.approx(expected, abs=0.05), history


def test_em_prefers_the_component_that_predicts_dev() -> None:
    a = _unigram({"cheap": 0.6, "dog": 0.2, "</s>": 0.2})
    b = _unigram({"cheap": 0.05, "cat": 0.75, "</s>": 0.2})
    weights = tune_weights([a, b], ["cheap dog", "cheap cheap dog"])
    assert weights[0] > 0.8 and math.isclose(sum(weights), 1.0, abs_tol=1e-6)
    assert min(weights) >= MIN_WEIGHT  # the floor keeps every component speakable
    with pytest.raises(ModelError, match="weight"):
        interpolate([a, b], [0.7, 0.7])


def test_common_words_the_catalog_lacks_are_speakable() -> None:
    score = score_text(_mixed(), ["compare the cheapest and the best ten fifteen forty nine"])
    assert score.coverage == 1.0


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=99_999))
def test_every_amount_up_to_99999_is_speakable(n: int) -> None:
    spoken = number_to_words(n)
    assert score_text(_mixed(), [spoken, f"{spoken} dollars"]).coverage == 1.0


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=100, max_value=9_999_999))
def test_every_price_is_speakable(cents: int) -> None:
    written = f"${cents / 100:,.2f}"
    assert score_text(_mixed(), [normalize(written)]).coverage == 1.0


@pytest.mark.parametrize(
    "spoken",
    [
        "one thousand four hundred ninety nine dollars and ninety nine cents",
        "two for ten dollars",
        "a five pound bag",
        "sixteen point nine fluid ounces",
    ],
)
def test_said_amounts_are_speakable(spoken: str) -> None:
    assert score_text(_mixed(), [spoken]).coverage == 1.0
