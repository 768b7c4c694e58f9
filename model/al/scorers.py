"""Active-learning scorers: how useful labelling a clip would be, from its stored suggestions.

Every scorer maps a :class:`~voxcart.model.al.candidates.ClipCandidate` to a non-negative
number; higher means "label this first". Scores are non-negative so that the cost-aware
selection (score per second of audio) ranks the same way for every scorer. Scorers are built
by name with :func:`make_scorer`:

``random``
    A uniform number in [0, 1) that depends only on (seed, clip uid): the baseline.
``least-confidence``
    1 - the lowest word confidence (the stored ``min_confidence`` where there are no words).
``log-prob``
    The negative mean natural-log word posterior (length-normalized log-probability).
``entropy``
    The mean per-word binary entropy of the word posteriors, in nats.
``margin``
    exp(-(s1 - s2)) for the two best N-best log scores s1 >= s2: the probability ratio of the
    runner-up to the best hypothesis, 1 when they tie. Without two N-best entries it falls back
    to least-confidence (also in [0, 1]).
``entity``
    1 - the lowest confidence over words inside catalog entity spans (brands, product types,
    models, attributes), so that misheard product names come first. Falls back to
    least-confidence when the suggestion names no entity.
``committee``
    Disagreement between model versions: the mean WER of the other versions' suggestions
    against this one, on normalized text (1.0 where that WER is undefined: words against an
    empty suggestion). Falls back to least-confidence where no other
    version suggested the clip.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from voxcart.datasets.catalog.vocab import EntityVocabulary
from voxcart.datasets.splits import unit_hash
from voxcart.datasets.text.wer import utterance_wer
from voxcart.model.al.candidates import ClipCandidate
from voxcart.model.backends.hypothesis import UtteranceScores
from voxcart.model.errors import ModelError


class Scorer(Protocol):
    """Scores one candidate; higher means more useful to label."""

    @property
    def name(self) -> str:
        """The registry name the scorer was built under."""
        ...

    def __call__(self, candidate: ClipCandidate) -> float:
        """The candidate's score (finite, >= 0)."""
        ...


def _confidences(candidate: ClipCandidate) -> list[float]:
    return [w.confidence for w in candidate.words]


def least_confidence(candidate: ClipCandidate) -> float:
    """1 - the lowest word confidence of the suggestion (0 for an empty, unscored one)."""
    confidences = _confidences(candidate)
    if confidences:
        lowest = min(confidences)
    else:
        stored = candidate.score("min_confidence")
        lowest = 1.0 if stored is None else stored
    return 1.0 - min(max(lowest, 0.0), 1.0)


def negative_log_prob(candidate: ClipCandidate) -> float:
    """The negative mean log word posterior (0 for a certain or empty suggestion)."""
    confidences = _confidences(candidate)
    if confidences:
        value = UtteranceScores.from_confidences(confidences).mean_log_prob
    else:
        stored = candidate.score("mean_log_prob")
        value = 0.0 if stored is None else stored
    return max(-value, 0.0)


def entropy(candidate: ClipCandidate) -> float:
    """The mean per-word binary entropy of the word posteriors, in nats."""
    stored = candidate.score("token_entropy")
    if stored is not None:
        return max(stored, 0.0)
    return UtteranceScores.from_confidences(_confidences(candidate)).token_entropy or 0.0


def nbest_margin(candidate: ClipCandidate) -> float:
    """exp(-(best - runner-up log score)); least-confidence without two N-best entries."""
    if len(candidate.nbest) < 2:
        return least_confidence(candidate)
    best, second = sorted((n.log_score for n in candidate.nbest), reverse=True)[:2]
    return math.exp(-(best - second))


def text_disagreement(reference: str, hypothesis: str) -> float:
    """How far two suggestions disagree: their WER, and 1.0 (full disagreement) where the WER is
    undefined (words against an empty text) since a score must be a number."""
    wer = utterance_wer(reference, hypothesis)
    return 1.0 if wer is None else wer


def committee_disagreement(candidate: ClipCandidate) -> float:
    """Mean WER of the other model versions' suggestions against this one."""
    if not candidate.other_texts:
        return least_confidence(candidate)
    wers = [text_disagreement(candidate.text, other) for other in candidate.other_texts]
    return sum(wers) / len(wers)


@dataclass(frozen=True)
class FunctionScorer:
    """A scorer that needs no parameters."""

    name: str
    function: Callable[[ClipCandidate], float]

    def __call__(self, candidate: ClipCandidate) -> float:
        """The candidate's score."""
        return self.function(candidate)


@dataclass(frozen=True)
class RandomScorer:
    """A uniform number in [0, 1) per (seed, clip uid): the same seed gives the same order."""

    seed: int = 0
    name: str = "random"

    def __call__(self, candidate: ClipCandidate) -> float:
        """The candidate's score."""
        return unit_hash(self.seed, candidate.uid)


@dataclass(frozen=True)
class EntityScorer:
    """1 - the lowest confidence over words inside catalog entity spans."""

    vocabulary: EntityVocabulary
    name: str = "entity"

    def __call__(self, candidate: ClipCandidate) -> float:
        """The candidate's score (least-confidence where no entity is named)."""
        tokens: list[str] = []
        confidences: list[float] = []
        for word in candidate.words:
            for token in word.word.split():  # a multi-word token shares its confidence
                tokens.append(token)
                confidences.append(word.confidence)
        spans = self.vocabulary.match(tokens)
        inside = [confidences[i] for span in spans for i in range(span.start, span.end)]
        if not inside:
            return least_confidence(candidate)
        return 1.0 - min(max(min(inside), 0.0), 1.0)


_SIMPLE: dict[str, Callable[[ClipCandidate], float]] = {
    "least-confidence": least_confidence,
    "log-prob": negative_log_prob,
    "entropy": entropy,
    "margin": nbest_margin,
    "committee": committee_disagreement,
}
SCORER_NAMES: tuple[str, ...] = ("random", *_SIMPLE, "entity")
"""Every registered scorer name."""


def make_scorer(name: str, *, seed: int = 0, vocabulary: EntityVocabulary | None = None) -> Scorer:
    """The scorer registered under `name`.

    Args:
        name: one of :data:`SCORER_NAMES`.
        seed: the seed of the ``random`` scorer (ignored by the others).
        vocabulary: the catalog entities the ``entity`` scorer looks for (load them with
            :func:`voxcart.datasets.catalog.store.load_vocabulary`).

    Raises:
        ModelError: unknown name, or ``entity`` without a vocabulary.
    """
    if name == "random":
        return RandomScorer(seed)
    if name == "entity":
        if vocabulary is None:
            raise ModelError(
                "scorer 'entity' needs the catalog's entity vocabulary; import a catalog with "
                "`voxcart catalog import` or choose another scorer"
            )
        return EntityScorer(vocabulary)
    if name in _SIMPLE:
        return FunctionScorer(name, _SIMPLE[name])
    raise ModelError(f"scorer={name!r} is unknown; use one of {', '.join(SCORER_NAMES)}")
