"""`voxcart augment` through Typer's runner."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from voxcart.augment.cli import register
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def version() -> None:  # a second command keeps `augment` a sub-command
        """Unused."""

    register(app)
    return app


def test_presets_and_transforms_are_listed() -> None:
    runner = CliRunner()
    result = runner.invoke(_app(), ["augment", "presets"])
    assert result.exit_code == 0
    for name in ("store-noise", "far-field", "phone", "car", "mild"):
        assert name in result.output
    listed = runner.invoke(_app(), ["augment", "transforms"])
    assert "BankNoise" in listed.output and "AddGaussianNoise" in listed.output


def test_augment_a_project_with_user_banks(
    populated: Project, user_bank_dirs: tuple[Path, Path]
) -> None:
    noise, rir = user_bank_dirs
    args = [
        "augment",
        "--preset",
        "far-field",
        "--copies",
        "1",
        "--seed",
        "3",
        "--noise-bank",
        str(noise),
        "--rir-bank",
        str(rir),
        "-p",
        str(populated.root),
    ]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    assert "3 variant(s) created" in result.output
    with populated.session() as session:
        assert session.scalar(select(func.count()).where(Clip.origin == "augment")) == 3


def test_refusals_exit_non_zero(populated: Project) -> None:
    runner = CliRunner()
    refused = runner.invoke(
        _app(), ["augment", "--preset", "mild", "--split", "dev", "-p", str(populated.root)]
    )
    assert refused.exit_code != 0
    assert "--as-test-set" in str(refused.exception)
    typo = runner.invoke(_app(), ["augment", "--preset", "farfield", "-p", str(populated.root)])
    assert typo.exit_code != 0 and "did you mean 'far-field'" in str(typo.exception)
