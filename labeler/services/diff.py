"""Word-level diff between a model's suggestion and the annotator's edit, and its WER.

The alignment (:func:`~voxcart.datasets.text.wer.align_words`) and the rate are the one
definition in :mod:`voxcart.datasets.text.wer`.

The edit is the reference (the truth) and the suggestion the hypothesis, so the word error
rate says how wrong the suggestion was. Operations read from suggestion to edit: "insert"
is a word the annotator added, "delete" a word the annotator removed. The HTML rendering
escapes every word, so a transcript holding markup is shown as text, never run.
"""

from __future__ import annotations

import enum
import html
from dataclasses import dataclass

from voxcart.datasets.text.normalize import normalize
from voxcart.datasets.text.wer import align_words, error_rate


class OpKind(enum.StrEnum):
    """How a run of words changed from suggestion to edit."""

    EQUAL = "equal"
    SUBSTITUTE = "substitute"
    INSERT = "insert"
    DELETE = "delete"


@dataclass(frozen=True)
class DiffOp:
    """One run of words: `before` from the suggestion, `after` from the edit."""

    kind: OpKind
    before: tuple[str, ...]
    after: tuple[str, ...]


@dataclass(frozen=True)
class WordDiff:
    """The diff and the suggestion's error counts against the edit (on normalized text)."""

    ops: tuple[DiffOp, ...]
    wer: float | None
    """(S + D + I) / words in the normalized edit, under the empty-reference rule of
    :mod:`voxcart.datasets.text.wer`: 0.0 for two empty texts, None for a suggestion against
    an empty edit."""
    hits: int
    substitutions: int
    insertions: int
    """Words the annotator added (the suggestion's deletions in ASR terms)."""
    deletions: int
    """Words the annotator removed (the suggestion's insertions in ASR terms)."""
    reference_words: int


# Alignment runs, seen with the edit as reference: an ASR "insert" is a suggestion word the
# annotator removed, a "delete" an edit word the suggestion lacked.
_FROM_RUN = {
    "equal": OpKind.EQUAL,
    "substitute": OpKind.SUBSTITUTE,
    "insert": OpKind.DELETE,
    "delete": OpKind.INSERT,
}


def _align(before: list[str], after: list[str]) -> list[DiffOp]:
    return [
        DiffOp(
            _FROM_RUN[run.kind],
            tuple(before[run.hyp_start : run.hyp_end]),
            tuple(after[run.ref_start : run.ref_end]),
        )
        for run in align_words(after, before)
    ]


def word_diff(suggestion: str, edit: str, *, normalized: bool = True) -> WordDiff:
    """Align a suggestion with its edit word by word.

    Args:
        suggestion: the model's text.
        edit: the annotator's text.
        normalized: diff the normalized (spoken) words; False diffs the words as typed
            (split on whitespace), which shows case and punctuation changes too. The WER and
            counts always use normalized words.

    Returns:
        The operations and the error counts.
    """
    ref = normalize(edit).split()
    hyp = normalize(suggestion).split()
    norm_ops = _align(hyp, ref)
    ops = norm_ops if normalized else _align(suggestion.split(), edit.split())
    subs = sum(len(o.after) for o in norm_ops if o.kind is OpKind.SUBSTITUTE)
    ins = sum(len(o.after) for o in norm_ops if o.kind is OpKind.INSERT)
    dels = sum(len(o.before) for o in norm_ops if o.kind is OpKind.DELETE)
    hits = sum(len(o.after) for o in norm_ops if o.kind is OpKind.EQUAL)
    wer = error_rate(subs + ins + dels, len(ref))
    return WordDiff(
        ops=tuple(ops),
        wer=wer,
        hits=hits,
        substitutions=subs,
        insertions=ins,
        deletions=dels,
        reference_words=len(ref),
    )


def _words(words: tuple[str, ...]) -> str:
    return html.escape(" ".join(words), quote=True)


def render_html(diff: WordDiff) -> str:
    """The diff as inline HTML: removed words struck through, added words underlined.

    Classes: ``vx-eq``, ``vx-sub``, ``vx-ins``, ``vx-del`` (style them in the app). Every
    word is HTML-escaped, so the result is safe to show with ``unsafe_allow_html``.
    """
    parts = []
    for op in diff.ops:
        if op.kind is OpKind.EQUAL:
            parts.append(f'<span class="vx-eq">{_words(op.after)}</span>')
        elif op.kind is OpKind.SUBSTITUTE:
            parts.append(
                f'<span class="vx-sub"><del>{_words(op.before)}</del> '
                f"<ins>{_words(op.after)}</ins></span>"
            )
        elif op.kind is OpKind.INSERT:
            parts.append(f'<ins class="vx-ins">{_words(op.after)}</ins>')
        else:
            parts.append(f'<del class="vx-del">{_words(op.before)}</del>')
    return '<span class="vx-diff">' + " ".join(parts) + "</span>"
