"""`voxcart eval`: score a model version on a split and write its JSON/Markdown/PNG report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voxcart.datasets.cli.options import DbOption, ProjectOption, comma_list
from voxcart.datasets.cli.output import warn
from voxcart.datasets.cli.progress import progress_bar
from voxcart.datasets.store.clip_meta import META_PREFIX
from voxcart.datasets.store.project import open_project
from voxcart.model.eval.evaluate import SPLITS, EvalReport
from voxcart.model.eval.references import REFERENCES
from voxcart.model.eval.report import (
    confidence_note,
    confidence_rows,
    delta,
    metric_rows,
    percent,
)
from voxcart.model.eval.run import EvalOptions, run_evaluation
from voxcart.model.eval.slices import DEFAULT_SLICES, NO_META, SLICE_DIMENSIONS
from voxcart.model.suggest import DEFAULT_BATCH_SIZE


def summary_lines(report: EvalReport) -> list[str]:
    """The summary table the command prints (plain text, fixed-width columns)."""
    lines = [
        f"{report.model} on {report.split}: {report.overall.clips} clip(s) evaluated of "
        f"{report.selected} ({report.unreferenced} without a reference, "
        f"{len(report.skipped)} without a transcript)",
        f"references: {report.reference_label}",
    ]
    if report.baseline is None:
        lines.append(f"  {'metric':<26}{'value':>10}")
        lines += [f"  {name:<26}{percent(v):>10}" for name, v in metric_rows(report.overall)]
        return lines + _confidence_lines(report)
    before_name = str(report.compare_to)[:18]
    lines.append(f"  {'metric':<26}{before_name:>20}{report.model[:18]:>20}{'delta':>12}")
    for (name, after), (_, before) in zip(
        metric_rows(report.overall), metric_rows(report.baseline), strict=True
    ):
        lines.append(
            f"  {name:<26}{percent(before):>20}{percent(after):>20}{delta(after, before):>12}"
        )
    return lines + _confidence_lines(report)


def _confidence_lines(report: EvalReport) -> list[str]:
    quality = report.confidence
    if quality is None:
        return [f"word confidence of {report.model}: no suggested words to measure"]
    lines = [f"word confidence of {report.model}:"]
    lines.append(f"  {'figure':<38}{'raw':>10}{'calibrated':>14}")
    lines += [f"  {name:<38}{raw:>10}{cal:>14}" for name, raw, cal in confidence_rows(quality)]
    lines.append(f"  ({confidence_note(quality)})")
    return lines


EVAL_HELP = (
    "Evaluate a model on a split: WER, CER, entity errors, search success, by slice.\n\n"
    "Also measures the model's word confidences: expected calibration error (ECE, 10 "
    "equal-width bins) and AUROC of confidence for wrong words, raw and after the model's "
    "calibration (`voxcart model calibrate`, fitted on dev: use --split test for unseen clips)."
)


def eval_cmd(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    model: Annotated[
        str,
        typer.Option(
            help="Model version to evaluate, or a base name for its newest version "
            "(sphinx-catalog, sphinx-generic)."
        ),
    ] = "sphinx-catalog",
    split: Annotated[
        str,
        typer.Option(
            help=f"Which clips, comma-separated for several reports: {', '.join(SPLITS)}."
        ),
    ] = "test",
    reference: Annotated[
        str,
        typer.Option(
            help="human: current accepted/corrected transcripts; gold: gold references "
            "(imported with `voxcart import --as-reference`, or a demo's synthesized ground "
            "truth; never labels); hidden: an older name of gold."
        ),
    ] = "human",
    compare_to: Annotated[
        str | None,
        typer.Option(help="Another model version scored on the same clips (before/after)."),
    ] = None,
    slices: Annotated[
        list[str] | None,
        typer.Option(
            "--slice",
            help="Slice dimensions (repeatable or comma-separated; "
            f"{', '.join(SLICE_DIMENSIONS)}, or meta.NAME for a metadata column kept at "
            f"import, e.g. meta.condition); default: {', '.join(DEFAULT_SLICES)}.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Report folder (default: <project>/reports/eval-<model>-...); with several "
            "splits, one subfolder per split.",
        ),
    ] = None,
    batch_size: Annotated[
        int, typer.Option(help="Clips transcribed together when a model has no stored ones.")
    ] = DEFAULT_BATCH_SIZE,
) -> None:
    """Evaluate a model on a split: WER, CER, entity errors, search success, by slice."""
    if reference not in REFERENCES:
        raise typer.BadParameter(f"use one of {', '.join(REFERENCES)}", param_hint="--reference")
    options = EvalOptions(
        model=model,
        splits=comma_list(split),
        reference=reference,
        slices=tuple(d for item in slices for d in comma_list(item)) if slices else DEFAULT_SLICES,
        compare_to=compare_to,
        batch_size=batch_size,
        out=out,
    )
    project = open_project(project_dir, db)
    try:
        with progress_bar("transcribing") as advance:
            runs = run_evaluation(project, options, progress=advance)
    finally:
        project.close()
    for run in runs:
        for line in summary_lines(run.report):
            typer.echo(line)
        for skipped in run.report.skipped[:10]:
            warn(f"left out clip {skipped.clip_id} ({skipped.uid}): {skipped.reason}")
        for dimension in run.report.dimensions:
            values = {s.value for s in run.report.slices_of(dimension)}
            if dimension.startswith(META_PREFIX) and values == {NO_META}:
                warn(
                    f"no evaluated clip has metadata {dimension[len(META_PREFIX) :]!r}; check "
                    "the name (`voxcart import` lists the columns it kept)"
                )
        typer.echo(f"report: {run.paths.markdown}")
        typer.echo(f"json:   {run.paths.json}")
        typer.echo(f"plot:   {run.paths.plot}")


def register(app: typer.Typer) -> None:
    """Add `voxcart eval` to the app."""
    app.command("eval", help=EVAL_HELP)(eval_cmd)
