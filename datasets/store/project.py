"""Opening a project: its directory, its database engine, sessions, and schema migrations."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from voxcart.datasets.errors import ProjectError
from voxcart.datasets.store.config import CONFIG_NAME, ProjectConfig, load_config

DB_NAME = "voxcart.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
POOL_SIZE = 20
"""Connections each process keeps open; the app serves every annotator from one process."""
MAX_OVERFLOW = 20
"""Extra connections opened under a burst (PostgreSQL: keep processes x 40 under its
max_connections, 100 by default)."""
PRIVATE_FILE_MODE = 0o600
"""The database holds password hashes and session digests: only its owner may read it."""
_SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")


def _json_dumps(value: Any) -> str:
    # NaN and Infinity are not JSON: PostgreSQL refuses them, so SQLite must refuse them too.
    return json.dumps(value, allow_nan=False)


def make_private(db_file: Path) -> None:
    """Create `db_file` owner-only if it is missing, and take group/other access away from it
    and its WAL/SHM/journal files if they have any (SQLite gives the side files the database
    file's mode when it creates them)."""
    if not db_file.exists():
        db_file.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(db_file, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE))
    for suffix in _SQLITE_SIDE_FILES:
        path = db_file.with_name(db_file.name + suffix)
        try:
            mode = path.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                path.chmod(stat.S_IMODE(mode) & ~(stat.S_IRWXG | stat.S_IRWXO))
        except OSError:
            continue  # missing, or owned by someone else: nothing this process may change


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the app read while an import or a suggest run writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _raw(connection: Any) -> Any:
    # SQLAlchemy hands over the pool's proxy in some calls and the sqlite3 connection in others.
    return getattr(connection, "dbapi_connection", connection)


