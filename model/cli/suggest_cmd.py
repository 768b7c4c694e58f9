"""`voxcart suggest` and `voxcart lm build`: fill the suggestion pool, build the catalog LM."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voxcart.datasets.cli.options import DbOption, ProjectOption
from voxcart.datasets.cli.output import warn
from voxcart.datasets.cli.progress import progress_bar
from voxcart.datasets.store.clip_filter import FIELDS, parse_where
from voxcart.datasets.store.project import open_project
from voxcart.model.lm.build import LmBuildConfig, build_catalog_lm
from voxcart.model.lm.corpus import CorpusConfig
from voxcart.model.suggest import DEFAULT_BATCH_SIZE, MAX_WORKERS, suggest
from voxcart.model.versions import CATALOG_MODEL

lm_app = typer.Typer(help="Language models for the sphinx backend.", no_args_is_help=True)


def suggest_cmd(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    model: Annotated[
        str,
        typer.Option(
            help="Model version, or a base name for its newest version (sphinx-catalog, "
            "sphinx-generic)."
        ),
    ] = CATALOG_MODEL,
    where: Annotated[
        list[str] | None,
        typer.Option(
            help=f"Only clips matching FIELD=VALUE (repeatable; fields: {', '.join(FIELDS)}), "
            "e.g. status=unlabeled, split=train, meta.condition=far (a metadata column "
            "kept at import; meta.NAME=none: clips without it)."
        ),
    ] = None,
    batch_size: Annotated[
        int, typer.Option(help="Clips decoded and committed together.", min=1, max=1000)
    ] = DEFAULT_BATCH_SIZE,
    limit: Annotated[
        int | None, typer.Option(help="Stop after this many clips (resume later).", min=0)
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            help="Processes decoding in parallel, each loading the model once (sphinx: one per "
            "CPU core).",
            min=1,
            max=MAX_WORKERS,
        ),
    ] = 1,
) -> None:
    """Suggest transcripts for clips; clips the model already covered are skipped (resumable)."""
    flt = parse_where(where or [])
    project = open_project(project_dir, db)
    try:
        with progress_bar("suggesting") as advance:
            report = suggest(
                project,
                model,
                flt,
                batch_size=batch_size,
                limit=limit,
                progress=advance,
                workers=workers,
            )
    finally:
        project.close()
    rtf = report.real_time_factor
    typer.echo(
        f"{report.model_name}: {report.suggested} suggestion(s) written, "
        f"{report.skipped_existing} clip(s) already had one, {report.failed} failed"
        + (f"; real-time factor {rtf:.2f}" if rtf is not None else "")
    )
    for failure in report.failures[:10]:
        warn(f"clip {failure.clip_id} ({failure.uid}) failed: {failure.reason}")
    if report.error_log is not None:
        warn(f"all failures: {report.error_log}")
    if report.failed and not report.suggested and not report.skipped_existing:
        raise typer.Exit(1)


LM_BUILD_HELP = (
    "Build the catalog LM + dictionary and register it as sphinx-catalog-v<N>.\n\n"
    "Then, unless --no-calibrate, fit the model's word-confidence calibration on dev when dev "
    "has at least 200 labelled words (the last line says what was fitted, or why not)."
)


def lm_build_cmd(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    catalog_id: Annotated[
        int | None, typer.Option(help="Only this catalog's products (default: all catalogs).")
    ] = None,
    queries_per_product: Annotated[
        int, typer.Option(help="Template queries drawn per product.", min=0)
    ] = CorpusConfig.queries_per_product,
    transcript_weight: Annotated[
        int, typer.Option(help="Repeat each accepted human transcript this many times.", min=0)
    ] = CorpusConfig.transcript_weight,
    seed: Annotated[int, typer.Option(help="Template sampling seed.")] = 0,
    background_words: Annotated[
        int,
        typer.Option(
            help="General English words mixed in from the bundled generic LM (0: only number, "
            "unit and shopping words).",
            min=0,
        ),
    ] = LmBuildConfig.background_words,
    calibrate: Annotated[
        bool,
        typer.Option(
            help="Then fit the model's word-confidence calibration on dev when dev has "
            "enough labelled words (transcribes those dev clips; see `voxcart model "
            "calibrate`)."
        ),
    ] = True,
) -> None:
    """Build the catalog LM + dictionary and register it as sphinx-catalog-v<N>.

    Reports the mixture weights (tuned on dev-split transcripts when there are any) and the
    mixed model's perplexity and coverage on them.
    """
    config = LmBuildConfig(
        corpus=CorpusConfig(
            catalog_id=catalog_id,
            queries_per_product=queries_per_product,
            transcript_weight=transcript_weight,
            seed=seed,
        ),
        background_words=background_words,
    )
    project = open_project(project_dir, db)
    try:
        report = build_catalog_lm(project, config)
        calibration = None
        if calibrate:
            from voxcart.model.calibrate.fit import calibrate_after_round

            with progress_bar("transcribing dev for calibration") as advance:
                calibration = calibrate_after_round(project, report.model_name, advance)
    finally:
        project.close()
    state = "registered" if report.created else "unchanged; still"
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.counts.items())
    typer.echo(f"{state} {report.model_name} at {report.path}")
    typer.echo(
        f"corpus: {counts}; {report.sentences} sentences, {report.vocabulary} words, "
        f"{len(report.g2p_words)} pronounced by espeak-ng"
    )
    typer.echo(report.summary())
    if report.dropped_words:
        warn(f"no pronunciation (left out): {', '.join(report.dropped_words[:20])}")
    if calibration is not None:
        typer.echo(calibration)


def register(app: typer.Typer) -> None:
    """Add `voxcart suggest` and `voxcart lm build` to the app."""
    app.command("suggest")(suggest_cmd)
    lm_app.command("build", help=LM_BUILD_HELP)(lm_build_cmd)
    app.add_typer(lm_app, name="lm")
