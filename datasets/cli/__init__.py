"""The `voxcart` command line: one Typer app; each verb lives in its own module and registers here.

Commands parse and validate their options, call one library function, and render its result.
A failure prints a one-line reason to stderr and exits non-zero.
"""

from __future__ import annotations

import importlib
import sys

import typer

from voxcart.datasets.errors import VoxcartError

app = typer.Typer(
    name="voxcart",
    help="Curate speech-recognition training data for e-commerce voice search.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Modules that add commands to `app` (each defines `register(app)`); imported lazily by main()
# so that `voxcart --help` stays fast and one package's missing optional dependency never breaks
# another's commands.
COMMAND_MODULES: tuple[str, ...] = (
    "voxcart.datasets.cli.project_cmds",
    "voxcart.datasets.cli.import_cmd",
    "voxcart.datasets.cli.catalog_cmd",
    "voxcart.datasets.cli.export_cmd",
    "voxcart.datasets.cli.demo_cmd",
    "voxcart.datasets.cli.segment_cmd",
    "voxcart.augment.cli",
    "voxcart.model.cli",
    "voxcart.model.eval_cli",
    "voxcart.model.train_cli",
    "voxcart.model.model_cli",
    "voxcart.model.al_cli",
    "voxcart.labeler.cli",
    "voxcart.labeler.app_cli",
    "voxcart.labeler.queue_cli",
)


def build_app() -> typer.Typer:
    """Register every available command module on the app and return it."""
    if not getattr(app, "_voxcart_registered", False):
        for name in COMMAND_MODULES:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            module.register(app)
        app._voxcart_registered = True  # type: ignore[attr-defined]
    return app


def main() -> None:
    """Entry point of the `voxcart` console script."""
    try:
        build_app()(standalone_mode=True)
    except VoxcartError as exc:
        typer.echo(f"voxcart: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("voxcart: interrupted; finished work is saved, re-run to resume", err=True)
        sys.exit(130)
