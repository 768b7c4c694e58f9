"""`voxcart export`: write a versioned training dataset (NeMo, HF, Kaldi, Lhotse, CSV, Parquet)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voxcart.datasets.cli.options import DbOption, ProjectOption
from voxcart.datasets.cli.progress import progress_bar
from voxcart.datasets.export.exporter import FORMATS, ExportOptions, ExportResult, export_dataset
from voxcart.datasets.export.rows import (
    DEFAULT_STATUSES,
    REVIEWED_STATUSES,
    TEXT_MODES,
    TextMode,
)
from voxcart.datasets.store.project import open_project


def _csv_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [part.strip() for part in value.split(",") if part.strip()]
    return items or None


def summary(result: ExportResult) -> str:
    """The lines printed after an export."""
    lines = [
        f"exported {result.total_rows} clip(s), {result.hours:.3f} h as {result.format}; "
        f"{result.reviewed} reviewed"
    ]
    for split, rows in result.rows.items():
        lines.append(f"  {split:<5} {rows:>8} clips")
    lines += [
        f"version:      {result.name} (id {result.dataset_version_id})",
        f"content hash: {result.content_hash}",
        f"path:         {result.path}",
        f"datasheet:    {result.datasheet_path.with_suffix('.md')}",
    ]
    if result.skipped:
        lines.append(f"skipped {len(result.skipped)} clip(s) whose audio could not be cut:")
        lines += [f"  - {reason}" for reason in result.skipped[:10]]
        if len(result.skipped) > 10:
            lines.append(f"  ... {len(result.skipped) - 10} more (see datasheet.json)")
    return "\n".join(lines)


def export(
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=f"Output format: {', '.join(FORMATS)}.")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Parent folder of the export (default: PROJECT/exports)."),
    ] = None,
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    text: Annotated[
        str, typer.Option(help="Transcript form: normalized (spoken) or verbatim.")
    ] = "normalized",
    status: Annotated[
        str, typer.Option(help="Statuses of the newest revision to export, comma-separated.")
    ] = ",".join(DEFAULT_STATUSES),
    reviewed_only: Annotated[
        bool,
        typer.Option(
            "--reviewed-only",
            help="Only clips a reviewer approved or edited (status reviewed); same as "
            "--status reviewed.",
        ),
    ] = False,
    include_pseudo: Annotated[
        bool, typer.Option("--include-pseudo", help="Also export model pseudo-labels.")
    ] = False,
    copy_audio: Annotated[
        bool,
        typer.Option("--copy-audio", help="Cut every clip into a 16 kHz mono WAV in the export."),
    ] = False,
    provenance: Annotated[
        bool,
        typer.Option(
            "--provenance", help="Add annotator, revision source, suggestion, model and WER."
        ),
    ] = False,
    split: Annotated[
        str | None, typer.Option(help="Only these splits, comma-separated (e.g. train,dev).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Version name and folder name (default v<N>-<format>).")
    ] = None,
) -> None:
    """Export labelled clips as a versioned dataset with a datasheet; the folder is written
    atomically and never overwritten.

    Clip metadata goes along as extra keys (nemo, hf), lhotse supervision custom fields or table
    columns (csv, parquet); kaldi has no place for it (the datasheet says so).
    """
    if text not in TEXT_MODES:
        raise typer.BadParameter(
            f"{text!r}; use one of {', '.join(TEXT_MODES)}", param_hint="--text"
        )
    statuses = _csv_list(status)
    if reviewed_only:
        if statuses != list(DEFAULT_STATUSES):
            raise typer.BadParameter(
                "give --reviewed-only or --status, not both", param_hint="--reviewed-only"
            )
        statuses = list(REVIEWED_STATUSES)
    if not statuses:
        raise typer.BadParameter("name at least one status", param_hint="--status")
    text_mode: TextMode = "verbatim" if text == "verbatim" else "normalized"
    project = open_project(project_dir, db)
    try:
        with progress_bar(f"exporting {fmt}") as advance:
            result = export_dataset(
                project,
                out if out is not None else project.exports_dir,
                fmt,
                ExportOptions(
                    text=text_mode,
                    statuses=statuses,
                    include_pseudo=include_pseudo,
                    copy_audio=copy_audio,
                    provenance=provenance,
                    splits=_csv_list(split),
                    name=name,
                ),
                progress=advance,
            )
    finally:
        project.close()
    typer.echo(summary(result))


def register(app: typer.Typer) -> None:
    """Add `voxcart export` to the root app."""
    app.command()(export)
