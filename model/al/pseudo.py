"""Pseudo-labels: a model's confident suggestions used as training text, never as human labels.

Self-training on the unlabelled pool: a clip whose every suggested word is at least
`min_confidence` sure lends its suggestion to the next LM build. Pseudo-labels are not stored
as transcript revisions (the clips stay unlabelled, so they can still be selected and labelled
by a person, and no export can mistake them for labels); the build counts them in the model
version's ``corpus.pseudo_labels`` and the round records which clips were used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from voxcart.datasets.store.project import Project
from voxcart.model.al.candidates import load_candidates
from voxcart.model.errors import ModelError


@dataclass(frozen=True)
class PseudoLabels:
    """Confident suggestions chosen as pseudo-labels.

    Attributes:
        clip_ids: the clips whose suggestion is used.
        texts: their suggested texts, in the same order.
        min_confidence: the threshold they passed.
        seconds: their audio time.
    """

    clip_ids: tuple[int, ...]
    texts: tuple[str, ...]
    min_confidence: float
    seconds: float


def check_threshold(min_confidence: float) -> float:
    """The threshold, checked: a number in (0, 1].

    Raises:
        ModelError: out of range or not a number.
    """
    if not (isinstance(min_confidence, int | float) and math.isfinite(min_confidence)):
        raise ModelError(f"pseudo-label min_confidence={min_confidence!r} must be a number")
    if not 0.0 < min_confidence <= 1.0:
        raise ModelError(
            f"pseudo-label min_confidence={min_confidence} must be in (0, 1]; 0.9 keeps only "
            "suggestions whose every word is at least 90% sure"
        )
    return float(min_confidence)


def confident_suggestions(
    project: Project, model_version_id: int, min_confidence: float
) -> PseudoLabels:
    """Unlabelled train (or unsplit) clips whose lowest word confidence reaches the threshold.

    A suggestion without words (nothing recognised) is never a pseudo-label.

    Raises:
        ModelError: a bad threshold or an unknown model version.
    """
    threshold = check_threshold(min_confidence)
    ids: list[int] = []
    texts: list[str] = []
    seconds = 0.0
    for candidate in load_candidates(project, model_version_id):
        if not candidate.words or not candidate.text.strip():
            continue
        if min(w.confidence for w in candidate.words) >= threshold:
            ids.append(candidate.clip_id)
            texts.append(candidate.text)
            seconds += candidate.duration_s
    return PseudoLabels(tuple(ids), tuple(texts), threshold, seconds)
