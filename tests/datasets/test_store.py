"""Project creation, SQLite settings, migrations and backend portability."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import CreateTable

from tests.factories import add_clip, add_recording
from voxcart.datasets.errors import ConfigError, ProjectError
from voxcart.datasets.store.config import CONFIG_NAME, ProjectConfig, load_config
from voxcart.datasets.store.migrate import current_revision, head_revision
from voxcart.datasets.store.project import Project, init_project, open_project
from voxcart.datasets.store.revisions import add_revision, current_transcripts, history
from voxcart.datasets.store.schema import Base, Clip, RevisionStatus


def _clip(project: Project, uid: str = "c1") -> int:
    with project.session() as s:
        rec = add_recording(s, "/x.wav", content_hash=uid, duration_s=1.0)
        return add_clip(s, rec, uid).id


def test_init_writes_config_and_migrates_to_head(tmp_path: Path) -> None:
    project = init_project(tmp_path / "p", ProjectConfig(name="shop"))
    assert (tmp_path / "p" / CONFIG_NAME).is_file()
    assert load_config(tmp_path / "p").name == "shop"
    assert current_revision(project.engine) == head_revision()
    project.close()


def test_sqlite_runs_wal_with_foreign_keys(project: Project) -> None:
    with project.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
    with pytest.raises(IntegrityError), project.session() as s:
        s.add(Clip(uid="orphan", recording_id=999, duration_s=1.0))


def test_reopen_keeps_data(tmp_path: Path) -> None:
    project = init_project(tmp_path / "p")
    clip_id = _clip(project)
    project.close()
    again = open_project(tmp_path / "p")
    with again.session() as s:
        assert s.scalar(select(Clip.uid).where(Clip.id == clip_id)) == "c1"
    again.close()


def test_open_non_project_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="voxcart init"):
        open_project(tmp_path)


def test_bad_config_key_is_named(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text('name = "x"\nspilt = 1\n')
    with pytest.raises(ConfigError, match="spilt"):
        load_config(tmp_path)


def test_bad_split_ratio_is_named(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text("[split]\ntrain = 0.9\ndev = 0.2\ntest = 0.1\n")
    with pytest.raises(ConfigError, match="add up to 1"):
        load_config(tmp_path)


def test_bad_db_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectError):
        init_project(tmp_path / "p", db_url="nosuchdb+driver://x")


def test_revisions_are_append_only(project: Project) -> None:
    clip_id = _clip(project)
    with project.session() as s:
        first = add_revision(
            s, clip_id, "Sony earbuds", RevisionStatus.ACCEPTED, source="import:csv"
        )
        second = add_revision(s, clip_id, "Sony earbuds, $49.99", RevisionStatus.CORRECTED)
        assert second.previous_id == first.id
    with project.session() as s:
        current = current_transcripts(s, [clip_id])[clip_id]
        assert current.verbatim == "Sony earbuds, $49.99"
        assert current.normalized == current.normalized.lower()
        assert [v.verbatim for v in history(s, clip_id)] == ["Sony earbuds", "Sony earbuds, $49.99"]


@pytest.mark.parametrize("table", sorted(Base.metadata.tables))
def test_schema_compiles_for_postgresql(table: str) -> None:
    ddl = str(CreateTable(Base.metadata.tables[table]).compile(dialect=postgresql.dialect()))
    assert "CREATE TABLE" in ddl


def test_migration_matches_models(project: Project) -> None:
    """ORM models and migration scripts describe the same schema (no forgotten migration)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with project.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_cancels_duplicate_open_tasks_before_forbidding_them(project: Project) -> None:
    from tests.labeler.helpers import make_clips
    from voxcart.datasets.store.migrate import upgrade

    (clip,) = make_clips(project, 1)
    with project.engine.begin() as conn:
        # Back to a database from before the open-task index, holding duplicates.
        conn.execute(text("DROP INDEX uq_tasks_open_clip_kind"))
        conn.execute(text("DROP TABLE login_sessions"))
        conn.execute(text("ALTER TABLE clips DROP COLUMN meta"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        for task_id, state in ((1, "pending"), (2, "pending"), (3, "leased"), (4, "done")):
            conn.execute(
                text(
                    "INSERT INTO tasks (id, clip_id, kind, priority, state, created_at) "
                    f"VALUES ({task_id}, {clip}, 'annotate', 0, '{state}', '2026-01-01')"
                )
            )
    upgrade(project.engine)
    assert current_revision(project.engine) == head_revision()
    with project.engine.connect() as conn:
        states = dict(conn.execute(text("SELECT id, state FROM tasks ORDER BY id")).all())
    assert states == {1: "pending", 2: "cancelled", 3: "cancelled", 4: "done"}
