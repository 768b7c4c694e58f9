"""`voxcart augment` through Typer's runner."""

from __future__ import annotations

import json
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
    header, *rows = result.output.splitlines()
    assert header == "preset\tdescription"
    assert [row.split("\t")[0] for row in rows] == [
        "car",
        "far-field",
        "mild",
        "phone",
        "store-noise",
    ]
    as_json = json.loads(runner.invoke(_app(), ["augment", "presets", "--json"]).output)
    assert [p["name"] for p in as_json] == ["car", "far-field", "mild", "phone", "store-noise"]
    assert all(p["description"] and Path(p["path"]).is_file() for p in as_json)
    listed = runner.invoke(_app(), ["augment", "transforms"])
    assert listed.output.splitlines()[0] == "transform\tfrom"
    assert "BankNoise\tvoxcart" in listed.output and "AddGaussianNoise" in listed.output
    assert "OneOf\taudiomentations (nests a transforms list)" in listed.output
    records = json.loads(runner.invoke(_app(), ["augment", "transforms", "--json"]).output)
    found = {t["name"]: t for t in records}
    assert found["BankNoise"] == {"name": "BankNoise", "origin": "voxcart", "container": False}
    assert found["SomeOf"]["container"] is True


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
    # A comma list is checked whole before anything is written: dev is never augmented.
    both = runner.invoke(
        _app(), ["augment", "--preset", "mild", "--split", "train,dev", "-p", str(populated.root)]
    )
    assert both.exit_code != 0 and "split 'dev' is never augmented" in str(both.exception)
    with populated.session() as session:
        assert session.scalar(select(func.count()).where(Clip.origin == "augment")) == 0
    typo = runner.invoke(_app(), ["augment", "--preset", "farfield", "-p", str(populated.root)])
    assert typo.exit_code != 0 and "did you mean 'far-field'" in str(typo.exception)
