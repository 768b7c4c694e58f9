"""A throwaway PostgreSQL cluster on this machine (``initdb`` + ``pg_ctl``), for the tests and
benchmarks that run the store on a real server instead of SQLite."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root; CI and these machines run tests as root.
    if os.geteuid() == 0 and shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def unavailable() -> str | None:
    """Why a local server cannot be started here, or None when it can."""
    for tool in ("initdb", "pg_ctl"):
        if shutil.which(tool) is None:
            return f"{tool} not found (install Debian's postgresql to run PostgreSQL checks)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'voxcart[postgres]')"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def temporary_server(
    *, tcp: bool = False, settings: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Start a PostgreSQL cluster in a temporary folder; yield the admin SQLAlchemy URL.

    The cluster trusts local connections, runs without fsync (its data is thrown away) and
    is stopped and deleted when the block ends.

    Args:
        tcp: listen on a free port of 127.0.0.1 (as a server on another machine would be
            reached) instead of only on a Unix socket in the folder.
        settings: server parameters (``max_connections``, ``shared_buffers``, ...).
    """
    root = Path(tempfile.mkdtemp(prefix="voxcart-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    subprocess.run(
        _as_postgres(["initdb", "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    port = _free_port()
    listen = f"-h 127.0.0.1 -p {port}" if tcp else "-h ''"
    extra = "".join(f" -c {key}={value}" for key, value in (settings or {}).items())
    opts = f"-k {root} {listen} -F{extra}"
    subprocess.run(
        _as_postgres(
            ["pg_ctl", "-D", str(data), "-o", opts, "-w", "-l", str(root / "log"), "start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        if tcp:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        else:
            yield f"postgresql+psycopg://postgres@/postgres?host={root}"
    finally:
        subprocess.run(
            _as_postgres(["pg_ctl", "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def create_database(admin_url: str, prefix: str = "t") -> str:
    """Create a new, empty database on the server of `admin_url`; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)
