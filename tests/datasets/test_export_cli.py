"""`voxcart export` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.datasets.export_helpers import labelled_project
from voxcart.datasets.errors import ExportError
from voxcart.datasets.store.project import Project
from voxcart.labeler.cli.root import build_app

runner = CliRunner()


def test_export_command_writes_and_summarizes(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
    out = tmp_path / "out"
    result = runner.invoke(
        build_app(),
        [
            "export",
            "--format",
            "nemo",
            "--out",
            str(out),
            "-p",
            str(project.root),
            "--text",
            "verbatim",
            "--split",
            "train,dev",
            "--provenance",
            "--name",
            "first",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "exported 3 clip(s)" in result.output
    assert "train        2 clips" in result.output and "content hash:" in result.output
    manifest = out / "first" / "dev_manifest.jsonl"
    record = json.loads(manifest.read_text().splitlines()[0])
    assert record["text"].startswith("=HYPERLINK") and "annotator" in record
    assert not (out / "first" / "test_manifest.jsonl").exists()


def test_default_out_and_status_option(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
    result = runner.invoke(
        build_app(),
        ["export", "-f", "csv", "-p", str(project.root), "--status", "skipped", "--split", "train"],
    )
    assert result.exit_code == 0, result.output
    assert (project.root / "exports" / "v1-csv" / "train.csv").is_file()
    assert "exported 1 clip(s)" in result.output


def test_errors_exit_non_zero(project: Project, tmp_path: Path) -> None:
    result = runner.invoke(build_app(), ["export", "-f", "nemo", "-p", str(project.root)])
    assert result.exit_code != 0
    assert isinstance(result.exception, ExportError)
    assert "no clips to export" in str(result.exception)
    bad = runner.invoke(
        build_app(), ["export", "-f", "nemo", "-p", str(project.root), "--text", "spoken"]
    )
    assert bad.exit_code == 2 and "--text" in bad.output


def test_reviewed_only_exports_what_a_reviewer_approved_and_the_datasheet_counts_it(
    project: Project, tmp_path: Path
) -> None:
    from voxcart.datasets.store.revisions import add_revision
    from voxcart.datasets.store.schema import RevisionStatus

    with project.session() as session:
        clips = labelled_project(session, tmp_path / "audio")
        add_revision(
            session,
            clips["c1"].id,
            "Sony headphones",
            RevisionStatus.REVIEWED,
            source="review:approve",
        )
    everything = runner.invoke(build_app(), ["export", "-f", "csv", "-p", str(project.root)])
    assert everything.exit_code == 0, everything.output
    assert "exported 4 clip(s)" in everything.output and "1 reviewed" in everything.output
    sheet = json.loads((project.root / "exports" / "v1-csv" / "datasheet.json").read_text())
    assert (sheet["reviewed"], sheet["splits"]["train"]["reviewed"]) == (1, 1)
    markdown = (project.root / "exports" / "v1-csv" / "datasheet.md").read_text()
    assert "reviewed (approved or edited by a reviewer): 1 of 4" in markdown

    reviewed = runner.invoke(
        build_app(), ["export", "-f", "csv", "-p", str(project.root), "--reviewed-only"]
    )
    assert reviewed.exit_code == 0, reviewed.output
    assert "exported 1 clip(s)" in reviewed.output
    rows = (project.root / "exports" / "v2-csv" / "train.csv").read_text().splitlines()
    assert len(rows) == 2 and "c1" in rows[1]

    both = runner.invoke(
        build_app(),
        ["export", "-f", "csv", "-p", str(project.root), "--reviewed-only", "--status", "accepted"],
    )
    shown = " ".join(both.output.replace("│", " ").split())
    assert both.exit_code != 0 and "give --reviewed-only or --status, not both" in shown
