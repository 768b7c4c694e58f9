"""`voxcart queue fill` and `voxcart queue status`: the annotation queue from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voxcart.datasets.cli.options import DbOption, JsonOption, ProjectOption
from voxcart.datasets.cli.output import echo_json, echo_table
from voxcart.datasets.store.clip_filter import parse_where
from voxcart.datasets.store.project import open_project
from voxcart.datasets.store.queue import queue_counts
from voxcart.labeler.services.queue_fill import Order, fill_queue


def fill(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            help="FIELD=VALUE (status, split, origin, speaker, id, meta.NAME, e.g. "
            "meta.condition=far); repeatable."
        ),
    ] = None,
    order: Annotated[
        str, typer.Option(help="uncertainty (least confident suggestion first) or fifo.")
    ] = "uncertainty",
    limit: Annotated[int | None, typer.Option(help="Queue at most this many clips.", min=1)] = None,
) -> None:
    """Queue clips for annotation (default: every unlabelled clip, least confident first)."""
    if order not in ("uncertainty", "fifo"):
        raise typer.BadParameter("use uncertainty or fifo", param_hint="--order")
    chosen: Order = "fifo" if order == "fifo" else "uncertainty"
    flt = parse_where(where or ["status=unlabeled"])
    project = open_project(project_dir, db)
    try:
        result = fill_queue(project, flt, order=chosen, limit=limit)
    finally:
        project.close()
    typer.echo(f"queued {len(result.created)} clip(s); {len(result.already_open)} already waiting")


def status(
    project_dir: ProjectOption = Path("."), db: DbOption = None, as_json: JsonOption = False
) -> None:
    """Tasks per queue and state (a table with a header; --json for scripts)."""
    project = open_project(project_dir, db)
    try:
        counts = queue_counts(project)
    finally:
        project.close()
    if as_json:
        echo_json(counts)
        return
    if not counts:
        typer.echo("the queue is empty; fill it with `voxcart queue fill`")
        return
    echo_table(("queue", "state", "tasks"), ((c.kind, c.state, c.tasks) for c in counts))


def register(app: typer.Typer) -> None:
    """Add the `queue` command group to the root app."""
    queue_app = typer.Typer(help="The annotation queue.", no_args_is_help=True)
    queue_app.command("fill")(fill)
    queue_app.command("status")(status)
    app.add_typer(queue_app, name="queue")
