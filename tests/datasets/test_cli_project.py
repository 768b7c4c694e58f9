"""`voxcart init`, `stats` and `split` through the CLI runner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from voxcart.labeler.cli.root import build_app

runner = CliRunner()


def test_init_stats_split(tmp_path: Path) -> None:
    app = build_app()
    result = runner.invoke(app, ["init", str(tmp_path / "p"), "--name", "shop"])
    assert result.exit_code == 0, result.output
    assert "ready" in result.output
    result = runner.invoke(app, ["stats", "-p", str(tmp_path / "p"), "--json"])
    assert result.exit_code == 0, result.output
    assert '"clips": 0' in result.output
    result = runner.invoke(app, ["split", "-p", str(tmp_path / "p"), "--ratios", "0.5,0.5"])
    assert result.exit_code != 0
    assert "three numbers" in str(result.exception)


def test_help_lists_every_verb() -> None:
    result = runner.invoke(build_app(), ["--help"])
    assert result.exit_code == 0
    for verb in ("init", "stats", "split"):
        assert verb in result.output


def test_failures_are_one_line_with_nonzero_exit(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "voxcart.labeler.cli", "stats", "-p", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("voxcart: error:") and "voxcart init" in result.stderr
