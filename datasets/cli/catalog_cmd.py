"""`voxcart catalog`: import a product catalog and derive its entity vocabulary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voxcart.datasets.catalog.store import import_catalog
from voxcart.datasets.cli.options import DbOption, ProjectOption
from voxcart.datasets.store.project import open_project

catalog_app = typer.Typer(
    name="catalog",
    help="Product catalogs: the brands, product types, models and attributes shoppers say.",
    no_args_is_help=True,
)


@catalog_app.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(help="Catalog file: CSV, TSV or JSONL with a title.")],
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Catalog name (default: the file name); reuse it to update."),
    ] = None,
    top: Annotated[int, typer.Option(help="Rejected rows listed in the summary.")] = 10,
) -> None:
    """Import products (title required; brand, category, price, sku, attributes optional)."""
    project = open_project(project_dir, db)
    try:
        summary = import_catalog(project, path, name)
    finally:
        project.close()
    typer.echo(summary.summary(top=top))


def register(app: typer.Typer) -> None:
    """Add `voxcart catalog ...` to the root app."""
    app.add_typer(catalog_app, name="catalog")
