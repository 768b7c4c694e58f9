"""Whisper tokens to timed, scored words: the pure part of the ``whisper`` backend.

Whisper's byte-level BPE marks the start of a word with a leading space (``"Ġ"`` in the token
string), so a word is a run of tokens whose first token starts with a space and whose others do
not. Punctuation tokens (``"."``, ``","``) carry no space and join the word before them. A
word's confidence is the geometric mean of its tokens' probabilities (``"mean"``, the exp of
the mean token log-probability) or the lowest of them (``"min"``).

Whisper writes numbers, prices and punctuation ("$50.", "Sony"); voxcart stores the spoken
form, so each Whisper word is normalized (:func:`voxcart.datasets.text.normalize.normalize`) and
may become several spoken words ("$50" -> "fifty dollars") that share its confidence, or none
(a lone punctuation mark).

Word times are APPROXIMATE: the clip's duration is spread over the spoken words in proportion
to their length in characters. They are good enough to place a word in the review player, not
for alignment.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from voxcart.datasets.text.normalize import normalize
from voxcart.model.backends.hypothesis import Hypothesis, UtteranceScores, WordHypothesis

WordConfidence = Literal["mean", "min"]
CONFIDENCE_MODES: tuple[str, ...] = ("mean", "min")
SPACE_MARKERS = ("Ġ", " ")


@dataclass(frozen=True)
class TokenStep:
    """One generated token with its probability under the model.

    Attributes:
        token_id: the vocabulary id.
        piece: the tokenizer's token string (``"Ġsony"``: byte-level, ``"Ġ"`` is a space).
        log_prob: natural-log probability of this token given the audio and earlier tokens.
        entropy: entropy (nats) of the full next-token distribution at this step.
    """

    token_id: int
    piece: str
    log_prob: float
    entropy: float


def split_words(steps: Sequence[TokenStep]) -> list[list[TokenStep]]:
    """Group tokens into Whisper words by the leading-space convention."""
    words: list[list[TokenStep]] = []
    for step in steps:
        if not words or step.piece.startswith(SPACE_MARKERS):
            words.append([step])
        else:
            words[-1].append(step)
    return words


def word_confidence(tokens: Sequence[TokenStep], mode: WordConfidence = "mean") -> float:
    """The geometric mean (``"mean"``) or minimum (``"min"``) of the tokens' probabilities.

    Raises:
        ValueError: `tokens` is empty or `mode` is unknown.
    """
    if not tokens:
        raise ValueError("word_confidence needs at least one token")
    logs = [t.log_prob for t in tokens]
    if mode == "mean":
        value = math.exp(sum(logs) / len(logs))
    elif mode == "min":
        value = math.exp(min(logs))
    else:
        raise ValueError(f"confidence={mode!r} is not allowed; use one of {CONFIDENCE_MODES}")
    return min(max(value, 0.0), 1.0)


def build_hypothesis(
    steps: Sequence[TokenStep],
    decode: Callable[[list[int]], str],
    duration_s: float,
    mode: WordConfidence = "mean",
) -> Hypothesis:
    """The hypothesis for one clip's generated text tokens (special tokens already removed).

    Args:
        steps: the generated tokens, in order, without prompt, special or timestamp tokens.
        decode: turns token ids into text (the tokenizer's ``decode``).
        duration_s: the clip's length; word times are spread over it.
        mode: how token probabilities become a word confidence.

    Returns:
        Spoken-form words with approximate times; utterance scores from the word confidences,
        ``token_entropy`` the mean entropy of the full next-token distributions and
        ``utterance_prob`` the probability of the whole token sequence.
    """
    spoken: list[tuple[str, float]] = []
    for group in split_words(steps):
        confidence = word_confidence(group, mode)
        text = normalize(decode([t.token_id for t in group]))
        spoken.extend((word, confidence) for word in text.split())
    words = _spread(spoken, duration_s)
    confidences = [w.confidence for w in words]
    if not confidences and steps:
        # Tokens that normalize to no words (noise, symbols) must not look certain.
        confidences = [word_confidence(steps, mode)]
    scores = UtteranceScores.from_confidences(confidences)
    if steps:
        scores = replace(
            scores,
            token_entropy=sum(t.entropy for t in steps) / len(steps),
            utterance_prob=min(1.0, math.exp(sum(t.log_prob for t in steps))),
        )
    else:
        scores = replace(scores, token_entropy=None)
    return Hypothesis(text=" ".join(w.word for w in words), words=words, scores=scores)


def _spread(spoken: list[tuple[str, float]], duration_s: float) -> tuple[WordHypothesis, ...]:
    """Approximate times: the clip split among the words by their character counts."""
    total = sum(len(word) for word, _ in spoken)
    duration = max(duration_s, 0.0)
    out: list[WordHypothesis] = []
    used = 0
    for word, confidence in spoken:
        start = duration * used / total
        used += len(word)
        end = duration * used / total
        out.append(WordHypothesis(word, round(start, 3), round(max(end, start), 3), confidence))
    return tuple(out)
