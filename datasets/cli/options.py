"""Options shared by every command that works on a project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ProjectOption = Annotated[
    Path,
    typer.Option(
        "--project", "-p", help="Project directory (holding voxcart.toml).", show_default=True
    ),
]
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL overriding the project's (e.g. postgresql+psycopg://user@host/db).",
    ),
]

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON (for scripts) instead of a table.")
]


def comma_list(text: str) -> tuple[str, ...]:
    """A comma-separated option value as its items: ``"a, b,a ,"`` -> ``("a", "b")`` (blanks
    and repeats dropped, order kept)."""
    return tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
