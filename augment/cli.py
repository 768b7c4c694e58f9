"""`voxcart augment`: store augmented copies of training clips; `presets` and `transforms` list
what a pipeline may use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voxcart.augment.errors import AugmentError
from voxcart.datasets.cli.options import DbOption, ProjectOption
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
        str, typer.Option(help="Split to augment (only train is augmented in place).")
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
    from voxcart.augment.bank_cache import project_banks
    from voxcart.augment.materialize import materialize
    from voxcart.datasets.store.project import open_project

    project = open_project(project_dir, db)
    try:
        banks = project_banks(project.root, noise_bank, rir_bank)
        with progress_bar(f"augmenting ({preset})") as advance:
            report = materialize(
                project,
                preset,
                copies=copies,
                split=split,
                seed=seed,
                as_test_set=as_test_set,
                progress=advance,
                banks=banks,
            )
    finally:
        project.close()
    typer.echo(report.summary())
    if report.failed and not report.created and not report.existing:
        raise typer.Exit(1)


@augment_app.command("presets")
def presets() -> None:
    """List the shipped presets."""
    from voxcart.augment.presets import list_presets

    for info in list_presets():
        typer.echo(f"{info.name:<12} {info.description}")


@augment_app.command("transforms")
def transforms() -> None:
    """List the transform names a pipeline file may use."""
    from voxcart.augment.pipeline import CONTAINERS, transform_registry
    from voxcart.augment.transforms import VOXCART_TRANSFORMS

    for name in sorted(transform_registry()):
        origin = "voxcart" if name in VOXCART_TRANSFORMS else "audiomentations"
        typer.echo(f"{name:<24} {origin}")
    for name in CONTAINERS:
        typer.echo(f"{name:<24} audiomentations (nests a transforms list)")


def register(app: typer.Typer) -> None:
    """Add `voxcart augment` to the root app."""
    app.add_typer(augment_app, name="augment")
