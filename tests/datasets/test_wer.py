"""The one WER/CER definition: edit counts, the empty-reference rule, corpus vs utterance."""

from __future__ import annotations

import jiwer
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voxcart.datasets.text.wer import (
    WordErrors,
    corpus_cer,
    corpus_wer,
    error_rate,
    utterance_cer,
    utterance_wer,
    word_errors,
)


def test_empty_reference_rule() -> None:
    assert utterance_wer("", "") == 0.0 and utterance_cer("", "") == 0.0
    assert utterance_wer("", "red shoes") is None and utterance_cer("", "red") is None
    assert utterance_wer("red shoes", "") == 1.0
    assert error_rate(0, 0) == 0.0 and error_rate(3, 0) is None and error_rate(1, 4) == 0.25


def test_texts_are_normalized_first() -> None:
    assert utterance_wer("Sony headphones under $50", "sony headphones under fifty dollars") == 0.0


def test_corpus_rate_sums_edits_and_counts_insertions_on_empty_references() -> None:
    assert corpus_wer(["one two three four", "five six"], ["one two three four", "five"]) == (
        pytest.approx(1 / 6)
    )
    # Two words said against an empty reference are two errors over the corpus's four words.
    assert corpus_wer(["a b c d", ""], ["a b c d", "uh oh"]) == pytest.approx(2 / 4)
    assert corpus_wer(["", ""], ["", "uh"]) is None
    assert corpus_wer([], []) is None and corpus_cer([], []) is None
    with pytest.raises(ValueError, match="2 references but 1 hypotheses"):
        corpus_cer(["a", "b"], ["a"])


def test_counts_add_up() -> None:
    total = word_errors("red shoes", "red shoe") + word_errors("", "uh")
    assert total == WordErrors(ref_words=2, substitutions=1, deletions=0, insertions=1)
    assert total.rate == 1.0


words = st.lists(st.sampled_from(["red", "blue", "shoes", "tv", "sony", "cable"]), max_size=8)


@settings(max_examples=60, deadline=None)
@given(words, words)
def test_agrees_with_jiwer_where_jiwer_is_defined(ref: list[str], hyp: list[str]) -> None:
    if ref:
        expected = jiwer.wer(" ".join(ref), " ".join(hyp) or "")
        assert utterance_wer(" ".join(ref), " ".join(hyp)) == pytest.approx(expected)
