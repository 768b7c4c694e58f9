"""`voxcart model add`, `list` and `calibrate`: register checkpoints as model versions and fit
their confidence calibration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from voxcart.datasets.cli.options import DbOption, JsonOption, ProjectOption
from voxcart.datasets.cli.output import echo_json, echo_table
from voxcart.datasets.cli.progress import progress_bar
from voxcart.datasets.store.project import open_project
from voxcart.model.backends.ctc_decode import DEFAULT_BEAM_WIDTH, METHODS
from voxcart.model.backends.ctc_models import BACKEND, register_ctc_model
from voxcart.model.errors import ModelError
from voxcart.model.suggest import DEFAULT_BATCH_SIZE
from voxcart.model.versions import (
    CATALOG_MODEL,
    ModelVersionInfo,
    list_model_versions,
    model_version_info,
)

WHISPER = "whisper"

model_app = typer.Typer(help="Registered model versions.", no_args_is_help=True)


def add_cmd(
    name: Annotated[str, typer.Argument(help="The new model version's name.")],
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    backend: Annotated[
        str,
        typer.Option(help="Backend: ctc or whisper (sphinx models: `voxcart lm build`)."),
    ] = BACKEND,
    path: Annotated[
        Path | None,
        typer.Option(help="Checkpoint folder (save_pretrained output with its processor)."),
    ] = None,
    hub_id: Annotated[
        str | None, typer.Option(help="Hugging Face hub id instead of --path (needs network).")
    ] = None,
    decoder: Annotated[str, typer.Option(help=f"Decoding: {' or '.join(METHODS)}.")] = "beam",
    beam_width: Annotated[
        int, typer.Option(help="Beams kept per frame.", min=1)
    ] = DEFAULT_BEAM_WIDTH,
    hotwords: Annotated[
        bool, typer.Option(help="Boost the catalog's brands, product types and models.")
    ] = True,
    catalog_id: Annotated[int | None, typer.Option(help="Hotwords from this catalog only.")] = None,
    quantize: Annotated[bool, typer.Option(help="int8 dynamic quantization (CPU).")] = False,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda, cuda:N or mps.")] = "auto",
    max_seconds: Annotated[float, typer.Option(help="Longest clip accepted.", min=0.2)] = 30.0,
) -> None:
    """Register a CTC or Whisper checkpoint so that `voxcart suggest --model NAME` can use it."""
    if backend == WHISPER:
        _add_whisper(name, project_dir, db, path, hub_id, device, max_seconds)
        return
    if backend != BACKEND:
        raise ModelError(
            f"--backend {backend!r} cannot be added here; use --backend ctc or whisper (sphinx "
            "models are made by `voxcart lm build`)"
        )
    if decoder not in METHODS:
        raise typer.BadParameter(f"use one of {', '.join(METHODS)}", param_hint="--decoder")
    config: dict[str, Any] = {
        "decoder": decoder,
        "beam_width": beam_width,
        "quantize": quantize,
        "device": device,
        "max_seconds": max_seconds,
    }
    project = open_project(project_dir, db)
    try:
        model_id = register_ctc_model(
            project,
            name,
            path,
            hub_id=hub_id,
            hotwords=hotwords,
            catalog_id=catalog_id,
            config=config,
        )
        info = model_version_info(project, model_id)
    finally:
        project.close()
    typer.echo(
        f"registered {name} (id {model_id}, ctc, {info.path or hub_id}); "
        f"{info.hotwords} hotword(s); "
        f"use it with `voxcart suggest --model {name}`"
    )


def _add_whisper(
    name: str,
    project_dir: Path,
    db: str | None,
    path: Path | None,
    hub_id: str | None,
    device: str,
    max_seconds: float,
) -> None:
    """`model add --backend whisper`: the ctc decoding options do not apply."""
    from voxcart.model.backends.whisper import register_whisper_model

    project = open_project(project_dir, db)
    try:
        config = {"device": device, "max_seconds": max_seconds}
        model_id = register_whisper_model(project, name, path, hub_id=hub_id, config=config)
    finally:
        project.close()
    typer.echo(
        f"registered {name} (id {model_id}, whisper, {path or hub_id}); "
        f"use it with `voxcart suggest --model {name}`"
    )


def list_cmd(
    project_dir: ProjectOption = Path("."), db: DbOption = None, as_json: JsonOption = False
) -> None:
    """List the registered model versions (a table with a header; --json for scripts).

    The status column says which version each base name loads (`live`: the newest promoted
    `<base>-v<N>`) and which trained versions the dev check refused (`not promoted`); the
    confidence column whether each one's word confidences are calibrated (`voxcart model
    calibrate`).
    """
    project = open_project(project_dir, db)
    try:
        versions = list_model_versions(project)
    finally:
        project.close()
    if as_json:
        echo_json(versions)
        return
    if not versions:
        typer.echo("no model registered yet; build one with `voxcart lm build`")
        return
    echo_table(
        ("name", "backend", "path", "parent", "created", "status", "confidence"),
        (
            (
                v.name,
                v.backend,
                v.path or v.hub_id,
                v.parent,
                v.created_at.strftime("%Y-%m-%d %H:%M"),
                _status(v),
                "uncalibrated"
                if v.calibrated_words is None
                else f"calibrated ({v.calibrated_words} dev words)",
            )
            for v in versions
        ),
    )


CALIBRATE_HELP = (
    "Fit a model's word-confidence calibration on the dev split and store it with the model.\n\n"
    "Each word of the model's dev suggestions is aligned with the clip's reference and labelled "
    "right or wrong; an isotonic (monotone) map from raw confidence to the share of right words "
    "is fitted and stored in the model version's metadata, so that a calibrated confidence is "
    "the probability that the word is right. The app's colours and retype mode, and `voxcart "
    "eval`, then read calibrated confidences; the stored raw confidences never change, so "
    "refitting after more labels decodes nothing new. With fewer than --min-words labelled "
    "words nothing is fitted. Measure it on unseen clips with `voxcart eval --split test`."
)


