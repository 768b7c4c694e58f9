"""From CTC frame posteriors to timed words: path collapsing, forced alignment, confidences.

Frames -> tokens: a CTC path (one token per output frame) collapses repeats and drops blanks;
each emitted token keeps the frames that emitted it. Tokens -> words: words are split on the
word delimiter token (``" "`` after :class:`~voxcart.model.backends.ctc_decode.CtcVocab`
mapping, the ``"|"`` of wav2vec2 vocabularies) or at a token starting with ``"▁"``
(sentencepiece).

A word's confidence is the mean (default) or the minimum of the posteriors of its emitting
frames (the frames whose path token is one of the word's tokens; blank frames inside the word
are left out, since a confident blank says nothing about the word). On the greedy path those
posteriors are the frames' max posteriors; for a beam hypothesis the word's tokens are first
force-aligned inside its frame span, so a word the beam chose against the acoustics scores low.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

ConfidenceMode = Literal["mean", "min"]
CONFIDENCE_MODES: tuple[str, ...] = ("mean", "min")
_NEG = -1e30


@dataclass(frozen=True)
class TokenSpan:
    """One emitted token and the frames that emitted it (``end_frame`` exclusive)."""

    token: int
    start_frame: int
    end_frame: int


@dataclass(frozen=True)
class WordSpan:
    """One word of a path: its text, frame span (end exclusive) and confidence in [0, 1]."""

    word: str
    start_frame: int
    end_frame: int
    confidence: float


def collapse_path(path: Sequence[int] | np.ndarray, blank: int) -> list[TokenSpan]:
    """Merge repeated tokens of a frame path and drop blanks.

    A token repeated across frames is one emission (CTC needs a blank between two equal
    tokens to emit them twice), so each span covers a run of equal non-blank frames.
    """
    ids = np.asarray(path, dtype=np.int64).reshape(-1)
    spans: list[TokenSpan] = []
    start = 0
    for frame in range(1, ids.size + 1):
        if frame == ids.size or ids[frame] != ids[start]:
            token = int(ids[start])
            if token != blank:
                spans.append(TokenSpan(token, start, frame))
            start = frame
    return spans


def word_confidence(posteriors: Sequence[float] | np.ndarray, mode: ConfidenceMode) -> float:
    """Combine per-frame posteriors into one confidence in [0, 1] (1.0 for no frames)."""
    values = np.asarray(posteriors, dtype=np.float64)
    if values.size == 0:
        return 1.0
    value = float(values.min() if mode == "min" else values.mean())
    return min(1.0, max(0.0, value)) if np.isfinite(value) else 0.0


def path_words(
    path: Sequence[int] | np.ndarray,
    log_probs: np.ndarray,
    labels: Sequence[str],
    blank: int,
    mode: ConfidenceMode = "mean",
) -> list[WordSpan]:
    """The words of a frame path with frame spans and confidences.

    Args:
        path: one token index per frame (e.g. the greedy argmax path).
        log_probs: (frames, tokens) log posteriors the path was read from.
        labels: each token's text; ``" "`` is the word delimiter, ``"▁"`` starts a word.
        blank: the blank token's index.
        mode: ``"mean"`` or ``"min"`` of the emitting frames' posteriors.
    """
    ids = np.asarray(path, dtype=np.int64).reshape(-1)
    frame_posteriors = np.exp(log_probs[np.arange(ids.size), ids]) if ids.size else np.zeros(0)
    words: list[WordSpan] = []
    pieces: list[str] = []
    frames: list[int] = []
    span: list[int] = []

    def close() -> None:
        text = "".join(pieces).strip()
        if text:
            confidence = word_confidence(frame_posteriors[frames], mode)
            words.append(WordSpan(text, span[0], span[1], confidence))
        pieces.clear()
        frames.clear()
        span.clear()

    for token in collapse_path(ids, blank):
        label = labels[token.token]
        if label.strip() == "":
            close()
            continue
        if label.startswith("▁"):
            close()
            label = label[1:]
        pieces.append(label)
        frames.extend(range(token.start_frame, token.end_frame))
        span[:] = [span[0] if span else token.start_frame, token.end_frame]
    close()
    return words


def force_align(log_probs: np.ndarray, tokens: Sequence[int], blank: int) -> np.ndarray | None:
    """The most likely CTC frame path that emits exactly `tokens` (Viterbi).

    Args:
        log_probs: (frames, vocabulary) log posteriors.
        tokens: the token indices to emit, in order (no blanks).
        blank: the blank index.

    Returns:
        One token index per frame, or None when the frames are too few for the tokens.
    """
    frames = log_probs.shape[0]
    states = [blank]
    for token in tokens:
        states.extend((int(token), blank))
    ext = np.asarray(states, dtype=np.int64)
    count = ext.size
    repeats = sum(1 for a, b in itertools.pairwise(tokens) if a == b)
    if frames < len(tokens) + repeats:
        return None
    # A state may be entered from two back when it is a token unlike the one two back.
    skip = np.zeros(count, dtype=bool)
    skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])
    emit = log_probs[:, ext]
    score = np.full(count, _NEG)
    score[0] = emit[0, 0]
    if count > 1:
        score[1] = emit[0, 1]
    back = np.zeros((frames, count), dtype=np.int8)
    for t in range(1, frames):
        stay = score
        step = np.concatenate(([_NEG], score[:-1]))
        jump = np.where(skip, np.concatenate(([_NEG, _NEG], score[:-2])), _NEG)
        options = np.stack((stay, step, jump))
        choice = options.argmax(axis=0)
        score = options[choice, np.arange(count)] + emit[t]
        back[t] = choice
    ends = [count - 1, count - 2] if count > 1 else [0]
    state = max(ends, key=lambda s: score[s])
    if score[state] <= _NEG / 2:
        return None
    path = np.empty(frames, dtype=np.int64)
    for t in range(frames - 1, -1, -1):
        path[t] = ext[state]
        state -= int(back[t, state])
    return path


def align_span(
    log_probs: np.ndarray,
    tokens: Sequence[int],
    blank: int,
    start_frame: int,
    end_frame: int,
    mode: ConfidenceMode = "mean",
) -> WordSpan:
    """Place a word emitted as `tokens` within frames ``[start_frame, end_frame)``.

    The tokens are force-aligned inside the span; the word is narrowed to the frames that
    emit them and its confidence combines their posteriors. Where they cannot be aligned
    (span too short, or no tokens known), the span is kept and the frames' max posteriors
    are used instead. The returned span's ``word`` is empty: the caller knows the word.
    """
    start = max(0, start_frame)
    end = max(start + 1, end_frame)
    window = log_probs[start:end]
    path = force_align(window, tokens, blank) if len(tokens) else None
    if path is None:
        return WordSpan("", start, end, word_confidence(np.exp(window.max(axis=1)), mode))
    emitting = np.flatnonzero(path != blank)
    posteriors = np.exp(window[emitting, path[emitting]])
    return WordSpan(
        "",
        start + int(emitting[0]),
        start + int(emitting[-1]) + 1,
        word_confidence(posteriors, mode),
    )


def frame_entropy(log_probs: np.ndarray) -> np.ndarray:
    """Entropy in nats of each frame's posterior distribution, shape (frames,)."""
    probs = np.exp(log_probs)
    return np.asarray(-(probs * np.where(probs > 0, log_probs, 0.0)).sum(axis=1))


def token_entropy(log_probs: np.ndarray, blank: int) -> float:
    """Mean frame entropy (nats) over the frames whose most likely token is not blank.

    Blank frames dominate CTC output and are nearly always certain; averaging over the
    frames that emit something measures how sure the model is of what it wrote. All frames
    are used where every frame is blank; 0.0 for no frames.
    """
    if log_probs.shape[0] == 0:
        return 0.0
    entropy = frame_entropy(log_probs)
    emitting = log_probs.argmax(axis=1) != blank
    return float(entropy[emitting].mean() if emitting.any() else entropy.mean())
