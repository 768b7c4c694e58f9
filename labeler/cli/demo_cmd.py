"""`voxcart demo DIR`: build a ready demo project offline (catalog, synthetic speakers, queries)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from voxcart.datasets.cli.progress import progress_bar
from voxcart.datasets.demo.build import MAX_CLIPS, build_demo


def demo(
    directory: Annotated[
        Path, typer.Argument(help="Project directory to create (an existing demo is completed).")
    ],
    clips: Annotated[
        int,
        typer.Option("--clips", min=1, max=MAX_CLIPS, help="Spoken queries to synthesize."),
    ] = 300,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the catalog, queries, voices and noise.")
    ] = 0,
    noise: Annotated[
        float,
        typer.Option(
            "--noise", min=0.0, max=1.0, help="Share of clips mixed with background noise."
        ),
    ] = 0.25,
) -> None:
    """Build a demo project with no download: a product catalog and synthesized voice queries.

    Clips start unlabelled; the text each was synthesized from is kept only as a hidden reference.
    """
    with progress_bar("synthesizing", total=clips) as advance:
        try:
            summary = build_demo(
                directory, n_clips=clips, seed=seed, noise_fraction=noise, progress=advance
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    typer.echo(summary.to_text())
    # The accounts live in the labeler package; the demo command only asks for them.
    from voxcart.datasets.store.project import open_project
    from voxcart.labeler.accounts.demo_users import ensure_demo_users

    project = open_project(summary.root)
    try:
        accounts = ensure_demo_users(project)
    finally:
        project.close()
    typer.echo(
        "demo accounts (public passwords: they stop working once real audio is imported): "
        + ", ".join(f"{name} / {password}" for name, _role, password in accounts)
    )
    root = shlex.quote(str(summary.root))
    steps = (
        (f"voxcart stats -p {root}", "what the project holds"),
        (f"voxcart lm build -p {root}", "catalog language model for suggestions"),
        (f"voxcart suggest -p {root}", "suggest a transcript for every clip"),
        (f"voxcart queue fill -p {root}", "queue clips, least confident first"),
        (f"voxcart app -p {root}", "open the labeling app"),
        ("voxcart export --help", "once clips are labelled: NeMo, HF, Kaldi or Lhotse data"),
    )
    width = max(len(command) for command, _ in steps) + 2
    typer.echo("\nnext steps:")
    for command, why in steps:
        typer.echo(f"  {command.ljust(width)}# {why}")


def register(app: typer.Typer) -> None:
    """Add `voxcart demo` to the root app."""
    app.command(name="demo")(demo)
