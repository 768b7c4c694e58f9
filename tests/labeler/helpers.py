"""Shared helpers of the labeler tests: clips and users made directly with the ORM."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from tests.factories import add_recording
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip, Role, User


def make_clips(project: Project, n: int, duration_s: float = 2.0, tag: str = "t") -> list[int]:
    """Insert one recording and `n` clips of it; return the clip ids in insertion order."""
    with project.session() as session:
        rec = add_recording(session, f"/audio/{tag}.wav", duration_s=duration_s * n)
        session.execute(
            insert(Clip),
            [
                {
                    "uid": f"{tag}-{i:06d}",
                    "recording_id": rec.id,
                    "offset_s": i * duration_s,
                    "duration_s": duration_s,
                }
                for i in range(n)
            ],
        )
        session.flush()
        return list(
            session.scalars(
                Clip.__table__.select()
                .with_only_columns(Clip.id)
                .where(Clip.recording_id == rec.id)
                .order_by(Clip.id)
            )
        )


def make_user(session: Session, name: str, role: Role = Role.ANNOTATOR) -> int:
    """A user row without a password (cheap: no argon2 hashing); returns its id."""
    user = User(username=name, role=role)
    session.add(user)
    session.flush()
    return user.id


def make_users(project: Project, n: int, prefix: str = "ann") -> list[int]:
    """`n` annotators without passwords."""
    with project.session() as session:
        return [make_user(session, f"{prefix}{i}") for i in range(n)]
