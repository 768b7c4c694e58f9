"""`voxcart import` through the CLI runner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import write_audio
from voxcart.datasets.errors import ManifestError
from voxcart.labeler.cli.root import build_app

runner = CliRunner()


def test_import_folder_and_manifest(tmp_path: Path) -> None:
    app = build_app()
    created = runner.invoke(app, ["init", str(tmp_path / "p")])
    assert created.exit_code == 0 and "project 'p' ready at" in created.output
    write_audio(tmp_path / "src" / "alice" / "a.wav", seconds=0.5, seed=1)
    write_audio(tmp_path / "src" / "bob" / "b.wav", seconds=0.5, seed=2)
    (tmp_path / "src" / "broken.wav").write_bytes(b"not audio")
    args = [
        "import",
        str(tmp_path / "src"),
        "-p",
        str(tmp_path / "p"),
        "--speaker-from",
        "parent",
        "--tag",
        "t1",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "imported 2 clip(s)" in result.output and "1 rejected" in result.output
    assert "broken.wav" in result.output and "reports/import-" in result.output
    again = runner.invoke(app, args)
    assert "imported 0 clip(s), 2 duplicate(s)" in again.output

    (tmp_path / "src" / "m.csv").write_text("path,text\nalice/a.wav,hello\n")
    result = runner.invoke(
        app,
        ["import", str(tmp_path / "src" / "m.csv"), "-p", str(tmp_path / "p"), "--no-transcripts"],
    )
    assert result.exit_code == 0 and "0 transcript(s)" in result.output


def test_unreadable_source_fails_with_a_reason(tmp_path: Path) -> None:
    app = build_app()
    runner.invoke(app, ["init", str(tmp_path / "p")])
    result = runner.invoke(app, ["import", str(tmp_path / "nothing"), "-p", str(tmp_path / "p")])
    assert result.exit_code != 0
    assert isinstance(result.exception, ManifestError)
    assert "no such file" in str(result.exception)
    result = runner.invoke(
        app, ["import", str(tmp_path), "-p", str(tmp_path / "p"), "--format", "xls"]
    )
    assert result.exit_code != 0 and "not supported" in str(result.exception)


def test_import_reports_kept_metadata_and_queue_fill_filters_on_it(tmp_path: Path) -> None:
    app = build_app()
    runner.invoke(app, ["init", str(tmp_path / "p")])
    for name in ("a", "b", "c"):
        write_audio(tmp_path / "src" / f"{name}.wav", seconds=0.5, seed=ord(name))
    (tmp_path / "src" / "m.csv").write_text(
        "path,condition,split\na.wav,far,train\nb.wav,near,dev\nc.wav,far,test\n"
    )
    result = runner.invoke(
        app, ["import", str(tmp_path / "src" / "m.csv"), "-p", str(tmp_path / "p")]
    )
    assert result.exit_code == 0, result.output
    assert "metadata kept per clip from 1 column(s) (clips): condition (3)" in result.output
    assert "'split' (3 row(s)): voxcart assigns splits itself" in result.output
    project = ["-p", str(tmp_path / "p")]
    fill = runner.invoke(app, ["queue", "fill", *project, "--where", "meta.condition=far"])
    assert fill.exit_code == 0, fill.output
    assert "queued 2 clip(s)" in fill.output
    bad = runner.invoke(app, ["queue", "fill", *project, "--where", "meta.a,b=x"])
    assert bad.exit_code != 0 and "may not contain" in str(bad.exception)
