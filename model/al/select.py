"""Active-learning selection: pick the clips to label next under a budget, spread out.

Candidates are ranked by a scorer (optionally per second of audio), then picked under a budget
in clips and/or seconds with one of three diversity rules:

``none``
    Best score first, skipping any clip that would overrun the seconds budget (a shorter one
    further down may still fit, so the budget is filled greedily).
``dedup``
    The same, but a clip whose normalized suggestion is identical to, or within a small edit
    distance of (rapidfuzz ratio >= ``dedup_ratio``), one already picked is skipped: ten
    people asking for the same thing teach the model once.
``kcenter``
    Greedy k-center over a pool of the best-scored clips (``pool_factor`` times the budget):
    the best clip first, then each time the clip farthest from everything picked so far. The
    features are a hashed bag of character trigrams of the normalized suggestion
    (L2-normalized, 256 buckets) plus log duration; ties go to the higher score.

An optional per-speaker cap keeps one talkative speaker from filling the round. Ties in score
are broken by a hash of (seed, clip uid), so a selection is a pure function of its inputs.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz

from voxcart.datasets.splits import unit_hash
from voxcart.model.al.candidates import ClipCandidate
from voxcart.model.al.scorers import Scorer
from voxcart.model.errors import ModelError

Diversity = Literal["kcenter", "dedup", "none"]
DIVERSITY_RULES: tuple[str, ...] = ("kcenter", "dedup", "none")
_BUCKETS = 256
_DURATION_WEIGHT = 0.5
_MIN_COST_S = 0.1
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_BUDGET_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Budget:
    """How much to select: at most `clips` clips and at most `seconds` of audio.

    Raises:
        ModelError: neither limit is given, or one is not positive.
    """

    clips: int | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.clips is None and self.seconds is None:
            raise ModelError("budget has no limit; give clips (e.g. '200') or time ('30m')")
        if self.clips is not None and (isinstance(self.clips, bool) or self.clips < 1):
            raise ModelError(f"budget clips={self.clips!r} must be a positive whole number")
        if self.seconds is not None and not (math.isfinite(self.seconds) and self.seconds > 0):
            raise ModelError(f"budget seconds={self.seconds!r} must be a positive number")

    def scaled(self, factor: float) -> Budget:
        """This budget times `factor` (for a candidate pool bigger than the selection)."""
        return Budget(
            clips=None if self.clips is None else max(1, math.ceil(self.clips * factor)),
            seconds=None if self.seconds is None else self.seconds * factor,
        )

    def __str__(self) -> str:
        parts = []
        if self.clips is not None:
            parts.append(f"{self.clips} clips")
        if self.seconds is not None:
            parts.append(f"{self.seconds:g} s")
        return " and ".join(parts)


def parse_budget(text: str) -> Budget:
    """A budget from ``"200"`` (clips), ``"90s"``, ``"30m"`` or ``"2h"`` (audio time).

    Raises:
        ModelError: the text is none of those forms.
    """
    match = _BUDGET_RE.match(text or "")
    if match is None:
        raise ModelError(
            f"budget={text!r} is not understood; use a clip count ('200') or a duration "
            "with a unit ('90s', '30m', '2h')"
        )
    number, unit = match.group(1), match.group(2).lower()
    if not unit:
        if "." in number:
            raise ModelError(f"budget={text!r}: a clip count must be a whole number")
        return Budget(clips=int(number))
    return Budget(seconds=float(number) * _UNITS[unit])


@dataclass(frozen=True)
class Selection:
    """The clips picked, in selection order, with their scores and total audio time."""

    clip_ids: tuple[int, ...]
    scores: tuple[float, ...]
    total_seconds: float


@dataclass
class _Picker:
    """Budget and quota accounting shared by the selection rules."""

    budget: Budget
    max_per_speaker: int | None
    seconds: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.speakers: Counter[str] = Counter()

    def full(self) -> bool:
        return self.budget.clips is not None and self.count >= self.budget.clips

    def fits(self, candidate: ClipCandidate) -> bool:
        if self.full():
            return False
        limit = self.budget.seconds
        # A tiny tolerance so that float sums of durations do not reject an exact fit.
        if limit is not None and self.seconds + candidate.duration_s > limit + 1e-9:
            return False
        if self.max_per_speaker is not None:
            return self.speakers[candidate.speaker or ""] < self.max_per_speaker
        return True

    def take(self, candidate: ClipCandidate) -> None:
        self.seconds += candidate.duration_s
        self.count += 1
        self.speakers[candidate.speaker or ""] += 1


def _ranked(
    candidates: Sequence[ClipCandidate], scores: dict[int, float], cost_aware: bool, seed: int
) -> list[ClipCandidate]:
    def key(c: ClipCandidate) -> tuple[float, float, int]:
        value = scores[c.clip_id]
        if cost_aware:
            value /= max(c.duration_s, _MIN_COST_S)
        return (-value, unit_hash(seed, c.uid), c.clip_id)

    return sorted(candidates, key=key)


def _greedy(ranked: Sequence[ClipCandidate], picker: _Picker) -> list[ClipCandidate]:
    chosen = []
    for candidate in ranked:
        if picker.full():
            break
        if picker.fits(candidate):
            picker.take(candidate)
            chosen.append(candidate)
    return chosen


def _dedup(ranked: Sequence[ClipCandidate], picker: _Picker, ratio: float) -> list[ClipCandidate]:
    chosen: list[ClipCandidate] = []
    texts: list[str] = []
    for candidate in ranked:
        if picker.full():
            break
        if not picker.fits(candidate):
            continue
        text = candidate.normalized_text
        # Empty suggestions say nothing about the audio, so they are never "duplicates".
        if text and any(t == text or fuzz.ratio(t, text) >= ratio for t in texts):
            continue
        picker.take(candidate)
        chosen.append(candidate)
        if text:
            texts.append(text)
    return chosen


def features(candidate: ClipCandidate) -> np.ndarray:
    """The k-center features: hashed character trigrams of the suggestion, and log duration.

    The trigram part is L2-normalized (so two different texts are about 1.4 apart); log
    duration is weighted so that a clip twice as long is about 0.35 away on that axis.
    """
    vector = np.zeros(_BUCKETS + 1, dtype=np.float64)
    text = f"  {candidate.normalized_text} "
    for i in range(len(text) - 2):
        digest = hashlib.blake2b(text[i : i + 3].encode(), digest_size=4).digest()
        vector[int.from_bytes(digest, "big") % _BUCKETS] += 1.0
    norm = float(np.linalg.norm(vector[:_BUCKETS]))
    if norm > 0:
        vector[:_BUCKETS] /= norm
    vector[_BUCKETS] = _DURATION_WEIGHT * math.log(max(candidate.duration_s, _MIN_COST_S))
    return vector


def _kcenter(ranked: Sequence[ClipCandidate], picker: _Picker) -> list[ClipCandidate]:
    if not ranked:
        return []
    points = np.stack([features(c) for c in ranked])
    nearest = np.full(len(ranked), np.inf)
    open_ = np.ones(len(ranked), dtype=bool)
    chosen: list[ClipCandidate] = []
    while not picker.full():
        best: int | None = None
        for i in map(int, np.flatnonzero(open_)):
            # The first pick has every distance infinite, so rank order decides it.
            if best is None or nearest[i] > nearest[best] + 1e-12:
                if picker.fits(ranked[i]):
                    best = i
                else:
                    open_[i] = False
        if best is None:
            break
        open_[best] = False
        picker.take(ranked[best])
        chosen.append(ranked[best])
        distances = np.linalg.norm(points - points[best], axis=1)
        nearest = np.minimum(nearest, distances)
    return chosen


def select(
    candidates: Sequence[ClipCandidate],
    scorer: Scorer,
    budget: Budget,
    *,
    diversity: Diversity = "kcenter",
    cost_aware: bool = False,
    seed: int = 0,
    max_per_speaker: int | None = None,
    dedup_ratio: float = 90.0,
    pool_factor: float = 3.0,
) -> Selection:
    """Pick the clips to label next.

    Args:
        candidates: the clips to choose from (see
            :func:`voxcart.model.al.candidates.load_candidates`).
        scorer: ranks them (see :func:`voxcart.model.al.scorers.make_scorer`).
        budget: the most clips and/or audio seconds to pick; never exceeded.
        diversity: ``kcenter``, ``dedup`` or ``none`` (see the module docstring).
        cost_aware: rank by score per second of audio rather than by score.
        seed: breaks ties in score (by a hash of seed and clip uid).
        max_per_speaker: pick at most this many clips of one speaker (clips without a
            speaker share one slot).
        dedup_ratio: the rapidfuzz ratio (0-100) at or above which ``dedup`` calls two
            suggestions duplicates.
        pool_factor: ``kcenter`` chooses among the best clips that fill this many budgets.

    Returns:
        The selection, in pick order, with each clip's score (not divided by duration).

    Raises:
        ModelError: an unknown diversity rule, a bad option, or a scorer returning a
            non-finite score.
    """
    if diversity not in DIVERSITY_RULES:
        raise ModelError(
            f"diversity={diversity!r} is unknown; use one of {', '.join(DIVERSITY_RULES)}"
        )
    if max_per_speaker is not None and max_per_speaker < 1:
        raise ModelError(f"max_per_speaker={max_per_speaker!r} must be at least 1 (or None)")
    if not 0 < dedup_ratio <= 100:
        raise ModelError(f"dedup_ratio={dedup_ratio!r} must be in (0, 100]")
    if not pool_factor >= 1:
        raise ModelError(f"pool_factor={pool_factor!r} must be at least 1")
    scores: dict[int, float] = {}
    for candidate in candidates:
        value = float(scorer(candidate))
        if not math.isfinite(value):
            raise ModelError(
                f"scorer {scorer.name!r} gave clip {candidate.uid} the score {value!r}; "
                "scores must be finite"
            )
        scores[candidate.clip_id] = value
    ranked = _ranked(candidates, scores, cost_aware, seed)
    picker = _Picker(budget, max_per_speaker)
    if diversity == "none":
        chosen = _greedy(ranked, picker)
    elif diversity == "dedup":
        chosen = _dedup(ranked, picker, dedup_ratio)
    else:
        quota = None if max_per_speaker is None else math.ceil(max_per_speaker * pool_factor)
        pool = _greedy(ranked, _Picker(budget.scaled(pool_factor), quota))
        chosen = _kcenter(pool, picker)
    return Selection(
        clip_ids=tuple(c.clip_id for c in chosen),
        scores=tuple(scores[c.clip_id] for c in chosen),
        total_seconds=round(picker.seconds, 6),
    )
