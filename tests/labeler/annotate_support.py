"""Helpers of the annotate tests: catalog terms, model suggestions and queued clips with audio."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.queue import enqueue
from voxcart.datasets.store.schema import Catalog, CatalogTerm, Suggestion
from voxcart.model.versions import register_model


def add_catalog(project: Project, terms: Sequence[tuple[str, str]]) -> None:
    """A catalog holding `terms` as (kind, normalized term) pairs."""
    with project.session() as session:
        catalog = Catalog(name="test-catalog")
        session.add(catalog)
        session.flush()
        for kind, term in terms:
            session.add(CatalogTerm(catalog_id=catalog.id, kind=kind, term=term, normalized=term))


def add_suggestion(
    project: Project,
    clip_id: int,
    words: Sequence[tuple[str, float]],
    model: str = "test-model",
    age_s: float = 0.0,
) -> int:
    """A suggestion of `model` (registered on first use) with these words and confidences."""
    from sqlalchemy import select

    from voxcart.datasets.store.schema import ModelVersion

    with project.session() as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.name == model))
        if row is None:
            row = register_model(session, model, "sphinx", None, {})
        confidences = [c for _, c in words]
        suggestion = Suggestion(
            clip_id=clip_id,
            model_version_id=row.id,
            text=" ".join(w for w, _ in words),
            words=[
                {"word": w, "start": 0.1 * i, "end": 0.1 * i + 0.1, "confidence": c}
                for i, (w, c) in enumerate(words)
            ],
            scores={"mean_confidence": sum(confidences) / len(confidences) if words else 1.0},
            created_at=datetime.now(UTC) - timedelta(seconds=age_s),
        )
        session.add(suggestion)
        session.flush()
        return suggestion.id


def queue(project: Project, clip_ids: Sequence[int], priorities: Sequence[float]) -> None:
    """Enqueue annotation tasks with one priority per clip."""
    with project.session() as session:
        enqueue(session, clip_ids, dict(zip(clip_ids, priorities, strict=True)))
