"""Typed hypotheses: validation, utterance scores, and the suggestion-row round trip."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voxcart.model.backends.hypothesis import (
    Hypothesis,
    NBestEntry,
    UtteranceScores,
    WordHypothesis,
    hypothesis_from_row,
    hypothesis_to_row,
)

_confidence = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz'", min_size=1, max_size=12)


@st.composite
def hypotheses(draw: st.DrawFn) -> Hypothesis:
    texts = draw(st.lists(_word, max_size=8))
    confidences = [round(draw(_confidence), 4) for _ in texts]
    t, words = 0.0, []
    for text, confidence in zip(texts, confidences, strict=True):
        length = round(draw(st.floats(min_value=0.0, max_value=2.0)), 3)
        words.append(WordHypothesis(text, round(t, 3), round(t + length, 3), confidence))
        t += length
    nbest = (NBestEntry(" ".join(texts), -1.5),) if texts else ()
    return Hypothesis(
        " ".join(texts), tuple(words), UtteranceScores.from_confidences(confidences), nbest
    )


@given(hypotheses())
def test_row_round_trip_through_json(hypothesis):
    row = json.loads(json.dumps(hypothesis_to_row(hypothesis)))
    back = hypothesis_from_row(row["text"], row["words"], row["scores"], row["nbest"])
    assert back.text == hypothesis.text and back.words == hypothesis.words
    assert back.nbest == hypothesis.nbest
    assert math.isclose(back.scores.mean_confidence, hypothesis.scores.mean_confidence)


def test_scores_summarise_confidences():
    scores = UtteranceScores.from_confidences([1.0, 0.5])
    assert scores.mean_confidence == 0.75 and scores.min_confidence == 0.5
    assert math.isclose(scores.mean_log_prob, math.log(0.5) / 2)
    assert scores.token_entropy is not None
    assert math.isclose(scores.token_entropy, math.log(2) / 2, rel_tol=1e-6)
    empty = UtteranceScores.from_confidences([])
    assert (empty.mean_confidence, empty.min_confidence, empty.mean_log_prob) == (1.0, 1.0, 0.0)


@pytest.mark.parametrize(
    ("start", "end", "confidence"), [(0.0, 1.0, 1.2), (0.0, 1.0, -0.1), (1.0, 0.5, 0.5)]
)
def test_word_validation(start, end, confidence):
    with pytest.raises(ValueError, match="WordHypothesis"):
        WordHypothesis("x", start, end, confidence)


def test_malformed_row_is_a_value_error():
    with pytest.raises(ValueError, match="malformed"):
        hypothesis_from_row("a", [{"word": "a"}], {}, [])
