"""Linear interpolation of back-off n-gram models, and mixture weights tuned on dev text.

The mixed model is static (one ARPA file the decoder loads as usual): it holds the union of
the components' n-grams, each with P(w | h) = sum_i weight_i * P_i(w | h) where each P_i backs
off inside its own component, and back-off weights recomputed so that every history's
distribution sums to one (SRILM's ``-mix-lm`` construction). Weights are fitted by expectation
maximisation on the per-word probabilities of dev sentences, with a floor so that no component
(in particular the broad background that makes any word speakable) is switched off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from voxcart.model.errors import ModelError
from voxcart.model.lm.arpa import BOS, NO_PROB, Ngram, NgramLm, sentence_events

MIN_WEIGHT = 0.005
"""The smallest weight EM may give a component."""
_EM_ITERATIONS = 40
_MIN_MASS = 1e-6


def _check(models: Sequence[NgramLm], weights: Sequence[float]) -> None:
    if not models or len(models) != len(weights):
        raise ModelError(f"need one weight per model; got {len(models)} models, {len(weights)}")
    if any(w < 0 for w in weights) or not math.isclose(sum(weights), 1.0, abs_tol=1e-6):
        raise ModelError(f"mixture weights {list(weights)} must be >= 0 and sum to 1")


def mixed_prob(
    models: Sequence[NgramLm], weights: Sequence[float], history: Ngram, word: str
) -> float:
    """P(word | history) under the (dynamic) mixture; 0 when no component knows the word."""
    total = 0.0
    for model, weight in zip(models, weights, strict=True):
        value = model.word_logprob(history, word)
        if value is not None and weight > 0:
            total += weight * 10**value
    return total


def interpolate(models: Sequence[NgramLm], weights: Sequence[float]) -> NgramLm:
    """One back-off model approximating the weighted mixture of `models`.

    Raises:
        ModelError: the weights are not one non-negative number per model summing to one.
    """
    _check(models, weights)
    order = max(m.order for m in models)
    grams: set[Ngram] = set()
    for model in models:
        grams.update(model.logprob)
    logprob: dict[Ngram, float] = {}
    for gram in grams:
        if gram == (BOS,):
            logprob[gram] = NO_PROB
            continue
        p = mixed_prob(models, weights, gram[:-1], gram[-1])
        logprob[gram] = math.log10(p) if p > 0 else NO_PROB
    mixed = NgramLm(order=order, logprob=logprob, backoff={})
    return NgramLm(order=order, logprob=logprob, backoff=_backoffs(mixed))


def _backoffs(model: NgramLm) -> dict[Ngram, float]:
    """Back-off weights that normalise every history of `model` (whose own are ignored)."""
    children: dict[Ngram, list[str]] = {}
    for gram in model.logprob:
        if len(gram) > 1:
            children.setdefault(gram[:-1], []).append(gram[-1])
    plain = NgramLm(model.order, model.logprob, {})
    backoff: dict[Ngram, float] = {}
    # Shorter histories first: a history's lower-order probabilities use their back-offs.
    for history in sorted(children, key=len):
        words = children[history]
        seen = sum(10 ** model.logprob[(*history, w)] for w in words)
        lower = NgramLm(model.order, model.logprob, backoff) if len(history) > 1 else plain
        below = 0.0
        for w in words:
            value = lower.word_logprob(history[1:], w)
            below += 10**value if value is not None else 0.0
        numerator = max(1.0 - seen, _MIN_MASS)
        denominator = max(1.0 - below, _MIN_MASS)
        backoff[history] = math.log10(numerator / denominator)
    for gram in model.logprob:
        if len(gram) < model.order and gram not in backoff and gram[-1] != "</s>":
            backoff[gram] = 0.0
    return backoff


def tune_weights(
    models: Sequence[NgramLm], dev: Sequence[str], floor: float = MIN_WEIGHT
) -> tuple[float, ...]:
    """Mixture weights maximising the likelihood of dev sentences (EM), each at least `floor`.

    Words no component can emit are left out. Without dev words the weights are equal.

    Raises:
        ModelError: no models, or `floor` times the number of models exceeds one.
    """
    k = len(models)
    if not k or floor * k > 1.0:
        raise ModelError(f"cannot tune {k} weights with floor {floor}")
    table: list[list[float]] = []
    for sentence in dev:
        for history, word in sentence_events(sentence):
            row = [
                10**v if (v := m.word_logprob(history, word)) is not None else 0.0 for m in models
            ]
            if any(row):
                table.append(row)
    weights = [1.0 / k] * k
    if not table:
        return tuple(weights)
    for _ in range(_EM_ITERATIONS):
        posterior = [0.0] * k
        for row in table:
            mix = sum(w * p for w, p in zip(weights, row, strict=True))
            if mix <= 0:
                continue
            for i in range(k):
                posterior[i] += weights[i] * row[i] / mix
        total = sum(posterior)
        # Every weight is the floor plus its share of what the floors leave.
        weights = [floor + (1.0 - k * floor) * p / total for p in posterior]
    return tuple(_renormalise(weights))


def _renormalise(weights: list[float]) -> list[float]:
    rounded = [math.floor(w * 10_000) / 10_000 for w in weights]
    rounded[rounded.index(max(rounded))] += round(1.0 - sum(rounded), 4)
    return rounded