def calibrate_cmd(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    model: Annotated[
        str,
        typer.Option(
            help="Model version to calibrate, or a base name for its newest promoted version."
        ),
    ] = CATALOG_MODEL,
    reference: Annotated[
        str,
        typer.Option(
            help="Which dev references label the words: any (a gold reference where a "
            "clip has one, else its accepted or corrected transcript), human or gold "
            "(hidden: an alias of gold)."
        ),
    ] = "any",
    min_words: Annotated[
        int,
        typer.Option(
            help="Fewest labelled dev words to fit on; with fewer the model keeps what it "
            "had (uncalibrated, or its earlier calibration).",
            min=1,
        ),
    ] = 200,
    decode: Annotated[
        bool,
        typer.Option(
            help="Transcribe labelled dev clips the model has no suggestion for first "
            "(--no-decode: only the stored suggestions)."
        ),
    ] = True,
    batch_size: Annotated[
        int, typer.Option(help="Clips transcribed together.", min=1, max=1000)
    ] = DEFAULT_BATCH_SIZE,
) -> None:
    """Fit a model's word-confidence calibration on the dev split and store it with the model."""
    from voxcart.model.calibrate.fit import fit_calibration

    project = open_project(project_dir, db)
    try:
        with progress_bar("transcribing dev") as advance:
            fit = fit_calibration(
                project,
                model,
                reference=reference,
                min_words=min_words,
                decode=decode,
                batch_size=batch_size,
                progress=advance,
            )
    finally:
        project.close()
    if fit.decoded:
        typer.echo(f"transcribed {fit.decoded} dev clip(s) the model had not suggested yet")
    typer.echo(fit.message)


def _status(version: ModelVersionInfo) -> str:
    """`live` (its base name loads it), `not promoted` (refused by the dev check), else `-`."""
    if version.live:
        return "live"
    return "-" if version.promoted else "not promoted"


def register(app: typer.Typer) -> None:
    """Add `voxcart model add`, `list` and `calibrate` to the app."""
    model_app.command("add")(add_cmd)
    model_app.command("list")(list_cmd)
    model_app.command("calibrate", help=CALIBRATE_HELP)(calibrate_cmd)
    app.add_typer(model_app, name="model")
