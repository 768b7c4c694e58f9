"""`voxcart import`: bring a folder, manifest or dataset directory into a project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from voxcart.datasets.cli.options import DbOption, ProjectOption
from voxcart.datasets.ingest import FORMATS, import_source
from voxcart.datasets.store import open_project


def import_(
    source: Annotated[
        Path,
        typer.Argument(
            help="Folder of audio, CSV/TSV, NeMo JSONL, HF audiofolder, Kaldi dir or file."
        ),
    ],
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    fmt: Annotated[
        str,
        typer.Option("--format", help=f"Source format: {', '.join(FORMATS)}."),
    ] = "auto",
    allow_root: Annotated[
        list[Path] | None,
        typer.Option("--allow-root", help="Folder manifest paths may point into (repeatable)."),
    ] = None,
    allow_outside: Annotated[
        bool, typer.Option("--allow-outside", help="Accept manifest paths anywhere.")
    ] = False,
    speaker: Annotated[
        str | None, typer.Option(help="Speaker of clips whose source names none.")
    ] = None,
    speaker_from: Annotated[
        str | None,
        typer.Option("--speaker-from", help="'parent': speaker = the file's parent folder name."),
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Tag added to every new clip (repeatable).")
    ] = None,
    no_transcripts: Annotated[
        bool, typer.Option("--no-transcripts", help="Ignore the source's transcripts.")
    ] = False,
    top: Annotated[int, typer.Option(help="Rejections listed in the summary.")] = 10,
) -> None:
    """Import audio (validated, deduplicated by content) and its transcripts into the project."""
    project = open_project(project_dir, db)
    console = Console(stderr=True)
    try:
        with Progress(
            TextColumn("importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("import", total=None)

            def advance(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            report = import_source(
                project,
                source,
                fmt=fmt,
                allowed_roots=tuple(allow_root or ()),
                allow_outside=allow_outside,
                speaker=speaker,
                speaker_from=speaker_from,
                tags=tuple(tag or ()),
                transcripts=not no_transcripts,
                progress=advance,
            )
    finally:
        project.close()
    typer.echo(report.summary(top=top))


def register(app: typer.Typer) -> None:
    """Add `voxcart import` to the root app."""
    app.command(name="import")(import_)
