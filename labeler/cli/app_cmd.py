"""`voxcart app`: start the labeling app (Streamlit) for one project."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from voxcart.datasets.cli.options import DbOption, ProjectOption
from voxcart.datasets.cli.output import warn
from voxcart.datasets.errors import ProjectError
from voxcart.datasets.store.project import open_project
from voxcart.labeler.app.context import DB_ENV, PROJECT_ENV

APP_SCRIPT = Path(__file__).resolve().parent.parent / "app_script" / "voxcart_app.py"
"""The script Streamlit runs (package data, so that a wheel install has it too)."""
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501


def streamlit_command(host: str, port: int, headless: bool) -> list[str]:
    """The ``python -m streamlit run`` command line that serves the app.

    Raises:
        ProjectError: the port is outside 1..65535.
    """
    if not 1 <= port <= 65535:
        raise ProjectError(f"--port {port} is not a TCP port; use 1 to 65535 (default 8501)")
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_SCRIPT),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true" if headless else "false",
        "--browser.gatherUsageStats",
        "false",
    ]


def app_environment(project_dir: Path, db: str | None) -> dict[str, str]:
    """This process's environment plus the project (and database) the app serves."""
    env = dict(os.environ)
    env[PROJECT_ENV] = str(project_dir)
    if db:
        env[DB_ENV] = db
    else:
        env.pop(DB_ENV, None)
    return env


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def app_cmd(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    port: Annotated[int, typer.Option("--port", help="TCP port to serve on.")] = DEFAULT_PORT,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to bind. The default serves this machine only; use 0.0.0.0 to "
            "let others on your network in (put it behind TLS).",
        ),
    ] = DEFAULT_HOST,
    headless: Annotated[
        bool, typer.Option("--headless", help="Do not open a browser window.")
    ] = False,
) -> None:
    """Start the labeling app for a project (stop it with Ctrl+C)."""
    project = open_project(project_dir, db)  # fails early, and migrates, before serving
    root = project.root
    project.close()
    command = streamlit_command(host, port, headless)
    if not _is_loopback(host):
        warn(
            f"serving on {host}: anyone who can reach this address can try to "
            "log in; use HTTPS in front of it"
        )
    typer.echo(f"voxcart app: serving {root} at http://{host}:{port}  (Ctrl+C stops it)")
    completed = subprocess.run(command, env=app_environment(root, db), check=False)
    if completed.returncode != 0:
        raise typer.Exit(completed.returncode)


def register(app: typer.Typer) -> None:
    """Add the `app` command to the root app."""
    app.command("app")(app_cmd)
