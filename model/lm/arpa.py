"""Back-off n-gram models in ARPA form: read, write, score sentences, perplexity and coverage.

A small pure-Python reader/writer so that voxcart can mix models (:mod:`voxcart.model.lm.mix`)
and measure them on dev text without SRILM. Probabilities are log10, as in the ARPA format.
Scoring follows the usual back-off rule: the longest explicit n-gram, plus the back-off
weights of the longer histories skipped on the way down.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from voxcart.model.errors import ModelError

BOS = "<s>"
EOS = "</s>"
NO_PROB = -99.0
"""The log10 probability ARPA files give ``<s>`` (never predicted)."""

Ngram = tuple[str, ...]


@dataclass(frozen=True)
class NgramLm:
    """A back-off n-gram model.

    Attributes:
        order: the longest n-gram.
        logprob: log10 P(w | h) of every explicit n-gram ``h + (w,)``.
        backoff: log10 back-off weight of every history that has one (missing means 0).
    """

    order: int
    logprob: Mapping[Ngram, float]
    backoff: Mapping[Ngram, float] = field(default_factory=dict)

    @property
    def vocabulary(self) -> frozenset[str]:
        """Words with a unigram (``<s>`` and ``</s>`` included)."""
        return frozenset(g[0] for g in self.logprob if len(g) == 1)

    def word_logprob(self, history: Ngram, word: str) -> float | None:
        """log10 P(word | history) by back-off; None when the word has no unigram."""
        history = history[len(history) - (self.order - 1) :] if self.order > 1 else ()
        penalty = 0.0
        while True:
            value = self.logprob.get((*history, word))
            if value is not None:
                return penalty + value
            if not history:
                return None
            penalty += self.backoff.get(history, 0.0)
            history = history[1:]


def parse_arpa(text: str) -> NgramLm:
    """Read ARPA text (``\\data\\``, ``\\N-grams:`` sections, ``\\end\\``).

    Raises:
        ModelError: the text is not an ARPA model (the message names the line).
    """
    logprob: dict[Ngram, float] = {}
    backoff: dict[Ngram, float] = {}
    order = 0
    section = 0
    for number, raw in enumerate(io.StringIO(text), start=1):
        line = raw.strip()
        if not line or line == "\\data\\" or line.startswith("ngram "):
            continue
        if line == "\\end\\":
            break
        if line.startswith("\\") and line.endswith("-grams:"):
            section = int(line[1:].split("-")[0])
            order = max(order, section)
            continue
        if not section:
            continue
        parts = line.split()
        if len(parts) not in (section + 1, section + 2):
            raise ModelError(f"ARPA line {number}: {line[:80]!r} is not a {section}-gram entry")
        gram = tuple(parts[1 : section + 1])
        logprob[gram] = float(parts[0])
        if len(parts) == section + 2:
            backoff[gram] = float(parts[-1])
    if not order:
        raise ModelError("the ARPA text has no n-gram sections; is it an ARPA model?")
    return NgramLm(order=order, logprob=logprob, backoff=backoff)


def write_arpa(model: NgramLm) -> str:
    """The model as ARPA text (n-grams sorted within each order)."""
    by_order: dict[int, list[Ngram]] = {n: [] for n in range(1, model.order + 1)}
    for gram in model.logprob:
        by_order[len(gram)].append(gram)
    out = io.StringIO()
    out.write("\\data\\\n")
    for n in range(1, model.order + 1):
        out.write(f"ngram {n}={len(by_order[n])}\n")
    for n in range(1, model.order + 1):
        out.write(f"\n\\{n}-grams:\n")
        for gram in sorted(by_order[n]):
            line = f"{model.logprob[gram]:.4f}\t{' '.join(gram)}"
            if n < model.order and gram in model.backoff:
                line += f"\t{model.backoff[gram]:.4f}"
            out.write(line + "\n")
    out.write("\n\\end\\\n")
    return out.getvalue()


def sentence_events(sentence: str) -> list[tuple[Ngram, str]]:
    """(history, word) for every word of a sentence and its end, after ``<s>``."""
    words = [BOS, *sentence.split(), EOS]
    return [(tuple(words[:i]), words[i]) for i in range(1, len(words))]


@dataclass(frozen=True)
class LmScore:
    """How well a model predicts some text.

    Attributes:
        sentences: sentences scored.
        words: words in them (``</s>`` not counted).
        oov: words the model cannot emit (no unigram).
        logprob: summed log10 probability of the in-vocabulary words and sentence ends.
        oov_words: distinct out-of-vocabulary words, most frequent first (at most 20).
    """

    sentences: int
    words: int
    oov: int
    logprob: float
    oov_words: tuple[str, ...] = ()

    @property
    def coverage(self) -> float | None:
        """Share of the words the model can emit (None without words)."""
        return (self.words - self.oov) / self.words if self.words else None

    @property
    def perplexity(self) -> float | None:
        """10 ** (-logprob / (in-vocabulary words + sentence ends)), as SRILM's ``ppl``."""
        events = self.words - self.oov + self.sentences
        return 10 ** (-self.logprob / events) if events else None

    def to_dict(self) -> dict[str, object]:
        """JSON-compatible values."""
        return {
            "sentences": self.sentences,
            "words": self.words,
            "oov": self.oov,
            "coverage": self.coverage,
            "perplexity": self.perplexity,
            "oov_words": list(self.oov_words),
        }


def score_text(model: NgramLm, sentences: Iterable[str]) -> LmScore:
    """Perplexity and coverage of normalized sentences (one per item, words split on spaces).

    Out-of-vocabulary words are counted and skipped, their successor scored from the shorter
    history, as SRILM does.
    """
    total = 0.0
    count = oov = words = 0
    missing: dict[str, int] = {}
    for sentence in sentences:
        tokens = sentence.split()
        if not tokens:
            continue
        count += 1
        words += len(tokens)
        history: list[str] = [BOS]
        for word in [*tokens, EOS]:
            value = model.word_logprob(tuple(history), word)
            if value is None:
                oov += 1
                missing[word] = missing.get(word, 0) + 1
                history = []
            else:
                total += value
                history.append(word)
    ranked = sorted(missing, key=lambda w: (-missing[w], w))[:20]
    return LmScore(count, words, oov, total, tuple(ranked))


def log10_sum(values: Iterable[float]) -> float:
    """log10 of the sum of the probabilities; ``-inf`` for none."""
    total = sum(10**v for v in values)
    return math.log10(total) if total > 0 else -math.inf
