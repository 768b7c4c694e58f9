"""`voxcart al select|train|status`: active-learning rounds from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from voxcart.datasets.cli.options import DbOption, ProjectOption
from voxcart.datasets.store import open_project
from voxcart.model.al_rounds import RoundResult, RoundView, round_status, select_round, train_round
from voxcart.model.al_scorers import SCORER_NAMES
from voxcart.model.al_select import DIVERSITY_RULES

_COLUMNS = (
    ("round", 6),
    ("strategy", 20),
    ("budget", 9),
    ("status", 10),
    ("clips", 7),
    ("minutes", 9),
    ("labelled", 9),
    ("model", 22),
    ("dev WER", 8),
)


def _wer(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def status_lines(views: list[RoundView]) -> list[str]:
    """The table ``voxcart al status`` prints (plain text, fixed-width columns)."""
    lines = ["".join(f"{name:<{width}}" for name, width in _COLUMNS).rstrip()]
    for v in views:
        cells = (
            str(v.number),
            v.strategy,
            v.budget,
            v.status,
            str(v.clips_selected),
            f"{v.minutes_selected:.2f}",
            str(v.clips_labelled),
            v.model or "-",
            _wer(v.dev_wer),
        )
        lines.append(
            "".join(
                f"{cell[: width - 1]:<{width}}"
                for cell, (_, width) in zip(cells, _COLUMNS, strict=True)
            ).rstrip()
        )
    for v in views:
        if v.dev_note:
            lines.append(f"round {v.number}: {v.dev_note}")
    return lines


def _echo_round(result: RoundResult) -> None:
    verb = "finished interrupted" if result.resumed else "selected"
    typer.echo(
        f"round {result.number} {verb}: {len(result.clip_ids)} clip(s), "
        f"{result.selected_seconds / 60:.2f} min of audio, by {result.strategy} on "
        f"{result.selected_with}'s suggestions; {result.enqueued} new annotation task(s)"
    )


def select_cmd(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="Model version (or base name) whose suggestions are scored "
            "(default: the newest model with suggestions)."
        ),
    ] = None,
    strategy: Annotated[str, typer.Option(help=f"Scorer: {', '.join(SCORER_NAMES)}.")] = (
        "least-confidence"
    ),
    diversity: Annotated[
        str, typer.Option(help=f"Diversity rule: {', '.join(DIVERSITY_RULES)}.")
    ] = "kcenter",
    budget: Annotated[
        str, typer.Option(help="Clips ('200') or audio time ('90s', '30m', '2h').")
    ] = "30m",
    cost_aware: Annotated[
        bool, typer.Option("--cost-aware", help="Rank by score per second of audio.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Breaks ties; seeds the random strategy.")] = 0,
    max_per_speaker: Annotated[
        int | None, typer.Option(help="At most this many clips of one speaker.", min=1)
    ] = None,
) -> None:
    """Start an active-learning round: pick clips under a budget and queue them for labelling."""
    project = open_project(project_dir, db)
    try:
        result = select_round(
            project,
            model=model,
            strategy=strategy,
            diversity=diversity,
            budget=budget,
            cost_aware=cost_aware,
            seed=seed,
            max_per_speaker=max_per_speaker,
        )
    finally:
        project.close()
    _echo_round(result)


def train_cmd(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    round_number: Annotated[
        int | None, typer.Option("--round", help="Round number (default: the newest).", min=1)
    ] = None,
) -> None:
    """Build the next model from a round's labels, re-suggest, and evaluate it on dev."""
    project = open_project(project_dir, db)
    try:
        result = train_round(project, round_number)
    finally:
        project.close()
    dev = result.metrics.get("dev") or {}
    typer.echo(
        f"round {result.number} trained: model {result.model} "
        f"({result.metrics.get('clips_labelled', 0)} of its clip(s) labelled so far)"
    )
    if dev.get("wer") is not None:
        before = dev.get("baseline_wer")
        versus = f" (was {_wer(before)} with {dev.get('compare_to')})" if before is not None else ""
        typer.echo(f"dev WER {_wer(dev['wer'])} on {dev.get('clips')} clip(s){versus}")
    else:
        typer.echo(f"dev WER: none; {dev.get('note')}")


def status_cmd(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the active-learning rounds: selection, labelling progress, model, dev WER."""
    project = open_project(project_dir, db)
    try:
        views = round_status(project)
    finally:
        project.close()
    if as_json:
        typer.echo(json.dumps([v.to_dict() for v in views], indent=2))
        return
    if not views:
        typer.echo("no active-learning round yet; start one with `voxcart al select`")
        return
    for line in status_lines(views):
        typer.echo(line)


def register(app: typer.Typer) -> None:
    """Add the `al` command group to the root app."""
    al_app = typer.Typer(help="Active-learning rounds.", no_args_is_help=True)
    al_app.command("select")(select_cmd)
    al_app.command("train")(train_cmd)
    al_app.command("status")(status_cmd)
    app.add_typer(al_app, name="al")
