"""Entry point of each torchrun process: ``torchrun --nproc-per-node N -m voxcart.model.train.entry
--base small --out NAME -p PROJECT ...`` takes the options of ``voxcart train``."""

from __future__ import annotations

import sys

import typer

from voxcart.datasets.errors import VoxcartError
from voxcart.model.cli.train_cmd import train_cmd


def main() -> None:
    """Run `voxcart train` in this process (one rank of a torchrun job)."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(train_cmd)
    try:
        app(standalone_mode=True)
    except VoxcartError as exc:
        typer.echo(f"voxcart: error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
