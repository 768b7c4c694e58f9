"""`voxcart user add` / `voxcart user list` through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from voxcart.datasets.store.project import Project, open_project
from voxcart.labeler.accounts.auth import authenticate
from voxcart.labeler.cli import user_cmd as cli
from voxcart.labeler.errors import AccountError


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """voxcart"""

    cli.register(root)
    return root


def _login(root: Path, name: str, password: str) -> str:
    project = open_project(root)
    try:
        with project.session() as s:
            return authenticate(s, name, password).role.value
    finally:
        project.close()


def test_add_from_stdin_and_list(app: typer.Typer, project: Project) -> None:
    runner = CliRunner()
    root = str(project.root)
    result = runner.invoke(
        app,
        ["user", "add", "mia", "--role", "lead", "-p", root, "--password-stdin"],
        input="s3cret pass\n",
    )
    assert result.exit_code == 0, result.output
    assert "'mia' created with role lead" in result.output
    assert _login(project.root, "mia", "s3cret pass") == "lead"
    listed = runner.invoke(app, ["user", "list", "-p", root])
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == ["username\trole\tstate", "mia\tlead\tactive"]
    as_json = runner.invoke(app, ["user", "list", "-p", root, "--json"])
    assert json.loads(as_json.output.splitlines()[0])["role"] == "lead"


def test_add_prompts_twice_hidden(app: typer.Typer, project: Project) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["user", "add", "raj", "-p", str(project.root)],
        input="first secret\nfirst secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "first secret" not in result.output  # the prompt does not echo
    assert _login(project.root, "raj", "first secret") == "annotator"


def test_add_rejects_bad_input(app: typer.Typer, project: Project) -> None:
    runner = CliRunner()
    root = str(project.root)
    bad_role = runner.invoke(app, ["user", "add", "x1", "--role", "admin", "-p", root])
    assert bad_role.exit_code != 0 and "admin" in bad_role.output
    short = runner.invoke(
        app, ["user", "add", "x2", "-p", root, "--password-stdin"], input="short\n"
    )
    assert isinstance(short.exception, AccountError)
    spaced = runner.invoke(
        app, ["user", "add", "x y", "-p", root, "--password-stdin"], input="long enough\n"
    )
    assert isinstance(spaced.exception, AccountError)
    empty = runner.invoke(app, ["user", "list", "-p", root])
    assert "no users yet" in empty.output


def test_passwd_and_deactivate_end_open_logins(app: typer.Typer, project: Project) -> None:
    from voxcart.labeler.accounts import login_sessions

    runner = CliRunner()
    root = str(project.root)
    runner.invoke(app, ["user", "add", "kim", "-p", root, "--password-stdin"], input="first-pass\n")
    with project.session() as s:
        token = login_sessions.start(s, authenticate(s, "kim", "first-pass").id)
    result = runner.invoke(
        app, ["user", "passwd", "kim", "-p", root, "--password-stdin"], input="second-pass\n"
    )
    assert result.exit_code == 0 and "open sessions have ended" in result.output
    assert _login(project.root, "kim", "second-pass") == "annotator"
    with project.session() as s:
        assert login_sessions.resume(s, token) is None
        token = login_sessions.start(s, authenticate(s, "kim", "second-pass").id)
    result = runner.invoke(app, ["user", "deactivate", "kim", "-p", root])
    assert result.exit_code == 0, result.output
    with project.session() as s:
        assert login_sessions.resume(s, token) is None
    assert runner.invoke(app, ["user", "activate", "kim", "-p", root]).exit_code == 0
    assert _login(project.root, "kim", "second-pass") == "annotator"
    missing = runner.invoke(app, ["user", "deactivate", "nobody", "-p", root])
    assert missing.exit_code != 0
