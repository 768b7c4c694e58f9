"""`voxcart queue fill` and `voxcart queue status`: the annotation queue from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import func, select

from voxcart.datasets.cli.options import DbOption, ProjectOption
from voxcart.datasets.store.clip_filter import parse_where
from voxcart.datasets.store.project import open_project
from voxcart.datasets.store.schema import Task
from voxcart.labeler.services.queue_fill import Order, fill_queue


def fill(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    where: Annotated[
        list[str] | None,
        typer.Option(help="FIELD=VALUE (status, split, origin, speaker, id); repeatable."),
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


def status(project_dir: ProjectOption = Path("."), db: DbOption = None) -> None:
    """Tasks per queue and state."""
    project = open_project(project_dir, db)
    try:
        with project.session() as session:
            rows = session.execute(
                select(Task.kind, Task.state, func.count(Task.id))
                .group_by(Task.kind, Task.state)
                .order_by(Task.kind, Task.state)
            ).all()
    finally:
        project.close()
    if not rows:
        typer.echo("the queue is empty; fill it with `voxcart queue fill`")
    for kind, state, count in rows:
        typer.echo(f"{kind}\t{state.value}\t{count}")


def register(app: typer.Typer) -> None:
    """Add the `queue` command group to the root app."""
    queue_app = typer.Typer(help="The annotation queue.", no_args_is_help=True)
    queue_app.command("fill")(fill)
    queue_app.command("status")(status)
    app.add_typer(queue_app, name="queue")
