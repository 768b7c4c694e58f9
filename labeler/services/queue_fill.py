"""Filling the annotation queue from a clip filter, least confident suggestions first.

Active-learning rounds queue the clips they select with their own priorities; this is the
plain way to put clips in front of annotators (the demo does it, and so can a lead who wants
every unlabelled clip of a split transcribed).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import func, select

from voxcart.datasets.store.clip_filter import ClipFilter, clip_query
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.queue import EnqueueResult, enqueue
from voxcart.datasets.store.schema import Clip, Suggestion

Order = Literal["uncertainty", "fifo"]
# Clips that are not themselves to be transcribed: whole recordings already cut into query
# clips, and clip versions replaced by a re-cut.
EXCLUDED_TAGS = ("segmented", "superseded")


def fill_queue(
    project: Project,
    flt: ClipFilter,
    *,
    order: Order = "uncertainty",
    limit: int | None = None,
) -> EnqueueResult:
    """Queue the clips matching `flt` for annotation (idempotent while their tasks are open).

    Args:
        project: the open project.
        flt: which clips (e.g. ``status=unlabeled``).
        order: ``uncertainty`` gives each clip the priority 1 - (lowest word confidence of its
            newest suggestion), so the clips the model is least sure of come first; clips
            without a suggestion get 0 and come last. ``fifo`` gives every clip the same
            priority (served in no particular order).
        limit: queue at most this many clips (the highest priorities).
    """
    newest = (
        select(Suggestion.clip_id, func.max(Suggestion.id).label("sid"))
        .group_by(Suggestion.clip_id)
        .subquery()
    )
    ids = clip_query(flt).subquery()
    stmt = (
        select(Clip.id, Clip.tags, Suggestion.scores)
        .join(ids, ids.c.id == Clip.id)
        .outerjoin(newest, newest.c.clip_id == Clip.id)
        .outerjoin(Suggestion, Suggestion.id == newest.c.sid)
        .order_by(Clip.id)
    )
    priorities: dict[int, float] = {}
    with project.session() as session:
        for clip_id, tags, scores in session.execute(stmt):
            if any(tag in EXCLUDED_TAGS for tag in tags or ()):
                continue
            priorities[clip_id] = _priority(scores, order)
        chosen = sorted(priorities, key=lambda cid: (-priorities[cid], cid))
        if limit is not None:
            chosen = chosen[:limit]
        return enqueue(session, chosen, {cid: priorities[cid] for cid in chosen})


def _priority(scores: dict[str, object] | None, order: Order) -> float:
    if order == "fifo" or not scores:
        return 0.0
    value = scores.get("min_confidence")
    if not isinstance(value, int | float):
        return 0.0
    return round(1.0 - min(max(float(value), 0.0), 1.0), 6)
