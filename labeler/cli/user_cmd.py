"""`voxcart user add|list|passwd|deactivate|activate`: local accounts from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from voxcart.datasets.cli.options import DbOption, ProjectOption
from voxcart.datasets.cli.output import echo_table
from voxcart.datasets.store.project import open_project
from voxcart.datasets.store.schema import Role
from voxcart.labeler.accounts.auth import validate_password
from voxcart.labeler.errors import AccountError
from voxcart.labeler.services.users import (
    accounts,
    add_account,
    change_password,
    set_account_active,
)

PasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin (scripts)."
    ),
]
UsernameArg = Annotated[str, typer.Argument(help="Login name of the account.")]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        # Only the line ending is removed: spaces are part of a password.
        text = line[:-1] if line.endswith("\n") else line
        text = text[:-1] if text.endswith("\r") else text
        if not text:
            raise AccountError("--password-stdin: stdin held no password line")
        return text
    prompted: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return prompted


def add(
    username: Annotated[str, typer.Argument(help="Login name (no spaces, at most 64 chars).")],
    role: Annotated[
        Role, typer.Option("--role", "-r", help="What the user may do.", case_sensitive=False)
    ] = Role.ANNOTATOR,
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    display_name: Annotated[
        str, typer.Option("--display-name", help="Name shown in the app (default: username).")
    ] = "",
    password_stdin: PasswordStdinOption = False,
) -> None:
    """Create an account; the password is prompted twice (hidden) unless --password-stdin."""
    password = _read_password(password_stdin)
    validate_password(password)
    project = open_project(project_dir, db)
    try:
        user = add_account(project, username, password, role, display_name)
    finally:
        project.close()
    typer.echo(f"user {user.username!r} created with role {user.role.value} (id {user.id})")


def list_cmd(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON lines (one account a line) for scripts.")
    ] = False,
) -> None:
    """List accounts: username, role, whether active (a table with a header)."""
    project = open_project(project_dir, db)
    try:
        users = accounts(project)
    finally:
        project.close()
    if not as_json:
        if users:
            echo_table(
                ("username", "role", "state"),
                (
                    (u.username, u.role.value, "active" if u.active else "deactivated")
                    for u in users
                ),
            )
        else:
            typer.echo("no users yet; add one with `voxcart user add NAME --role lead`")
        return
    for u in users:  # JSON lines, as before the table had a header
        record = {
            "id": u.id,
            "username": u.username,
            "display_name": u.display_name,
            "role": u.role.value,
            "active": u.active,
            "created_at": u.created_at.isoformat(),
        }
        typer.echo(json.dumps(record, ensure_ascii=False))


def passwd(
    username: UsernameArg,
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    password_stdin: PasswordStdinOption = False,
) -> None:
    """Set a new password; every open login of the account ends at its next click."""
    password = _read_password(password_stdin)
    validate_password(password)
    project = open_project(project_dir, db)
    try:
        user = change_password(project, username, password)
    finally:
        project.close()
    typer.echo(f"password of {user.username!r} changed; its open sessions have ended")


def _set_active(username: str, project_dir: Path, db: str | None, active: bool) -> None:
    project = open_project(project_dir, db)
    try:
        user = set_account_active(project, username, active)
    finally:
        project.close()
    state = "activated" if active else "deactivated; its open sessions have ended"
    typer.echo(f"user {user.username!r} {state}")


def deactivate(
    username: UsernameArg, project_dir: ProjectOption = Path("."), db: DbOption = None
) -> None:
    """Stop an account from logging in; its open sessions end at their next click."""
    _set_active(username, project_dir, db, False)


def activate(
    username: UsernameArg, project_dir: ProjectOption = Path("."), db: DbOption = None
) -> None:
    """Let a deactivated account log in again (old sessions stay ended)."""
    _set_active(username, project_dir, db, True)


def register(app: typer.Typer) -> None:
    """Add the `user` command group to the root app."""
    user_app = typer.Typer(
        help="Manage the accounts that log in to the labeling app.", no_args_is_help=True
    )
    user_app.command("add")(add)
    user_app.command("list")(list_cmd)
    user_app.command("passwd")(passwd)
    user_app.command("deactivate")(deactivate)
    user_app.command("activate")(activate)
    app.add_typer(user_app, name="user")
