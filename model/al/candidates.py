"""Active-learning candidates: unlabelled clips with one model version's stored suggestion.

:func:`load_candidates` reads the ``suggestions`` table once and returns typed
:class:`ClipCandidate` records, which the scorers of :mod:`voxcart.model.al.scorers` rank and
:mod:`voxcart.model.al.select` picks from. Nothing here runs a model.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip, ModelVersion, Revision, Split, Suggestion
from voxcart.datasets.text.normalize import normalize
from voxcart.model.backends.hypothesis import hypothesis_from_row
from voxcart.model.errors import ModelError

EXCLUDED_TAGS = frozenset({"segmented", "superseded"})
"""Clips never offered for labelling: recordings already cut into clips, replaced versions."""
_CHUNK = 500
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WordConfidence:
    """One suggested word (spoken, normalized form) and its posterior in [0, 1]."""

    word: str
    confidence: float


@dataclass(frozen=True)
class NBestScore:
    """One N-best alternative and its decoder score (natural log, higher is better)."""

    text: str
    log_score: float


@dataclass(frozen=True)
class ClipCandidate:
    """A clip that could be sent to annotators, with what one model version said about it.

    Attributes:
        clip_id: the clip's database id.
        uid: the clip's stable uid (random scoring and tie-breaks hash it).
        duration_s: the clip's length in seconds (what labelling it costs).
        speaker: the speaker id, where known (per-speaker quotas use it).
        text: the suggestion's transcript (spoken form).
        words: the suggestion's words with confidences, in time order.
        scores: the suggestion's utterance scores (``mean_confidence``, ``min_confidence``,
            ``mean_log_prob``, ``token_entropy``, ``utterance_prob``; any may be absent).
        nbest: the decoder's alternatives, best first (empty where it gave none).
        other_texts: the same clip's suggestions from the other model versions (the
            committee), in model version id order.
    """

    clip_id: int
    uid: str
    duration_s: float
    speaker: str | None
    text: str
    words: tuple[WordConfidence, ...] = ()
    scores: Mapping[str, float] | None = None
    nbest: tuple[NBestScore, ...] = ()
    other_texts: tuple[str, ...] = ()

    @property
    def normalized_text(self) -> str:
        """The suggestion normalized the way revisions are (for comparisons)."""
        return normalize(self.text)

    def score(self, key: str) -> float | None:
        """One utterance score, or None where the backend did not give it."""
        return None if self.scores is None else self.scores.get(key)


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _candidate(clip: Clip, row: Suggestion, others: tuple[str, ...]) -> ClipCandidate:
    """Build a candidate; raises ValueError on a malformed suggestion row."""
    hyp = hypothesis_from_row(row.text, row.words or [], row.scores or {}, row.nbest or [])
    scores: dict[str, float] = {
        key: float(value)
        for key, value in (row.scores or {}).items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
    return ClipCandidate(
        clip_id=clip.id,
        uid=clip.uid,
        duration_s=float(clip.duration_s),
        speaker=clip.speaker,
        text=hyp.text,
        words=tuple(WordConfidence(w.word, w.confidence) for w in hyp.words),
        scores=scores,
        nbest=tuple(NBestScore(n.text, n.log_score) for n in hyp.nbest),
        other_texts=others,
    )


def pool_clip_ids(session: Session) -> list[int]:
    """The unlabelled pool: train-split or unsplit clips without any revision, in id order.

    Clips tagged ``segmented`` or ``superseded`` are left out, as in :func:`load_candidates`.
    """
    stmt = (
        select(Clip.id, Clip.tags)
        .where(
            ~exists().where(Revision.clip_id == Clip.id),
            or_(Clip.split.is_(None), Clip.split == Split.TRAIN),
        )
        .order_by(Clip.id)
    )
    return [
        int(clip_id)
        for clip_id, tags in session.execute(stmt)
        if not EXCLUDED_TAGS.intersection(tags or ())
    ]


def load_candidates(
    project: Project,
    model_version_id: int,
    where_unlabeled: bool = True,
    *,
    committee: Sequence[int] | None = None,
    trainable_only: bool = True,
) -> list[ClipCandidate]:
    """The clips that have a suggestion from `model_version_id`, as typed candidates.

    Clips tagged ``segmented`` or ``superseded`` are never candidates. A clip whose stored
    suggestion is malformed is logged and skipped; the others are still returned.

    Args:
        project: the open project.
        model_version_id: whose suggestions give each candidate's text, words and scores.
        where_unlabeled: keep only clips without any transcript revision (never labelled,
            skipped or flagged); False keeps labelled clips too.
        committee: the other model versions whose suggestions fill ``other_texts``; None
            takes every other model version that suggested the clip.
        trainable_only: keep only train-split and unsplit clips (dev and test measure the
            model; labelling them for training would leak them into it).

    Returns:
        The candidates in clip id order.

    Raises:
        ModelError: `model_version_id` names no model version.
    """
    stmt = (
        select(Clip, Suggestion)
        .join(Suggestion, Suggestion.clip_id == Clip.id)
        .where(Suggestion.model_version_id == model_version_id)
        .order_by(Clip.id)
    )
    if where_unlabeled:
        stmt = stmt.where(~exists().where(Revision.clip_id == Clip.id))
    if trainable_only:
        stmt = stmt.where(or_(Clip.split.is_(None), Clip.split == Split.TRAIN))
    with project.session() as session:
        if session.get(ModelVersion, model_version_id) is None:
            raise ModelError(
                f"model_version_id={model_version_id} names no model version; "
                "list them with `voxcart model list`"
            )
        rows = [
            (clip, row)
            for clip, row in session.execute(stmt)
            if not EXCLUDED_TAGS.intersection(clip.tags or ())
        ]
        others = _other_texts(session, [clip.id for clip, _ in rows], model_version_id, committee)
        candidates = []
        for clip, row in rows:
            try:
                candidates.append(_candidate(clip, row, others.get(clip.id, ())))
            except ValueError as exc:
                log.warning("skipping clip %s: its suggestion is malformed (%s)", clip.uid, exc)
        return candidates


def _other_texts(
    session: Session, clip_ids: Sequence[int], own: int, committee: Sequence[int] | None
) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    for chunk in _chunks(clip_ids):
        stmt = (
            select(Suggestion.clip_id, Suggestion.text)
            .where(Suggestion.clip_id.in_(chunk), Suggestion.model_version_id != own)
            .order_by(Suggestion.clip_id, Suggestion.model_version_id)
        )
        if committee is not None:
            stmt = stmt.where(Suggestion.model_version_id.in_(list(committee)))
        for clip_id, text in session.execute(stmt):
            found.setdefault(clip_id, []).append(text or "")
    return {clip_id: tuple(texts) for clip_id, texts in found.items()}
