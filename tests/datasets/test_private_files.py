"""The project database, its WAL/SHM side files and import reports are readable by their owner
only: the database holds password hashes and login-token digests."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from tests.conftest import write_audio
from voxcart.datasets.ingest.engine import import_source
from voxcart.datasets.store.project import DB_NAME, init_project, open_project


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_and_side_files_are_owner_only_even_with_a_lax_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual default: new files 0644
    try:
        project = init_project(tmp_path / "p")
        try:
            with project.engine.connect() as conn:  # a live connection keeps -wal and -shm
                conn.execute(text("SELECT 1"))
                db = project.root / DB_NAME
                sides = [db.with_name(db.name + s) for s in ("-wal", "-shm")]
                assert _mode(db) == 0o600
                assert [p for p in sides if p.exists()], "WAL mode makes -wal/-shm files"
                assert all(_mode(p) == 0o600 for p in sides if p.exists())
        finally:
            project.close()
    finally:
        os.umask(old)


def test_an_existing_readable_database_is_made_private_on_open(tmp_path: Path) -> None:
    init_project(tmp_path / "p").close()
    db = tmp_path / "p" / DB_NAME
    db.chmod(0o644)
    open_project(tmp_path / "p").close()
    assert _mode(db) == 0o600


def test_import_reports_are_owner_only(project, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    write_audio(tmp_path / "src" / "ok.wav", seconds=0.5)
    (tmp_path / "src" / "bad.wav").write_bytes(b"not audio at all" * 10)
    report = import_source(project, tmp_path / "src")
    assert report.report_path is not None
    assert _mode(report.report_path) == 0o600
    assert _mode(report.report_path.parent) == 0o700


def test_a_config_whose_database_url_holds_a_password_is_owner_only(
    tmp_path: Path, postgres_url: str
) -> None:
    from sqlalchemy.engine import make_url

    from voxcart.datasets.store.config import CONFIG_NAME
    from voxcart.datasets.store.local_postgres import create_database

    # The test server trusts local connections, so any password lets the project open.
    with_password = make_url(create_database(postgres_url)).set(password="s3cret")
    old = os.umask(0o022)
    try:
        init_project(
            tmp_path / "secret", db_url=with_password.render_as_string(hide_password=False)
        ).close()
        init_project(tmp_path / "plain").close()
    finally:
        os.umask(old)
    assert "s3cret" in (tmp_path / "secret" / CONFIG_NAME).read_text(encoding="utf-8")
    assert _mode(tmp_path / "secret" / CONFIG_NAME) == 0o600
    assert _mode(tmp_path / "plain" / CONFIG_NAME) == 0o644  # nothing secret: the umask's
