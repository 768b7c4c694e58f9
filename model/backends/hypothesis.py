"""Typed recognition results: timed words with confidences, utterance scores, N-best lists.

Backends return these records; :mod:`voxcart.model.suggest` converts them to the JSON columns of
the ``suggestions`` table (and back) with :func:`hypothesis_to_row` / :func:`hypothesis_from_row`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_EPS = 1e-12


@dataclass(frozen=True)
class WordHypothesis:
    """One recognised word.

    Attributes:
        word: the word in spoken (normalized) form.
        start_s: start time in seconds from the start of the clip.
        end_s: end time in seconds (>= start_s).
        confidence: posterior probability of the word, in [0, 1].
    """

    word: str
    start_s: float
    end_s: float
    confidence: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"WordHypothesis.confidence={self.confidence!r} must be in [0, 1]")
        if self.start_s < 0 or self.end_s < self.start_s:
            raise ValueError(
                f"WordHypothesis times start_s={self.start_s!r}, end_s={self.end_s!r} must "
                "satisfy 0 <= start_s <= end_s"
            )


@dataclass(frozen=True)
class UtteranceScores:
    """Scores of a whole hypothesis, used to rank clips for review.

    Attributes:
        mean_confidence: mean word confidence (1.0 for an empty hypothesis).
        min_confidence: lowest word confidence (1.0 for an empty hypothesis).
        mean_log_prob: mean natural-log word posterior (0.0 for an empty hypothesis).
        token_entropy: mean per-word binary entropy of the word posteriors in nats, or None
            where the backend gives no posteriors.
        utterance_prob: posterior probability of the whole hypothesis, where the decoder gives
            one.
    """

    mean_confidence: float
    min_confidence: float
    mean_log_prob: float
    token_entropy: float | None = None
    utterance_prob: float | None = None

    @classmethod
    def from_confidences(
        cls, confidences: Sequence[float], utterance_prob: float | None = None
    ) -> UtteranceScores:
        """Summarise word posteriors (each in [0, 1])."""
        if not confidences:
            return cls(1.0, 1.0, 0.0, 0.0, utterance_prob)
        logs = [math.log(max(c, _EPS)) for c in confidences]
        entropies = [_binary_entropy(c) for c in confidences]
        return cls(
            mean_confidence=sum(confidences) / len(confidences),
            min_confidence=min(confidences),
            mean_log_prob=sum(logs) / len(logs),
            token_entropy=sum(entropies) / len(entropies),
            utterance_prob=utterance_prob,
        )


def _binary_entropy(p: float) -> float:
    p = min(max(p, _EPS), 1.0 - _EPS)
    return -(p * math.log(p) + (1.0 - p) * math.log(1.0 - p))


@dataclass(frozen=True)
class NBestEntry:
    """One alternative transcript and its decoder score (natural log, higher is better)."""

    text: str
    log_score: float


@dataclass(frozen=True)
class Hypothesis:
    """A backend's transcript of one clip.

    Attributes:
        text: the transcript, words separated by single spaces (spoken form).
        words: the words of ``text`` with times and confidences, in time order.
        scores: utterance-level scores.
        nbest: distinct alternatives, best first (the first equals ``text`` where the decoder
            gives a list); empty where the decoder gives none.
    """

    text: str
    words: tuple[WordHypothesis, ...]
    scores: UtteranceScores
    nbest: tuple[NBestEntry, ...] = ()


def hypothesis_to_row(hypothesis: Hypothesis) -> dict[str, Any]:
    """The ``text``, ``words``, ``scores`` and ``nbest`` column values of a suggestion row."""
    return {
        "text": hypothesis.text,
        "words": [
            {
                "word": w.word,
                "start": round(w.start_s, 3),
                "end": round(w.end_s, 3),
                "confidence": round(w.confidence, 4),
            }
            for w in hypothesis.words
        ],
        "scores": {
            key: value
            for key, value in (
                ("mean_confidence", hypothesis.scores.mean_confidence),
                ("min_confidence", hypothesis.scores.min_confidence),
                ("mean_log_prob", hypothesis.scores.mean_log_prob),
                ("token_entropy", hypothesis.scores.token_entropy),
                ("utterance_prob", hypothesis.scores.utterance_prob),
            )
            if value is not None
        },
        "nbest": [{"text": n.text, "log_score": n.log_score} for n in hypothesis.nbest],
    }


def hypothesis_from_row(
    text: str,
    words: Sequence[Mapping[str, Any]],
    scores: Mapping[str, Any],
    nbest: Sequence[Mapping[str, Any]],
) -> Hypothesis:
    """Rebuild a :class:`Hypothesis` from a suggestion row's columns.

    Raises:
        ValueError: a word entry lacks a field or holds an out-of-range value.
    """
    try:
        word_records = tuple(
            WordHypothesis(
                word=str(w["word"]),
                start_s=float(w["start"]),
                end_s=float(w["end"]),
                confidence=float(w["confidence"]),
            )
            for w in words
        )
        utterance = UtteranceScores(
            mean_confidence=float(scores.get("mean_confidence", 1.0)),
            min_confidence=float(scores.get("min_confidence", 1.0)),
            mean_log_prob=float(scores.get("mean_log_prob", 0.0)),
            token_entropy=_optional_float(scores.get("token_entropy")),
            utterance_prob=_optional_float(scores.get("utterance_prob")),
        )
        alternatives = tuple(NBestEntry(str(n["text"]), float(n["log_score"])) for n in nbest)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"suggestion row is malformed: missing or invalid field {exc}") from exc
    return Hypothesis(text=text, words=word_records, scores=utterance, nbest=alternatives)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)
