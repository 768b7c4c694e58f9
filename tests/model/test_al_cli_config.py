"""`al train` / `al run` read fine-tuning settings with `--config`, as `voxcart train` does;
`--train-config` is a hidden, deprecated spelling of the same option."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from voxcart.labeler.cli.root import build_app
from voxcart.model.errors import ModelError
from voxcart.model.train.config import TrainingError


@pytest.fixture()
def bad_toml(tmp_path: Path) -> Path:
    path = tmp_path / "train.toml"
    path.write_text("epochs = 'many'\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["train", "run"])
@pytest.mark.parametrize("spelling", ["--config", "--train-config"])
def test_both_spellings_read_the_settings_file(
    command: str, spelling: str, bad_toml: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    args = ["al", command, "-p", str(tmp_path), spelling, str(bad_toml)]
    result = runner.invoke(build_app(), args)
    assert isinstance(result.exception, TrainingError), result.output
    assert "epochs='many'" in str(result.exception)
    deprecated = "--train-config is deprecated; use --config" in result.output
    assert deprecated == (spelling == "--train-config")


def test_the_two_spellings_must_agree(bad_toml: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    args = ["al", "train", "-p", str(tmp_path), "--config", str(bad_toml)]
    result = CliRunner().invoke(build_app(), [*args, "--train-config", str(other)])
    assert isinstance(result.exception, ModelError)
    assert "disagree" in str(result.exception) and "--config only" in str(result.exception)


def test_help_shows_only_the_new_spelling() -> None:
    for command in ("train", "run"):
        result = CliRunner().invoke(build_app(), ["al", command, "--help"], terminal_width=200)
        assert result.exit_code == 0
        assert "--config" in result.output and "--train-config" not in result.output
