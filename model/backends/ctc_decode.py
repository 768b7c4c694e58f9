"""Decoding CTC posteriors into hypotheses: greedy, or pyctcdecode beam search with hotwords.

The model's vocabulary is first reduced to what can be written: the blank (the tokenizer's pad
token) absorbs the probability of the other special tokens (``<unk>``, ``<s>``, ...), so neither
decoder ever writes them; the word delimiter (``"|"``) becomes ``" "``; letters are lowercased
(voxcart transcripts are lowercase spoken form). Beam search can boost catalog terms
(hotwords) and, where the optional ``kenlm`` package is installed, fuse a KenLM n-gram model.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from voxcart.model.backends.ctc_align import (
    CONFIDENCE_MODES,
    ConfidenceMode,
    WordSpan,
    align_span,
    path_words,
    token_entropy,
)
from voxcart.model.backends.hypothesis import (
    Hypothesis,
    NBestEntry,
    UtteranceScores,
    WordHypothesis,
)
from voxcart.model.errors import ModelError

DecodeMethod = Literal["greedy", "beam"]
METHODS: tuple[str, ...] = ("greedy", "beam")
DEFAULT_BEAM_WIDTH = 32
DEFAULT_NBEST = 5
DEFAULT_HOTWORD_WEIGHT = 10.0
MIN_HOTWORD_CHARS = 2
"""Single letters are never hotwords: boosting them would favour spelling everything out."""
_EPS = 1e-12


@dataclass(frozen=True)
class DecodeOptions:
    """How posteriors become text.

    Attributes:
        method: ``"greedy"`` (best token per frame, no N-best) or ``"beam"`` (pyctcdecode).
        beam_width: beams kept per frame (beam only).
        nbest: alternatives kept in the hypothesis (beam only; 0 for none).
        hotwords: words to boost in beam search (e.g. catalog brands and product types).
        hotword_weight: log-score bonus per hotword (pyctcdecode's default is 10).
        kenlm_path: a KenLM ``.arpa``/``.bin`` model to fuse (needs ``pip install kenlm``).
        alpha: LM weight (KenLM only).
        beta: word insertion bonus (KenLM only).
        confidence: combine a word's frame posteriors by ``"mean"`` or ``"min"``.
    """

    method: DecodeMethod = "greedy"
    beam_width: int = DEFAULT_BEAM_WIDTH
    nbest: int = DEFAULT_NBEST
    hotwords: tuple[str, ...] = ()
    hotword_weight: float = DEFAULT_HOTWORD_WEIGHT
    kenlm_path: Path | None = None
    alpha: float = 0.5
    beta: float = 1.0
    confidence: ConfidenceMode = "mean"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ModelError(f"decoder={self.method!r} is not allowed; use one of {METHODS}")
        if self.beam_width < 1:
            raise ModelError(f"beam_width={self.beam_width} must be at least 1")
        if self.nbest < 0:
            raise ModelError(f"nbest={self.nbest} must be zero or positive")
        if self.confidence not in CONFIDENCE_MODES:
            raise ModelError(
                f"confidence={self.confidence!r} is not allowed; use one of {CONFIDENCE_MODES}"
            )
        if not math.isfinite(self.hotword_weight):
            raise ModelError(f"hotword_weight={self.hotword_weight} must be a finite number")


@dataclass(frozen=True)
class CtcVocab:
    """The writable vocabulary: index 0 is the blank; ``" "`` is the word delimiter.

    Attributes:
        labels: the text of each reduced token (index 0: ``""``, the blank).
        source_ids: the model output index of each reduced token.
        folded_ids: model output indices (blank and special tokens) summed into the blank.
    """

    labels: tuple[str, ...]
    source_ids: tuple[int, ...]
    folded_ids: tuple[int, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {label: i for i, label in enumerate(self.labels)})

    @classmethod
    def from_tokens(
        cls,
        tokens: Sequence[str],
        blank_id: int,
        special_ids: Iterable[int] = (),
        delimiter: str | None = "|",
    ) -> CtcVocab:
        """Build from the model's output tokens (``tokens[i]`` is output ``i``'s text).

        Raises:
            ModelError: the blank id is out of range, or two tokens read the same once
                lowercased and the delimiter mapped (the vocabulary would be ambiguous).
        """
        if not 0 <= blank_id < len(tokens):
            raise ModelError(
                f"blank (pad) token id {blank_id} is outside the model's {len(tokens)} outputs"
            )
        folded = sorted({blank_id, *(i for i in special_ids if 0 <= i < len(tokens))})
        labels, sources = [""], [blank_id]
        for index, token in enumerate(tokens):
            if index in folded:
                continue
            labels.append(" " if token == delimiter or token == " " else token)
            sources.append(index)
        lowered = [label.lower() for label in labels]
        if len(set(lowered)) == len(lowered):
            labels = lowered
        if len(set(labels)) != len(labels):
            duplicates = sorted({x for x in labels if labels.count(x) > 1})
            raise ModelError(f"the tokenizer's vocabulary repeats tokens {duplicates[:5]}")
        return cls(tuple(labels), tuple(sources), tuple(folded))

    @property
    def size(self) -> int:
        """Number of reduced tokens (blank included)."""
        return len(self.labels)

    def reduce(self, log_probs: np.ndarray) -> np.ndarray:
        """Map (frames, model outputs) log posteriors to (frames, :attr:`size`)."""
        folded = log_probs[:, list(self.folded_ids)]
        blank = np.logaddexp.reduce(folded, axis=1) if folded.shape[1] > 1 else folded[:, 0]
        out = np.empty((log_probs.shape[0], self.size), dtype=np.float32)
        out[:, 0] = blank
        out[:, 1:] = log_probs[:, list(self.source_ids[1:])]
        return out

    def token_ids(self, word: str) -> list[int]:
        """The reduced indices spelling `word` letter by letter ([] when a letter is missing)."""
        ids = [self._index.get(char) for char in word]
        return [] if any(i is None for i in ids) else [i for i in ids if i is not None]

    def usable_hotwords(self, terms: Iterable[str]) -> tuple[str, ...]:
        """The distinct lowercase words of `terms` that this vocabulary can spell.

        Single letters and words with a letter outside the vocabulary are dropped (a
        sentencepiece vocabulary keeps every word of two or more letters).
        """
        bpe = any(label.startswith("▁") for label in self.labels)
        chars = {label for label in self.labels if len(label) == 1}
        kept = set()
        for term in terms:
            for word in str(term).lower().split():
                if len(word) >= MIN_HOTWORD_CHARS and (bpe or set(word) <= chars):
                    kept.add(word)
        return tuple(sorted(kept))


def _import_pyctcdecode() -> Any:
    # pyctcdecode warns at import time when kenlm is missing; kenlm is optional here and its
    # absence is reported clearly where a KenLM model is asked for.
    loggers = [logging.getLogger(f"pyctcdecode.{m}") for m in ("decoder", "language_model")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        import pyctcdecode
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ModelError("beam search needs pyctcdecode: pip install pyctcdecode") from exc
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
    return pyctcdecode


def _check_kenlm(path: Path) -> None:
    if not path.is_file():
        raise ModelError(f"kenlm_path={str(path)!r} is not a file; give a KenLM .arpa or .bin")
    try:
        import kenlm  # noqa: F401
    except ImportError as exc:
        raise ModelError(
            f"kenlm_path={str(path)!r} needs the KenLM Python bindings, which are not "
            "installed: run `pip install kenlm` (or remove kenlm_path to decode without an LM)"
        ) from exc


class CtcDecoder:
    """Turns one clip's CTC log posteriors into a :class:`Hypothesis`."""

    def __init__(self, vocab: CtcVocab, options: DecodeOptions) -> None:
        """Prepare the decoder; the beam decoder (and KenLM) load here.

        Raises:
            ModelError: the KenLM file is missing or kenlm is not installed.
        """
        self.vocab = vocab
        self.options = options
        self.hotwords = vocab.usable_hotwords(options.hotwords)
        self._beam: Any = None
        if options.method == "beam":
            kenlm_path = None
            if options.kenlm_path is not None:
                _check_kenlm(options.kenlm_path)
                kenlm_path = str(options.kenlm_path)
            pyctcdecode = _import_pyctcdecode()
            try:
                self._beam = pyctcdecode.build_ctcdecoder(
                    list(vocab.labels),
                    kenlm_model_path=kenlm_path,
                    alpha=options.alpha,
                    beta=options.beta,
                )
            except (ValueError, OSError) as exc:
                raise ModelError(f"cannot build the beam decoder: {exc}") from exc

    def decode(self, log_probs: np.ndarray, frame_s: float, duration_s: float) -> Hypothesis:
        """Decode one clip.

        Args:
            log_probs: (frames, model outputs) log posteriors of this clip only (no padding).
            frame_s: seconds per output frame.
            duration_s: the clip's length (word times are clipped to it).
        """
        reduced = self.vocab.reduce(np.asarray(log_probs, dtype=np.float32))
        if reduced.shape[0] == 0:
            return Hypothesis("", (), UtteranceScores.from_confidences([]))
        entropy = token_entropy(reduced, blank=0)
        if self._beam is None:
            path = reduced.argmax(axis=1)
            spans = path_words(path, reduced, self.vocab.labels, 0, self.options.confidence)
            return _hypothesis(spans, frame_s, duration_s, entropy, None, ())
        return self._decode_beam(reduced, frame_s, duration_s, entropy)

    def _decode_beam(
        self, reduced: np.ndarray, frame_s: float, duration_s: float, entropy: float
    ) -> Hypothesis:
        options = self.options
        beams = self._beam.decode_beams(
            reduced,
            beam_width=options.beam_width,
            hotwords=list(self.hotwords) or None,
            hotword_weight=options.hotword_weight,
        )
        text, _, word_frames, _, _ = beams[0]
        spans = []
        for word, (start, end) in word_frames:
            placed = align_span(
                reduced, self.vocab.token_ids(word), 0, start, end, options.confidence
            )
            spans.append(WordSpan(word, placed.start_frame, placed.end_frame, placed.confidence))
        alternatives: dict[str, float] = {}
        for beam in beams:
            candidate, score = beam[0], float(beam[-1])
            if candidate not in alternatives:
                alternatives[candidate] = score
        top = list(alternatives.items())[: max(1, options.nbest)]
        peak = max(score for _, score in top)
        total = sum(math.exp(score - peak) for _, score in top)
        utterance_prob = (
            math.exp(alternatives[text] - peak) / total if text in alternatives else None
        )
        nbest = tuple(NBestEntry(t, s) for t, s in top) if options.nbest else ()
        return _hypothesis(spans, frame_s, duration_s, entropy, utterance_prob, nbest)


def _hypothesis(
    spans: Sequence[WordSpan],
    frame_s: float,
    duration_s: float,
    entropy: float,
    utterance_prob: float | None,
    nbest: tuple[NBestEntry, ...],
) -> Hypothesis:
    words = []
    for span in spans:
        start = min(span.start_frame * frame_s, duration_s)
        end = min(max(span.end_frame * frame_s, start), duration_s)
        words.append(WordHypothesis(span.word, start, end, span.confidence))
    confidences = [w.confidence for w in words]
    if confidences:
        scores = UtteranceScores(
            mean_confidence=sum(confidences) / len(confidences),
            min_confidence=min(confidences),
            mean_log_prob=sum(math.log(max(c, _EPS)) for c in confidences) / len(confidences),
            token_entropy=entropy,
            utterance_prob=utterance_prob,
        )
    else:
        scores = UtteranceScores(1.0, 1.0, 0.0, entropy, utterance_prob)
    return Hypothesis(" ".join(w.word for w in words), tuple(words), scores, nbest)
