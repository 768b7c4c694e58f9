"""`voxcart al select|train|status|run|simulate`: active-learning rounds from the command line."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from voxcart.datasets.cli.options import DbOption, ProjectOption, comma_list
from voxcart.datasets.store.project import open_project
from voxcart.model.al.loop import ANNOTATORS, LoopEvent, LoopOptions, run_rounds
from voxcart.model.al.records import RoundView, SplitEval
from voxcart.model.al.rounds import STRATEGIES, RoundResult, round_status, select_round
from voxcart.model.al.select import DIVERSITY_RULES
from voxcart.model.al.sim_config import DEFAULT_STRATEGIES, START_MODELS, SimulationConfig
from voxcart.model.al.simulate import simulate, summary_rows
from voxcart.model.al.train import EVAL_SPLITS, train_round
from voxcart.model.errors import ModelError
from voxcart.model.train.config import TrainConfig, load_train_config

StrategyOption = Annotated[
    str,
    typer.Option(
        help=f"Scorer or preset: {', '.join(STRATEGIES)} (hybrid = entity-aware uncertainty "
        "with k-center diversity)."
    ),
]
DiversityOption = Annotated[
    str, typer.Option(help=f"Diversity rule for a plain scorer: {', '.join(DIVERSITY_RULES)}.")
]
BudgetOption = Annotated[
    str, typer.Option(help="Clips ('200') or audio time ('90s', '30m', '2h') per round.")
]
PseudoOption = Annotated[
    float | None,
    typer.Option(
        "--pseudo-labels",
        help="Also train on unlabelled clips whose suggestion is at least this sure (e.g. 0.9; "
        "sphinx: every word, ctc: the mean confidence). Pseudo-labels are counted on the model "
        "and the round, never stored as transcripts or exported.",
        min=0.0,
        max=1.0,
    ),
]
PoolSampleOption = Annotated[
    int | None,
    typer.Option(
        help="Re-suggest only this many unlabelled pool clips with the new model (a seeded "
        "sample; the next round picks among them). Default: the whole pool.",
        min=0,
    ),
]
EvalOption = Annotated[
    str,
    typer.Option("--eval", help=f"Comma-separated splits to measure: {', '.join(EVAL_SPLITS)}."),
]
TrainConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="ctc models: a train.toml of fine-tuning settings (as `voxcart train --config`).",
    ),
]
OldTrainConfigOption = Annotated[
    Path | None,
    typer.Option("--train-config", hidden=True, help="Deprecated spelling of --config."),
]
DeviceOption = Annotated[str, typer.Option(help="ctc models: auto, cpu or cuda.")]
ReferenceOption = Annotated[
    str,
    typer.Option(
        help="References: 'human' transcripts or 'gold' (gold references: imported with "
        "--as-reference, or a demo's; 'hidden' is an alias)."
    ),
]


_COLUMNS = (
    ("round", 6),
    ("strategy", 20),
    ("budget", 9),
    ("status", 10),
    ("clips", 7),
    ("minutes", 9),
    ("labelled", 9),
    ("model", 22),
    ("dev WER", 9),
    ("test WER", 9),
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
            _wer(v.test_wer),
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
    strategy: StrategyOption = "least-confidence",
    diversity: DiversityOption = "kcenter",
    budget: BudgetOption = "30m",
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


AdaptOption = Annotated[
    str,
    typer.Option(
        help="sphinx rounds: also adapt the acoustic model on every label so far (map or mllr; "
        "kept only if it beats the LM-only model on dev), or none (rebuild the LM only)."
    ),
]


def _train_settings(config: Path | None, old_spelling: Path | None) -> TrainConfig | None:
    """The settings of `--config` (or of its deprecated spelling `--train-config`), or None."""
    if old_spelling is not None:
        if config is not None and config != old_spelling:
            raise ModelError(
                f"--config {config} and --train-config {old_spelling} disagree; "
                "pass --config only (--train-config is its deprecated spelling)"
            )
        typer.echo("voxcart: warning: --train-config is deprecated; use --config", err=True)
        config = old_spelling
    return load_train_config(config) if config is not None else None


def train_cmd(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    round_number: Annotated[
        int | None, typer.Option("--round", help="Round number (default: the newest).", min=1)
    ] = None,
    pseudo_labels: PseudoOption = None,
    pool_sample: PoolSampleOption = None,
    eval_splits: EvalOption = "dev,test",
    reference: ReferenceOption = "human",
    train_config: TrainConfigOption = None,
    old_train_config: OldTrainConfigOption = None,
    device: DeviceOption = "auto",
    adapt: AdaptOption = "none",
) -> None:
    """Build the next model from the labels so far (sphinx: rebuild the LM and optionally
    adapt the acoustics; ctc: fine-tune), re-suggest, and evaluate it."""
    settings = _train_settings(train_config, old_train_config)
    project = open_project(project_dir, db)
    try:
        result = train_round(
            project,
            round_number,
            pseudo_min_confidence=pseudo_labels,
            pool_sample=pool_sample,
            eval_splits=comma_list(eval_splits),
            reference=reference,
            train_config=settings,
            device=device,
            adapt=adapt,
        )
    finally:
        project.close()
    typer.echo(
        f"round {result.number} trained: model {result.model} "
        f"({result.metrics.clips_labelled or 0} of its clip(s) labelled so far)"
    )
    pseudo = result.metrics.pseudo_labels
    if pseudo is not None:
        typer.echo(
            f"pseudo-labels: {pseudo.clips} clip(s) at confidence >= {pseudo.min_confidence}"
        )
    acoustic = result.metrics.acoustic
    if acoustic is not None:
        kept = "kept" if acoustic.kept else "not kept"
        typer.echo(f"acoustic {acoustic.method}: {acoustic.model} {kept} ({acoustic.reason})")
    for line in eval_lines(result.metrics.evaluations):
        typer.echo(line)


def eval_lines(evaluations: Mapping[str, SplitEval]) -> list[str]:
    """One line per evaluated split: WER and the comparison, or why there is none."""
    lines = []
    for split, found in evaluations.items():
        if found.wer is not None:
            before = found.baseline_wer
            versus = f" (was {_wer(before)} with {found.compare_to})" if before is not None else ""
            lines.append(f"{split} WER {_wer(found.wer)} on {found.clips} clip(s){versus}")
        else:
            lines.append(f"{split} WER: none; {found.note}")
    return lines


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


def _echo_event(event: LoopEvent) -> None:
    typer.echo(f"round {event.round_number} {event.step}: {event.detail}")


def run_cmd(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    rounds: Annotated[int, typer.Option(help="Rounds to finish in this call.", min=1)] = 1,
    strategy: StrategyOption = "least-confidence",
    diversity: DiversityOption = "kcenter",
    budget: BudgetOption = "30m",
    seed: Annotated[int, typer.Option(help="Breaks ties; seeds the random strategy.")] = 0,
    annotate: Annotated[
        str,
        typer.Option(
            help="Who labels: 'wait' for annotators in the app, or 'oracle' (the gold "
            "references of the clips: a simulation, labels stored as non-human)."
        ),
    ] = "wait",
    train_after_minutes: Annotated[
        float | None,
        typer.Option(
            help="With --annotate wait: train once this many minutes were labelled since the "
            "last training, instead of waiting for the whole round.",
            min=0.0,
        ),
    ] = None,
    poll: Annotated[float, typer.Option(help="Seconds between checks while waiting.")] = 30.0,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Stop waiting after this many seconds (0: check once and exit, for cron); "
            "rerun to resume. Default: wait."
        ),
    ] = None,
    pseudo_labels: PseudoOption = None,
    pool_sample: PoolSampleOption = None,
    eval_splits: EvalOption = "dev,test",
    reference: ReferenceOption = "human",
    train_config: TrainConfigOption = None,
    old_train_config: OldTrainConfigOption = None,
    device: DeviceOption = "auto",
    adapt: AdaptOption = "none",
) -> None:
    """Chain rounds: select, wait for (or simulate) labels, train, evaluate; resumes."""
    if annotate not in ANNOTATORS:
        raise ModelError(f"--annotate {annotate!r} is unknown; use 'wait' or 'oracle'")
    options = LoopOptions(
        strategy=strategy,
        diversity=diversity,
        budget=budget,
        seed=seed,
        annotator="oracle" if annotate == "oracle" else "wait",
        train_after_minutes=train_after_minutes,
        poll_s=poll,
        timeout_s=timeout,
        pseudo_min_confidence=pseudo_labels,
        pool_sample=pool_sample,
        eval_splits=comma_list(eval_splits),
        reference=reference,
        train_config=_train_settings(train_config, old_train_config),
        device=device,
        adapt=adapt,
    )
    project = open_project(project_dir, db)
    try:
        result = run_rounds(project, rounds, options, on_event=_echo_event)
    finally:
        project.close()
    if result.waiting is not None:
        typer.echo(
            f"round {result.waiting} is still waiting for labels; run the same command again "
            "to resume"
        )
        raise typer.Exit(3)


def simulate_cmd(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    strategies: Annotated[
        str, typer.Option(help="Comma-separated strategies; must include random.")
    ] = ",".join(DEFAULT_STRATEGIES),
    rounds: Annotated[int, typer.Option(help="Rounds per run.", min=1)] = 5,
    budget: BudgetOption = "30s",
    seeds: Annotated[int, typer.Option(help="Runs per strategy (seeds 0..S-1).", min=1)] = 3,
    pool_sample: Annotated[
        int | None,
        typer.Option(help="Pool clips re-scored after each round (0: the whole pool).", min=0),
    ] = 80,
    start: Annotated[
        str, typer.Option(help=f"Start model: {' or '.join(START_MODELS)}.")
    ] = "catalog-only",
    diversity: DiversityOption = "none",
    workers: Annotated[
        int,
        typer.Option(
            help="Processes: runs in parallel, and the start model's decoding of every clip.",
            min=1,
        ),
    ] = 2,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Output folder (default: <project>/reports/al-simulation)."
        ),
    ] = None,
    adapt: AdaptOption = "none",
) -> None:
    """Prove selection against random: replay rounds with the demo's gold references as the
    annotator; write learning curves (PNG, CSV) and label efficiency."""
    if start not in START_MODELS:
        raise ModelError(f"--start {start!r} is unknown; use {' or '.join(START_MODELS)}")
    config = SimulationConfig(
        strategies=comma_list(strategies),
        rounds=rounds,
        budget=budget,
        seeds=seeds,
        pool_sample=pool_sample or None,
        start="current" if start == "current" else "catalog-only",
        diversity=diversity,
        workers=workers,
        adapt=adapt,
    )
    project = open_project(project_dir, db)
    target = out or project.root / "reports" / "al-simulation"
    try:
        result = simulate(
            project,
            target,
            config,
            on_run=lambda s, seed, pts: typer.echo(
                f"run {s} seed {seed}: final WER {_wer(pts[-1].wer)} "
                f"after {pts[-1].labelled_minutes:.2f} labelled min"
            ),
        )
    finally:
        project.close()
    for line in summary_rows(result.points):
        typer.echo(line)
    typer.echo(f"start model {result.start_model}; files:")
    for name, path in result.files.items():
        typer.echo(f"  {name}: {path}")


def register(app: typer.Typer) -> None:
    """Add the `al` command group to the root app."""
    al_app = typer.Typer(help="Active-learning rounds.", no_args_is_help=True)
    al_app.command("select")(select_cmd)
    al_app.command("train")(train_cmd)
    al_app.command("status")(status_cmd)
    al_app.command("run")(run_cmd)
    al_app.command("simulate")(simulate_cmd)
    app.add_typer(al_app, name="al")
