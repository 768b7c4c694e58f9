"""`voxcart train`: fine-tune a CTC model, or adapt the sphinx acoustic model, on the project's
human-accepted transcripts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from voxcart.datasets.cli.options import DbOption, ProjectOption
from voxcart.datasets.cli.progress import progress_bar
from voxcart.datasets.store.project import open_project
from voxcart.model.train.config import TrainConfig, field_help, load_train_config
from voxcart.model.train.presets import PRESETS


def _opt(name: str, **kwargs: Any) -> Any:
    return typer.Option(help=field_help(name), **kwargs)


TRAIN_HELP = (
    "Fine-tune a CTC model, or adapt the sphinx acoustic model, on accepted human transcripts "
    "(train split); validate on dev.\n\n"
    "A sphinx round ends by fitting the new version's word-confidence calibration on dev when "
    "dev has at least 200 labelled words (see `voxcart model calibrate`)."
)


def train_cmd(
    base: Annotated[
        str | None,
        typer.Option(
            help=f"Starting point. ctc: a preset ({', '.join(PRESETS)}: from scratch), a Hugging "
            "Face CTC model folder, or a registered ctc model's name (required). sphinx: the "
            "version whose LM and dictionary the new one uses and must beat on dev (default: "
            "the newest promoted sphinx-catalog version)."
        ),
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(
            help="Name of the new model version (models/NAME/); required for ctc, sphinx "
            "default: the next <base>-vN."
        ),
    ] = None,
    backend: Annotated[
        str,
        typer.Option(
            help="ctc (fine-tune a CTC network; GPU advised) or sphinx (MAP/MLLR adaptation "
            "of the bundled acoustic model with the CMU Sphinx tools, on CPU)."
        ),
    ] = "ctc",
    method: Annotated[str, typer.Option(help="sphinx: map (default) or mllr.")] = "map",
    with_augmented: Annotated[
        bool,
        typer.Option(
            "--with-augmented",
            help="sphinx: also learn from the augmented copies of the labelled train clips.",
        ),
    ] = False,
    tau: Annotated[
        float, typer.Option(help="sphinx map: prior weight (higher stays closer to the base).")
    ] = 10.0,
    promote: Annotated[
        str,
        typer.Option(
            help="sphinx: auto (promote only if dev WER improves on the base), always or never."
        ),
    ] = "auto",
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    config: Annotated[
        Path | None, typer.Option(help="A train.toml of settings (options override it).")
    ] = None,
    epochs: Annotated[int | None, _opt("epochs", min=1)] = None,
    max_steps: Annotated[int | None, _opt("max_steps", min=1)] = None,
    batch_size: Annotated[int | None, _opt("batch_size", min=1)] = None,
    max_batch_seconds: Annotated[float | None, _opt("max_batch_seconds", min=0.1)] = None,
    lr: Annotated[float | None, _opt("lr", min=0.0)] = None,
    warmup_steps: Annotated[int | None, _opt("warmup_steps", min=0)] = None,
    grad_accum: Annotated[int | None, _opt("grad_accum", min=1)] = None,
    freeze_feature_encoder: Annotated[
        bool | None,
        typer.Option(
            "--freeze-feature-encoder/--no-freeze-feature-encoder",
            help=field_help("freeze_feature_encoder"),
        ),
    ] = None,
    freeze_layers: Annotated[int | None, _opt("freeze_layers", min=0)] = None,
    lora: Annotated[bool | None, typer.Option("--lora/--no-lora", help=field_help("lora"))] = None,
    augment: Annotated[str | None, _opt("augment")] = None,
    pseudo_labels: Annotated[
        float | None,
        typer.Option(
            "--pseudo-labels",
            metavar="THRESHOLD",
            min=0.0,
            max=1.0,
            help=field_help("pseudo_label_threshold"),
        ),
    ] = None,
    seed: Annotated[int | None, _opt("seed", min=0)] = None,
    precision: Annotated[str | None, _opt("precision")] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue the run named --out from its newest checkpoint.")
    ] = False,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    nproc: Annotated[
        int,
        typer.Option(
            help="Processes (one per GPU, or CPU workers with gloo): >1 runs under torchrun."
        ),
    ] = 1,
) -> None:
    """Fine-tune a CTC model, or adapt the sphinx acoustic model, on accepted human
    transcripts (train split); validate on dev."""
    if backend == "sphinx":
        _train_sphinx(project_dir, db, base, out, method, with_augmented, tau, promote)
        return
    if backend != "ctc":
        raise typer.BadParameter(
            f"{backend!r} is unknown; use ctc or sphinx", param_hint="--backend"
        )
    if base is None or out is None:
        raise typer.BadParameter("ctc training needs --base and --out", param_hint="--base/--out")
    if nproc > 1 and "WORLD_SIZE" not in os.environ:
        from voxcart.model.train.distributed import launch

        options = dict(locals())
        raise typer.Exit(launch(nproc, forwarded_args(options)))
    settings = load_train_config(config) if config is not None else TrainConfig()
    settings = settings.with_overrides(
        epochs=epochs,
        max_steps=max_steps,
        batch_size=batch_size,
        max_batch_seconds=max_batch_seconds,
        lr=lr,
        warmup_steps=warmup_steps,
        grad_accum=grad_accum,
        freeze_feature_encoder=freeze_feature_encoder,
        freeze_layers=freeze_layers,
        lora=lora,
        augment=augment,
        pseudo_label_threshold=pseudo_labels,
        seed=seed,
        precision=precision,
    )
    from voxcart.model.train.loop import train

    project = open_project(project_dir, db)
    try:
        with progress_bar(f"training {out}") as advance:
            result = train(
                project, base, out, settings, resume=resume, device=device, progress=advance
            )
    finally:
        project.close()
    if result.model_version_id is None:
        return  # not rank 0: the main process reports
    stats = result.stats
    wer = "n/a" if result.best_dev_wer is None else f"{result.best_dev_wer:.3f}"
    loss = "n/a" if result.train_loss is None else f"{result.train_loss:.3f}"
    typer.echo(
        f"{result.model_name}: {result.steps} step(s) on {stats.train_clips} clip(s) "
        f"({stats.train_hours:.2f} h, {stats.train_speakers} speaker(s), "
        f"{stats.pseudo_labels} pseudo-labelled); train loss {loss}; best dev WER {wer}"
        + (" (stopped early)" if result.stopped_early else "")
    )
    if result.dropped_chars:
        typer.echo(
            f"{result.dropped_chars} transcript character(s) are not in the model's vocabulary "
            "and were left out",
            err=True,
        )
    typer.echo(f"model: {result.path}\nmetrics: {result.metrics_log}")


def _train_sphinx(
    project_dir: Path,
    db: str | None,
    base: str | None,
    out: str | None,
    method: str,
    with_augmented: bool,
    tau: float,
    promote: str,
) -> None:
    from voxcart.model.adapt import AdaptConfig, adapt_sphinx, find_tools

    find_tools()  # before opening the project: the missing packages are the first thing to fix
    config = AdaptConfig(method=method, with_augmented=with_augmented, tau=tau, promote=promote)
    from voxcart.model.calibrate.fit import calibrate_after_round

    project = open_project(project_dir, db)
    try:
        result = adapt_sphinx(
            project, base, out, config, progress=lambda s: typer.echo(s, err=True)
        )
        calibration = calibrate_after_round(project, result.model_name)
    finally:
        project.close()
    done = "" if result.created else " (already trained: reused)"
    typer.echo(
        f"{result.model_name}{done}: {method} from {result.base} on {result.used} of "
        f"{result.utterances} utterance(s), {len(result.skipped)} skipped"
    )
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    if timings:
        typer.echo(f"time: {timings}")
    if result.promotion is not None:
        live = "live (promoted)" if result.promotion.promoted else "not promoted"
        typer.echo(f"{live}: {result.promotion.reason}")
    typer.echo(calibration)


def forwarded_args(options: dict[str, Any]) -> list[str]:
    """The command's option values as arguments for the torchrun entry point (without
    --nproc), so that every process parses exactly the same settings."""
    args: list[str] = []
    for name, value in options.items():
        if value is None or name in ("nproc", "launch", *_SPHINX_ONLY):
            continue
        flag = "--project" if name == "project_dir" else "--" + name.replace("_", "-")
        if isinstance(value, bool):
            if name in _FLAG_PAIRS:
                args.append(flag if value else f"--no-{flag[2:]}")
            elif value:
                args.append(flag)
            continue
        args += [flag, str(value)]
    return args


_FLAG_PAIRS = ("freeze_feature_encoder", "lora")
_SPHINX_ONLY = ("backend", "method", "with_augmented", "tau", "promote")


def register(app: typer.Typer) -> None:
    """Add `voxcart train` to the app."""
    app.command("train", help=TRAIN_HELP)(train_cmd)
