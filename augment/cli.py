"""`voxcart augment`: store augmented copies of training clips; `presets` and `transforms` list
what a pipeline may use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voxcart.augment.errors import AugmentError
from voxcart.datasets.cli.options import DbOption, JsonOption, ProjectOption, comma_list
from voxcart.datasets.cli.output import echo_json, echo_table
from voxcart.datasets.cli.progress import progress_bar

augment_app = typer.Typer(
    name="augment",
    help="Noise, reverb and channel augmentation with recorded lineage.",
    no_args_is_help=True,
)


@augment_app.callback(invoke_without_command=True)
def augment(
    ctx: typer.Context,
    preset: Annotated[
        str | None,
        typer.Option(help="Preset name (see `voxcart augment presets`) or a pipeline .toml file."),
    ] = None,
    copies: Annotated[int, typer.Option(help="Augmented variants per clip.")] = 2,
    split: Annotated[
        str,
        typer.Option(help="Splits to augment, comma-separated (only train is augmented in place)."),
    ] = "train",
    seed: Annotated[
        int, typer.Option(help="Base seed; the same seed gives the same variants.")
    ] = 0,
    as_test_set: Annotated[
        str | None,
        typer.Option(
            "--as-test-set",
            help="Build a separate noisy evaluation set with this name from the test clips.",
        ),
    ] = None,
    noise_bank: Annotated[
        Path | None,
        typer.Option(help="Folder of noise recordings (any rate/channels); default: generated."),
    ] = None,
    rir_bank: Annotated[
        Path | None,
        typer.Option(help="Folder of room impulse responses; default: simulated rooms."),
    ] = None,
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
) -> None:
    """Store augmented copies of a split's clips as new clips that record their lineage."""
    if ctx.invoked_subcommand is not None:
        return
    if preset is None:
        raise AugmentError(
            "--preset is required: name a preset (voxcart augment presets) or a .toml"
        )
    from voxcart.augment.run import AugmentOptions, augment_splits
    from voxcart.datasets.store.project import open_project

    options = AugmentOptions(
        preset=preset,
        copies=copies,
        splits=comma_list(split),
        seed=seed,
        as_test_set=as_test_set,
        noise_bank=noise_bank,
        rir_bank=rir_bank,
    )
    project = open_project(project_dir, db)
    try:
        with progress_bar(f"augmenting ({preset})") as advance:
            reports = augment_splits(project, options, progress=advance)
    finally:
        project.close()
    for report in reports:
        typer.echo(report.summary())
    if all(r.failed and not r.created and not r.existing for r in reports):
        raise typer.Exit(1)


@augment_app.command("presets")
def presets(as_json: JsonOption = False) -> None:
    """List the shipped presets (a table with a header; --json for scripts)."""
    from voxcart.augment.presets import list_presets

    found = list_presets()
    if as_json:
        echo_json(found)
        return
    echo_table(("preset", "description"), ((p.name, p.description) for p in found))


@augment_app.command("transforms")
def transforms(as_json: JsonOption = False) -> None:
    """List the transform names a pipeline file may use (a table; --json for scripts)."""
    from voxcart.augment.pipeline import list_transforms

    rows = list_transforms()
    if as_json:
        echo_json(rows)
        return
    echo_table(
        ("transform", "from"),
        ((t.name, t.origin + (" (nests a transforms list)" if t.container else "")) for t in rows),
    )


def register(app: typer.Typer) -> None:
    """Add `voxcart augment` to the root app."""
    app.add_typer(augment_app, name="augment")
