"""Stored suggestions' words labelled right or wrong against reference texts.

A hypothesis word is right when the word alignment
(:func:`voxcart.datasets.text.wer.hypothesis_hits`) matches it to the same reference word, and
wrong when it is substituted or inserted; reference words the hypothesis missed have no
confidence and are not counted. Words are compared in the normalized (spoken) form; a word that
normalizes to several words is right only if all of them are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from voxcart.datasets.store.schema import Suggestion
from voxcart.datasets.text.normalize import normalize
from voxcart.datasets.text.wer import hypothesis_hits

_IN_CHUNK = 500


@dataclass(frozen=True)
class WordLabels:
    """Raw confidences of hypothesis words and whether each word was right.

    Attributes:
        confidences: the backend's confidence of each word.
        correct: whether each word was right.
        clips: clips the words came from.
    """

    confidences: tuple[float, ...]
    correct: tuple[bool, ...]
    clips: int

    @property
    def words(self) -> int:
        """Labelled words."""
        return len(self.confidences)

    @property
    def wrong(self) -> int:
        """Labelled words that were wrong."""
        return self.words - sum(self.correct)

    def arrays(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """(confidences, correct) as numpy arrays."""
        return np.asarray(self.confidences, dtype=np.float64), np.asarray(self.correct, dtype=bool)


def label_words(words: Sequence[Any], reference: str) -> list[tuple[float, bool]]:
    """(raw confidence, right) of each usable word of one suggestion.

    Args:
        words: the suggestion's ``words`` column (dicts with ``word`` and ``confidence``);
            entries without a word or a finite confidence in [0, 1] are left out.
        reference: the clip's reference text (normalized here).
    """
    tokens: list[str] = []
    owners: list[int] = []
    confidences: list[float] = []
    for entry in words:
        if not isinstance(entry, Mapping):
            continue
        try:
            confidence = float(entry.get("confidence"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        spoken = normalize(str(entry.get("word", ""))).split()
        if not spoken or not math.isfinite(confidence) or not 0.0 <= confidence <= 1.0:
            continue
        tokens += spoken
        owners += [len(confidences)] * len(spoken)
        confidences.append(confidence)
    right = [True] * len(confidences)
    for owner, hit in zip(
        owners, hypothesis_hits(normalize(reference).split(), tokens), strict=True
    ):
        right[owner] = right[owner] and hit
    return list(zip(confidences, right, strict=True))


def labelled_words(session: Session, model_id: int, references: Mapping[int, str]) -> WordLabels:
    """Label the words of a model's stored suggestions for the clips in `references`.

    Args:
        session: an open session.
        model_id: the model version whose suggestions are read.
        references: clip id -> reference text; clips without a suggestion are left out.
    """
    confidences: list[float] = []
    correct: list[bool] = []
    clips = 0
    ids = sorted(references)
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        rows = session.execute(
            select(Suggestion.clip_id, Suggestion.words)
            .where(Suggestion.model_version_id == model_id, Suggestion.clip_id.in_(chunk))
            .order_by(Suggestion.clip_id)
        ).all()
        for clip_id, words in rows:
            clips += 1
            for confidence, right in label_words(words or [], references[clip_id]):
                confidences.append(confidence)
                correct.append(right)
    return WordLabels(tuple(confidences), tuple(correct), clips)