class _SqliteWriteGate:
    """Lets one thread of this process write to a SQLite database at a time, in arrival order.

    SQLite runs one writer at a time; the others wait in its busy handler, which sleeps and
    polls (up to 100 ms a nap). Under many concurrent annotators a writer could lose the race
    again and again and wait seconds. Waiting on a lock instead wakes the next writer the
    moment the previous transaction ends. The gate is taken at a transaction's first write
    statement and given back at its commit or rollback; a writer that cannot get it within the
    busy timeout goes on and lets SQLite decide, as before (so no wait becomes a deadlock).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: int | None = None

    def before_execute(self, conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.lstrip()[:7].upper().startswith(_WRITE_VERBS):
            return
        dbapi = _raw(conn.connection)
        if self._holder == id(dbapi):
            return
        if self._lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            self._holder = id(dbapi)

    def end(self, connection: Any) -> None:
        if self._holder == id(_raw(connection)):
            self._holder = None
            self._lock.release()

    def install(self, engine: Engine) -> None:
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi: Any) -> None:
            try:
                commit(dbapi)
            finally:
                self.end(dbapi)

        def do_rollback(dbapi: Any) -> None:
            try:
                rollback(dbapi)
            finally:
                self.end(dbapi)

        dialect.do_commit = do_commit  # type: ignore[method-assign,assignment]
        dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]
        event.listen(engine, "before_cursor_execute", self.before_execute)


def make_engine(url: str) -> Engine:
    """Create an engine for a database URL, with SQLite tuned for concurrent app use.

    Raises:
        ProjectError: the URL is malformed or names a driver that is not installed.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ProjectError(f"database URL {url!r} is not valid: {exc}") from exc
    # SQLAlchemy's default pool (5 + 10 overflow) made the 16th concurrent annotator wait for
    # a connection; a pool as large as the annotators who act at the same moment does not.
    kwargs: dict[str, Any] = {
        "future": True,
        "json_serializer": _json_dumps,
        "pool_size": POOL_SIZE,
        "max_overflow": MAX_OVERFLOW,
    }
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            "check_same_thread": False,
        }
    else:
        # No pre-ping: it costs a round trip per transaction (three per annotator cycle). A
        # connection the server dropped fails once and the pool is invalidated and refilled.
        kwargs["pool_recycle"] = 1800
    try:
        engine = create_engine(parsed, **kwargs)
    except NoSuchModuleError as exc:
        raise ProjectError(
            f"database URL {url!r} names an unknown backend {parsed.drivername!r}; "
            "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
        ) from exc
    except ModuleNotFoundError as exc:
        raise ProjectError(
            f"database driver for {parsed.drivername!r} is not installed ({exc.name}); "
            "for PostgreSQL run `pip install 'voxcart[postgres]'`"
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            make_private(Path(parsed.database))
        event.listen(engine, "connect", _sqlite_pragmas)
        _SqliteWriteGate().install(engine)
    return engine


def default_db_url(project_dir: Path) -> str:
    """The SQLite URL of a project that names no database."""
    return f"sqlite:///{(project_dir / DB_NAME).resolve()}"


@dataclass
class Project:
    """An open project: its directory, config and database.

    Use :func:`open_project` or :func:`init_project` to get one; use :meth:`session` for a
    unit of work (committed on success, rolled back on error).
    """

    root: Path
    config: ProjectConfig
    db_url: str
    engine: Engine = field(repr=False)
    _sessions: sessionmaker[Session] = field(repr=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: commits when the block ends, rolls back if it raises."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @property
    def media_dir(self) -> Path:
        """Where the project keeps audio it creates itself (demo, augmentation, copies)."""
        return self.root / "media"

    @property
    def exports_dir(self) -> Path:
        """Default parent folder of exports."""
        return self.root / "exports"

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()


def _connect(root: Path, config: ProjectConfig, db_url: str | None) -> Project:
    url = db_url or config.db_url or default_db_url(root)
    engine = make_engine(url)
    from voxcart.datasets.store.migrate import upgrade

    try:
        upgrade(engine)
    except OperationalError as exc:
        engine.dispose()
        raise ProjectError(f"cannot open database {make_url(url)!r}: {exc.orig}") from exc
    sessions = sessionmaker(engine, expire_on_commit=False)
    return Project(root=root, config=config, db_url=url, engine=engine, _sessions=sessions)


def open_project(root: Path | str, db_url: str | None = None) -> Project:
    """Open an existing project, upgrading its schema to the current version first.

    Args:
        root: the project directory (holding `voxcart.toml`).
        db_url: overrides the database named in the config (e.g. a PostgreSQL URL).

    Raises:
        ConfigError: the directory holds no valid `voxcart.toml`.
        ProjectError: the database cannot be opened.
    """
    path = Path(root).expanduser().resolve()
    return _connect(path, load_config(path), db_url)


def init_project(
    root: Path | str, config: ProjectConfig | None = None, db_url: str | None = None
) -> Project:
    """Create a project directory (or reopen it if it already is one) and its database.

    Raises:
        ProjectError: the directory exists and is a file, or holds an unrelated config.
    """
    path = Path(root).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise ProjectError(f"{path} exists and is not a directory")
    if (path / CONFIG_NAME).is_file():
        return open_project(path, db_url)
    path.mkdir(parents=True, exist_ok=True)
    config = config or ProjectConfig(name=path.name)
    if db_url and not config.db_url:
        config = ProjectConfig(**{**config.__dict__, "db_url": db_url})
    project = _connect(path, config, db_url)
    # Written last: a directory whose database could not be created is not left as a project.
    _write_config(path / CONFIG_NAME, config)
    return project


def _write_config(path: Path, config: ProjectConfig) -> None:
    """Write `voxcart.toml`; owner-only when its database URL holds a password (readable by
    every local user otherwise, like any project file)."""
    secret = bool(config.db_url) and make_url(config.db_url).password is not None
    mode = PRIVATE_FILE_MODE if secret else 0o666
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(config.to_toml())
