"""Read-only summaries for the app's home and rounds pages: who did what, model versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import (
    Clip,
    ModelVersion,
    Revision,
    RevisionStatus,
    User,
)
from voxcart.datasets.store.schema import utcnow as _utcnow
from voxcart.labeler.services.submit import SUBMIT_SOURCE
from voxcart.model.versions import PROMOTION_KEY, live_version_ids


@dataclass(frozen=True)
class AnnotatorActivity:
    """One account's work so far.

    Attributes:
        annotations: transcripts submitted (source ``human``, any status).
        skipped: of those, skips.
        last_24h: submissions in the last 24 hours.
        audio_hours: hours of audio annotated.
        mean_time_s: mean seconds spent per submission (None when never timed).
        reviews: review decisions made (approve, reject, edit).
    """

    user_id: int
    username: str
    role: str
    annotations: int
    skipped: int
    last_24h: int
    audio_hours: float
    mean_time_s: float | None
    reviews: int


def annotator_activity(project: Project, now: datetime | None = None) -> list[AnnotatorActivity]:
    """Per-account counters, busiest first (accounts without any work are listed too)."""
    since = (now or _utcnow()) - timedelta(hours=24)
    human = Revision.source == SUBMIT_SOURCE
    with project.session() as session:
        rows = session.execute(
            select(
                User.id,
                User.username,
                User.role,
                func.count(case((human, Revision.id))),
                func.count(case((human & (Revision.status == RevisionStatus.SKIPPED), 1))),
                func.count(case((human & (Revision.created_at >= since), 1))),
                func.coalesce(func.sum(case((human, Clip.duration_s))), 0.0),
                func.avg(case((human, Revision.time_spent_s))),
                func.count(case((Revision.source.like("review:%"), 1))),
            )
            .select_from(User)
            .outerjoin(Revision, Revision.user_id == User.id)
            .outerjoin(Clip, Clip.id == Revision.clip_id)
            .where(User.password_hash.is_not(None))
            .group_by(User.id, User.username, User.role)
        ).all()
    out = [
        AnnotatorActivity(
            user_id=uid,
            username=name,
            role=str(getattr(role, "value", role)),
            annotations=int(n),
            skipped=int(skipped),
            last_24h=int(recent),
            audio_hours=round(float(seconds) / 3600, 4),
            mean_time_s=float(mean) if mean is not None else None,
            reviews=int(reviews),
        )
        for uid, name, role, n, skipped, recent, seconds, mean, reviews in rows
    ]
    out.sort(key=lambda a: (-a.annotations - a.reviews, a.username))
    return out


@dataclass(frozen=True)
class ModelVersionView:
    """A registered model version with its metrics."""

    id: int
    name: str
    backend: str
    parent: str | None
    metrics: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    live: bool = False
    dev_wer_before: float | None = None
    dev_wer_after: float | None = None
    promotion: str = ""


def model_versions(project: Project) -> list[ModelVersionView]:
    """Every registered model version, newest first, with its promotion check (dev WER
    before/after) and whether it is the live version of its base name."""
    with project.session() as session:
        rows = session.scalars(select(ModelVersion).order_by(ModelVersion.id.desc())).all()
        names = {row.id: row.name for row in rows}
        live = live_version_ids(session, rows)
        views = []
        for row in rows:
            decision = dict((row.metrics or {}).get(PROMOTION_KEY) or {})
            views.append(
                ModelVersionView(
                    id=row.id,
                    name=row.name,
                    backend=row.backend,
                    parent=names.get(row.parent_id) if row.parent_id is not None else None,
                    metrics=dict(row.metrics or {}),
                    created_at=row.created_at,
                    live=row.id in live,
                    dev_wer_before=decision.get("dev_wer_before"),
                    dev_wer_after=decision.get("dev_wer_after"),
                    promotion=str(decision.get("reason", "")),
                )
            )
        return views
