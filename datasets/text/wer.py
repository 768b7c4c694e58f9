"""Word and character error rates: the one definition voxcart uses everywhere.

Both texts are normalized to the spoken form first (:func:`normalize` is idempotent), then
aligned with jiwer. A rate is ``edits / reference length``:

- **Empty reference.** With an empty hypothesis too the rate is ``0.0`` (nothing to say, and
  nothing said); with a non-empty hypothesis it is ``None``, undefined. Never ``nan``, never a
  made-up ``1.0`` or an insertion count.
- **Utterance level** (:func:`utterance_wer`, :func:`utterance_cer`): one pair.
- **Corpus level** (:func:`corpus_wer`, :func:`corpus_cer`, :meth:`WordErrors.rate` on summed
  counts): all edits over all reference words, not a mean of utterance rates; the empty-reference
  rule applies to the totals, so insertions against empty references still count as errors.
  An empty corpus (no pairs) has no rate: ``None``.

CER counts spaces as characters, as jiwer does. :func:`align_words` is the one word alignment
(the labeler's suggestion/edit diff and the confidence calibration's right/wrong word labels
both read it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from voxcart.datasets.text.normalize import normalize


def error_rate(errors: int, reference_length: int) -> float | None:
    """``errors / reference_length`` under the empty-reference rule (see the module docstring).

    Args:
        errors: edits (substitutions + deletions + insertions).
        reference_length: words (or characters) in the reference.

    Returns:
        The rate; 0.0 for no reference and no errors; None for errors against no reference.
    """
    if reference_length:
        return errors / reference_length
    return 0.0 if errors == 0 else None


@dataclass(frozen=True)
class WordErrors:
    """Word edit counts of a hypothesis against its reference (or summed over a corpus).

    Attributes:
        ref_words: words in the reference.
        substitutions: substituted words.
        deletions: reference words missing from the hypothesis.
        insertions: hypothesis words not in the reference.
    """

    ref_words: int = 0
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0

    @property
    def errors(self) -> int:
        """Substitutions + deletions + insertions."""
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float | None:
        """The word error rate under the empty-reference rule."""
        return error_rate(self.errors, self.ref_words)

    def __add__(self, other: WordErrors) -> WordErrors:
        return WordErrors(
            self.ref_words + other.ref_words,
            self.substitutions + other.substitutions,
            self.deletions + other.deletions,
            self.insertions + other.insertions,
        )


@dataclass(frozen=True)
class AlignedRun:
    """A run of aligned words, in ASR terms (reference = truth, hypothesis = recognized).

    Attributes:
        kind: ``equal``, ``substitute``, ``insert`` (hypothesis words not in the reference)
            or ``delete`` (reference words the hypothesis lacks).
        ref_start: first reference word index of the run.
        ref_end: one past its last reference word.
        hyp_start: first hypothesis word index of the run.
        hyp_end: one past its last hypothesis word.
    """

    kind: str
    ref_start: int
    ref_end: int
    hyp_start: int
    hyp_end: int


def align_words(reference: Sequence[str], hypothesis: Sequence[str]) -> tuple[AlignedRun, ...]:
    """The minimum-edit alignment of two word sequences (jiwer's), as runs in order.

    Words are compared exactly as given (normalize first where needed); a word must not
    contain whitespace.

    Args:
        reference: the true words.
        hypothesis: the recognized words.
    """
    if not reference and not hypothesis:
        return ()
    if not reference:
        return (AlignedRun("insert", 0, 0, 0, len(hypothesis)),)
    if not hypothesis:
        return (AlignedRun("delete", 0, len(reference), 0, 0),)
    import jiwer

    out = jiwer.process_words(" ".join(reference), " ".join(hypothesis))
    return tuple(
        AlignedRun(c.type, c.ref_start_idx, c.ref_end_idx, c.hyp_start_idx, c.hyp_end_idx)
        for c in out.alignments[0]
    )


def hypothesis_hits(reference: Sequence[str], hypothesis: Sequence[str]) -> tuple[bool, ...]:
    """For each hypothesis word, whether the alignment matches it to the same reference word
    (False: substituted or inserted)."""
    hits = [False] * len(hypothesis)
    for run in align_words(reference, hypothesis):
        if run.kind == "equal":
            hits[run.hyp_start : run.hyp_end] = [True] * (run.hyp_end - run.hyp_start)
    return tuple(hits)


def word_errors(reference: str, hypothesis: str, *, normalized: bool = False) -> WordErrors:
    """Word edit counts of one pair.

    Args:
        reference: the true text.
        hypothesis: the recognized (or suggested) text.
        normalized: both texts are already normalized; skips normalizing them again.
    """
    ref = reference if normalized else normalize(reference)
    hyp = hypothesis if normalized else normalize(hypothesis)
    ref_words, hyp_words = len(ref.split()), len(hyp.split())
    if not ref_words or not hyp_words:
        return WordErrors(ref_words, 0, ref_words, hyp_words)
    import jiwer

    out = jiwer.process_words(ref, hyp)
    return WordErrors(ref_words, out.substitutions, out.deletions, out.insertions)


def char_errors(reference: str, hypothesis: str, *, normalized: bool = False) -> tuple[int, int]:
    """(character edits, reference characters) of one pair, spaces counted as characters.

    Args:
        reference: the true text.
        hypothesis: the recognized text.
        normalized: both texts are already normalized.
    """
    ref = reference if normalized else normalize(reference)
    hyp = hypothesis if normalized else normalize(hypothesis)
    if not ref or not hyp:
        return max(len(ref), len(hyp)), len(ref)
    import jiwer

    out = jiwer.process_characters(ref, hyp)
    return int(out.substitutions + out.deletions + out.insertions), len(ref)


def utterance_wer(reference: str, hypothesis: str) -> float | None:
    """WER of one hypothesis against its reference (None: empty reference, words said)."""
    return word_errors(reference, hypothesis).rate


def utterance_cer(reference: str, hypothesis: str) -> float | None:
    """CER of one hypothesis against its reference (None: empty reference, text said)."""
    return error_rate(*char_errors(reference, hypothesis))


def _checked_pairs(
    references: Sequence[str], hypotheses: Sequence[str]
) -> Iterable[tuple[str, str]]:
    if len(references) != len(hypotheses):
        raise ValueError(
            f"{len(references)} references but {len(hypotheses)} hypotheses; give one each"
        )
    return zip(references, hypotheses, strict=True)


def corpus_wer(references: Sequence[str], hypotheses: Sequence[str]) -> float | None:
    """Corpus WER: all word edits over all reference words.

    Raises:
        ValueError: the two lists differ in length.
    """
    total = WordErrors()
    for ref, hyp in _checked_pairs(references, hypotheses):
        total = total + word_errors(ref, hyp)
    return total.rate if references else None


def corpus_cer(references: Sequence[str], hypotheses: Sequence[str]) -> float | None:
    """Corpus CER: all character edits over all reference characters.

    Raises:
        ValueError: the two lists differ in length.
    """
    edits = length = 0
    for ref, hyp in _checked_pairs(references, hypotheses):
        e, n = char_errors(ref, hyp)
        edits, length = edits + e, length + n
    return error_rate(edits, length) if references else None
