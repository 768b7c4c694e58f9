"""`voxcart app`: start the labeling app (Streamlit) for one project."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from voxcart.datasets.cli.options import DbOption, ProjectOption
from voxcart.datasets.cli.output import warn
from voxcart.datasets.store.project import open_project
from voxcart.labeler.app.context import DB_ENV, PROJECT_ENV
from voxcart.labeler.app.server import (
    APP_SCRIPT,
    DEFAULT_HOST,
    DEFAULT_PORT,
    check_port_free,
    is_loopback,
    serve,
    streamlit_command,
)

__all__ = ["APP_SCRIPT", "app_cmd", "app_environment", "register", "streamlit_command"]


def app_environment(project_dir: Path, db: str | None) -> dict[str, str]:
    """This process's environment plus the project (and database) the app serves."""
    env = dict(os.environ)
    env[PROJECT_ENV] = str(project_dir)
    if db:
        env[DB_ENV] = db
    else:
        env.pop(DB_ENV, None)
    return env


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
    check_port_free(host, port)
    if not is_loopback(host):
        warn(
            f"serving on {host}: anyone who can reach this address can try to "
            "log in; use HTTPS in front of it"
        )
    typer.echo(f"voxcart app: serving {root} at http://{host}:{port}  (Ctrl+C stops it)")
    result = serve(command, app_environment(root, db))
    if result.stopped_by is not None:
        typer.echo(f"voxcart app: stopped ({result.stopped_by.name})", err=True)
        return
    if result.returncode != 0:
        raise typer.Exit(result.returncode)


def register(app: typer.Typer) -> None:
    """Add the `app` command to the root app."""
    app.command("app")(app_cmd)
