"""How commands print: header rows, --json records, and the one warning style on stderr."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.labeler.helpers import make_clips
from voxcart.datasets.cli.output import show_library_warning, table_lines, to_json
from voxcart.datasets.errors import VoxcartWarning
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import TaskState
from voxcart.labeler.cli.root import build_app


@dataclass(frozen=True)
class _Row:
    name: str
    state: TaskState
    at: datetime
    path: Path | None


def test_table_has_a_header_and_dashes_for_missing_cells() -> None:
    lines = table_lines(("name", "path"), [("a", "/x"), ("b", None)])
    assert lines == ["name\tpath", "a\t/x", "b\t-"]
    with pytest.raises(ValueError, match="3 cells for 2 columns"):
        table_lines(("name", "path"), [("a", "b", "c")])


def test_json_of_records_uses_plain_values() -> None:
    at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    text = to_json(
        [_Row("a", TaskState.LEASED, at, Path("/m")), _Row("b", TaskState.DONE, at, None)]
    )
    assert json.loads(text) == [
        {"name": "a", "state": "leased", "at": "2026-01-02T03:04:00+00:00", "path": "/m"},
        {"name": "b", "state": "done", "at": "2026-01-02T03:04:00+00:00", "path": None},
    ]
    assert json.loads(to_json(_Row("c", TaskState.PENDING, at, None)))["state"] == "pending"


def test_voxcart_warnings_print_in_the_cli_style_others_unchanged() -> None:
    ours, theirs = StringIO(), StringIO()
    show_library_warning("no babble", VoxcartWarning, "/x/bank.py", 3, file=ours)
    show_library_warning("old api", DeprecationWarning, "/x/lib.py", 7, file=theirs)
    assert ours.getvalue() == "voxcart: warning: no babble\n"
    assert "lib.py:7: DeprecationWarning: old api" in theirs.getvalue()


def test_the_console_script_routes_library_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    from voxcart.labeler.cli import root

    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    with pytest.raises(SystemExit):
        root.main(["--help"])
    assert warnings.showwarning is show_library_warning


def test_split_warnings_go_to_stderr_with_the_prefix(project: Project) -> None:
    make_clips(project, 1)
    result = CliRunner().invoke(build_app(), ["split", "-p", str(project.root)])
    assert result.exit_code == 0, result.output
    assert "assigned 1 clip(s)" in result.stdout and "warning" not in result.stdout
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("voxcart: warning: split ") for line in lines)
    assert any("is empty" in line for line in lines)
