"""The clips a page offers in a picker: ids and uids, first ones by id."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip


@dataclass(frozen=True)
class ClipChoice:
    """A clip as a picker lists it."""

    id: int
    uid: str


def clip_choices(project: Project, limit: int) -> list[ClipChoice]:
    """The first `limit` clips by id (an empty list for a project without clips)."""
    with project.session() as session:
        rows = session.execute(select(Clip.id, Clip.uid).order_by(Clip.id).limit(limit))
        return [ClipChoice(int(clip_id), str(uid)) for clip_id, uid in rows]
