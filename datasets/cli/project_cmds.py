"""`voxcart init`, `voxcart stats` and `voxcart split`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voxcart.datasets.cli.options import DbOption, ProjectOption
from voxcart.datasets.cli.output import warn
from voxcart.datasets.errors import ConfigError
from voxcart.datasets.splits import assign_splits
from voxcart.datasets.store.config import ProjectConfig, SplitConfig
from voxcart.datasets.store.project import init_project, open_project
from voxcart.datasets.store.stats import project_stats


def init(
    directory: Annotated[Path, typer.Argument(help="Project directory to create.")],
    name: Annotated[str | None, typer.Option(help="Project name (default: folder name).")] = None,
    db: DbOption = None,
    locale: Annotated[str, typer.Option(help="Default locale of imported clips.")] = "en-US",
) -> None:
    """Create a project: a directory with voxcart.toml and its database."""
    config = ProjectConfig(name=name or directory.resolve().name, db_url=db or "", locale=locale)
    project = init_project(directory, config, db_url=db)
    typer.echo(f"project {project.config.name!r} ready at {project.root}")
    project.close()


def stats(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Hours, clips by status/split/speaker, vocabulary, catalog coverage, gold references."""
    project = open_project(project_dir, db)
    try:
        result = project_stats(project)
    finally:
        project.close()
    typer.echo(result.to_json() if as_json else result.to_text())


def _parse_ratios(text: str) -> tuple[float, float, float]:
    parts = text.split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError as exc:
        raise ConfigError(f"--ratios {text!r}: expected three numbers like 0.8,0.1,0.1") from exc
    if len(values) != 3:
        raise ConfigError(f"--ratios {text!r}: expected three numbers (train,dev,test)")
    return values[0], values[1], values[2]


def split(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    seed: Annotated[int | None, typer.Option(help="Split seed (default: the project's).")] = None,
    ratios: Annotated[
        str | None, typer.Option(help="train,dev,test ratios, e.g. 0.8,0.1,0.1.")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Also move clips locked by an earlier export.")
    ] = False,
    dry_run: Annotated[bool, typer.Option(help="Report what would change; write nothing.")] = False,
) -> None:
    """Assign speaker-disjoint train/dev/test splits (deterministic in seed and speaker)."""
    project = open_project(project_dir, db)
    try:
        base = project.config.split
        train, dev, test = _parse_ratios(ratios) if ratios else (base.train, base.dev, base.test)
        config = SplitConfig(
            seed=base.seed if seed is None else seed, train=train, dev=dev, test=test
        )
        report = assign_splits(project, config, force=force, dry_run=dry_run)
    finally:
        project.close()
    typer.echo(("(dry run) " if dry_run else "") + report.summary(warnings=False))
    for message in report.warnings:
        warn(message)


def register(app: typer.Typer) -> None:
    """Add the project commands to the root app."""
    app.command()(init)
    app.command()(stats)
    app.command()(split)
