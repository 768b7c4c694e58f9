"""Upgrading a database that holds rows: built at the first schema revision by Alembic, filled
through that revision's own tables, then migrated to head by the code every project open runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, func, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voxcart.datasets.store.migrate import current_revision, head_revision, upgrade
from voxcart.datasets.store.project import make_engine
from voxcart.datasets.store.revisions import current_transcripts
from voxcart.datasets.store.schema import Clip, LoginSession, Task, TaskState, User

FIRST = "0001"
WHEN = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _fill_first_revision(engine: Engine) -> None:
    """Rows as a voxcart at revision 0001 wrote them, through the tables that revision made."""
    old = MetaData()
    old.reflect(engine)
    assert "login_sessions" not in old.tables  # really the old schema

    def add(conn: Any, table: str, **values: Any) -> None:
        conn.execute(insert(old.tables[table]).values(**values))

    with engine.begin() as conn:
        add(conn, "users", id=1, username="ana", display_name="Ana", password_hash=None,
            role="annotator", active=True, created_at=WHEN)  # fmt: skip
        add(conn, "recordings", id=1, source_path="/audio/a.wav", content_hash="h1",
            format="WAV", subtype="PCM_16", duration_s=4.0, sample_rate=16000, channels=1,
            num_frames=64000, size_bytes=128044, import_source="folder", info={},
            created_at=WHEN)  # fmt: skip
        for clip_id in (1, 2):
            add(conn, "clips", id=clip_id, uid=f"c{clip_id}", recording_id=1,
                offset_s=2.0 * (clip_id - 1), duration_s=2.0, speaker="spk", session=None,
                device=None, locale="en-US", split="train", split_locked=False, tags=[],
                origin="import", parent_id=None, lineage={}, created_at=WHEN)  # fmt: skip
        add(conn, "revisions", id=1, clip_id=1, user_id=1, source="human",
            verbatim="Sony WH-1000XM5", normalized="sony w h one thousand x m five",
            status="corrected", flags=[], time_spent_s=3.5, suggestion_id=None,
            previous_id=None, is_human=True, note="", created_at=WHEN)  # fmt: skip
        # Two open tasks of one clip: possible before revision 0002 made them impossible.
        tasks = ((1, 1, "pending"), (2, 1, "leased"), (3, 1, "done"), (4, 2, "pending"))
        for task_id, clip_id, state in tasks:
            add(conn, "tasks", id=task_id, clip_id=clip_id, kind="annotate", priority=0.5,
                round_id=None, state=state, leased_by=1 if state == "leased" else None,
                lease_expires_at=WHEN + timedelta(hours=1) if state == "leased" else None,
                created_at=WHEN, completed_at=WHEN if state == "done" else None)  # fmt: skip


@pytest.fixture
def upgraded(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, FIRST)
    assert current_revision(engine) == FIRST
    _fill_first_revision(engine)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_rows_survive_the_upgrade_to_head(upgraded: Engine) -> None:
    assert current_revision(upgraded) == head_revision() != FIRST
    assert "login_sessions" in inspect(upgraded).get_table_names()
    with Session(upgraded) as session:
        user = session.scalars(select(User)).one()
        assert (user.username, user.display_name, user.role.value) == ("ana", "Ana", "annotator")
        clips = session.scalars(select(Clip).order_by(Clip.id)).all()
        assert [(c.uid, c.offset_s, c.recording.source_path) for c in clips] == [
            ("c1", 0.0, "/audio/a.wav"),
            ("c2", 2.0, "/audio/a.wav"),
        ]
        (view,) = current_transcripts(session, [1]).values()
        assert (view.verbatim, view.normalized) == (
            "Sony WH-1000XM5",
            "sony w h one thousand x m five",
        )
        states = dict(session.execute(select(Task.id, Task.state).order_by(Task.id)).all())
    # The duplicate open task of clip 1 is cancelled, the oldest open one kept; others intact.
    assert states == {
        1: TaskState.PENDING,
        2: TaskState.CANCELLED,
        3: TaskState.DONE,
        4: TaskState.PENDING,
    }


def test_new_constraints_hold_on_the_upgraded_rows(upgraded: Engine) -> None:
    with (
        pytest.raises(IntegrityError, match="UNIQUE"),
        Session(upgraded) as session,
        session.begin(),
    ):
        session.add(Task(clip_id=2, kind="annotate", priority=1.0, state=TaskState.LEASED))
    with Session(upgraded) as session, session.begin():  # a closed task may repeat
        session.add(Task(clip_id=2, kind="annotate", priority=1.0, state=TaskState.DONE))
    expires = WHEN + timedelta(days=1)
    with Session(upgraded) as session, session.begin():
        session.add(LoginSession(token_hash="t" * 64, user_id=1, expires_at=expires))
    with (
        pytest.raises(IntegrityError, match="UNIQUE"),
        Session(upgraded) as session,
        session.begin(),
    ):
        session.add(LoginSession(token_hash="t" * 64, user_id=1, expires_at=expires))
    with (
        pytest.raises(IntegrityError, match="FOREIGN KEY"),
        Session(upgraded) as session,
        session.begin(),
    ):
        session.add(LoginSession(token_hash="u" * 64, user_id=42, expires_at=expires))
    with Session(upgraded) as session:
        assert session.scalar(select(func.count()).select_from(Task)) == 5
        assert session.scalar(select(func.count()).select_from(LoginSession)) == 1
        assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
