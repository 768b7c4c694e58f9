"""Helpers of the calibration tests: labelled dev clips with a model's stored suggestions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from tests.factories import add_clip, add_recording
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import (
    Clip,
    ModelVersion,
    RevisionStatus,
    Split,
    Suggestion,
)
from voxcart.model.versions import register_model


def model_id(project: Project, name: str) -> int:
    """The id of model `name`, registered (sphinx, no folder) on first use."""
    with project.session() as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.name == name))
        if row is None:
            row = register_model(session, name, "sphinx", None, {})
        return row.id


def add_labelled_clips(
    project: Project,
    model: str,
    reference: str,
    words: Sequence[tuple[str, float]],
    n: int,
    split: Split = Split.DEV,
) -> list[int]:
    """`n` clips of `split`, each with the accepted human transcript `reference` and a stored
    suggestion of `model` saying `words` (word, raw confidence)."""
    mid = model_id(project, model)
    with project.session() as session:
        start = session.scalar(select(func.count()).select_from(Clip)) or 0
        ids = []
        for i in range(start, start + n):
            recording = add_recording(session, f"/audio/{i}.wav", duration_s=2.0)
            clip = add_clip(session, recording, f"c{i:04d}", split=split, speaker=f"s{i % 3}")
            add_revision(session, clip.id, reference, RevisionStatus.ACCEPTED)
            session.add(
                Suggestion(
                    clip_id=clip.id,
                    model_version_id=mid,
                    text=" ".join(w for w, _ in words),
                    words=[
                        {"word": w, "start": 0.2 * k, "end": 0.2 * k + 0.2, "confidence": c}
                        for k, (w, c) in enumerate(words)
                    ],
                    scores={"mean_confidence": sum(c for _, c in words) / len(words)},
                )
            )
            ids.append(clip.id)
        session.flush()
    return ids
