"""Prebuilt statements on the driver lane: same values, errors and counts as through Core."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import JSON, bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError, InvalidRequestError, OperationalError

from voxcart.datasets.store.driver_sql import DriverStatement, DriverStatementError
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.round_trips import StatementCounter
from voxcart.datasets.store.schema import Revision, RevisionStatus, Task

AT = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)

ECHO = DriverStatement(
    select(
        bindparam("flags", type_=JSON),
        bindparam("status", type_=Revision.__table__.c.status.type),
        bindparam("at", type_=Revision.__table__.c.created_at.type),
        bindparam("n", 41) + 1,
    )
)
"""Binds that need SQLAlchemy's processing (JSON, a non-native Enum) and a default value."""

ORPHAN = DriverStatement(
    insert(Revision)
    .values(
        {c.key: bindparam(c.key) for c in Revision.__table__.columns if c.key != "id"},
    )
    .returning(Revision.id)
)
"""An insert that binds every column (Python-side defaults are SQLAlchemy's to apply)."""

ORPHAN_ROW = {
    "clip_id": 987_654,  # no such clip
    "user_id": None,
    "source": "human",
    "verbatim": "x",
    "normalized": "x",
    "status": RevisionStatus.CORRECTED,
    "flags": [],
    "time_spent_s": None,
    "suggestion_id": None,
    "previous_id": None,
    "is_human": True,
    "note": "",
    "created_at": AT,
}


def test_binds_are_processed_and_the_row_comes_back(pg_project: Project) -> None:
    with pg_project.engine.begin() as conn:
        row = ECHO.first(
            conn, {"flags": ["noise", "café"], "status": RevisionStatus.CORRECTED, "at": AT}
        )
    assert row == (["noise", "café"], "corrected", AT, 42)


def test_the_engines_listeners_count_the_statement_and_its_transaction(
    pg_project: Project,
) -> None:
    with StatementCounter(pg_project.engine) as counter:
        with pg_project.engine.begin() as conn:
            ECHO.first(conn, {"flags": [], "status": RevisionStatus.ACCEPTED, "at": AT})
            ECHO.first(conn, {"flags": [], "status": RevisionStatus.ACCEPTED, "at": AT})
        used = counter.tally()
    assert (used.statements, used.transactions) == (2, 1)


def test_a_driver_error_is_sqlalchemys_and_the_connection_stays_usable(
    pg_project: Project,
) -> None:
    with pytest.raises(IntegrityError, match="foreign key"), pg_project.engine.begin() as conn:
        ORPHAN.first(conn, ORPHAN_ROW)
    with pg_project.engine.begin() as conn:
        assert conn.execute(select(Revision.id)).first() is None
        row = ECHO.first(conn, {"flags": [1], "status": RevisionStatus.FLAGGED, "at": AT})
    assert row is not None and row[1] == "flagged"


def test_a_missing_value_is_refused_before_anything_is_sent(pg_project: Project) -> None:
    with pg_project.engine.begin() as conn, pytest.raises(InvalidRequestError, match="'status'"):
        ECHO.first(conn, {"flags": [], "at": AT})


def test_expanding_binds_and_positional_drivers_are_refused_with_the_reason(
    pg_project: Project, project: Project
) -> None:
    expanding = DriverStatement(select(Task.id).where(Task.kind.in_(["annotate", "review"])))
    with (
        pg_project.engine.begin() as conn,
        pytest.raises(DriverStatementError, match=r"expand at execution.*literal_column"),
    ):
        expanding.first(conn, {})
    with (
        project.engine.begin() as conn,  # SQLite binds by position
        pytest.raises(DriverStatementError, match="'qmark' is positional"),
    ):
        ECHO.first(conn, {"flags": [], "status": RevisionStatus.ACCEPTED, "at": AT})


def test_an_insert_that_relies_on_python_defaults_is_refused(pg_project: Project) -> None:
    lazy = DriverStatement(
        insert(Revision).values(clip_id=bindparam("clip_id"), status="corrected")
    )
    with (
        pg_project.engine.begin() as conn,
        pytest.raises(DriverStatementError, match=r"created_at.*default computed in Python"),
    ):
        lazy.first(conn, {"clip_id": 1})


def test_a_connection_the_server_dropped_is_invalidated_and_the_pool_recovers(
    pg_project: Project,
) -> None:
    values = {"flags": [], "status": RevisionStatus.ACCEPTED, "at": AT}
    with pytest.raises(OperationalError) as info, pg_project.engine.begin() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with pg_project.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        ECHO.first(conn, values)
    assert info.value.connection_invalidated
    with pg_project.engine.begin() as conn:
        assert ECHO.first(conn, values) is not None
