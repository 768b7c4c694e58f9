"""Learning curves of an active-learning simulation: tables, label efficiency and the figure.

Input is every :class:`~voxcart.model.al.simulate.CurvePoint` (one per run and round). A
strategy's curve is the mean over its seeds at each round, with the seeds' min and max as its
spread. Label efficiency asks how many labelled minutes a strategy needs to reach the WER that
random selection reaches at the end: the first crossing of its curve below that WER, linearly
interpolated between rounds, compared with random's final minutes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voxcart.datasets.atomic import atomic_open, atomic_path
from voxcart.model.al.sim_config import CurvePoint, SimulationConfig

BASELINE = "random"


@dataclass(frozen=True)
class CurveRow:
    """A strategy's mean curve at one round, with the spread over seeds."""

    strategy: str
    round: int
    seeds: int
    labelled_minutes: float
    wer_mean: float
    wer_min: float
    wer_max: float
    entity_error_mean: float | None


@dataclass(frozen=True)
class Efficiency:
    """How many labelled minutes a strategy needs to reach random's final WER.

    Attributes:
        strategy: the strategy.
        target_wer: random's final mean WER.
        random_minutes: random's final mean labelled minutes.
        minutes: minutes the strategy's mean curve needs (None: never reached).
        saving: 1 - minutes / random_minutes (None: never reached).
        seed_savings: the same per seed (None where that seed never reached it).
        final_wer: the strategy's final mean WER.
        behind_random_after_round_2: rounds >= 2 whose mean WER is above random's.
    """

    strategy: str
    target_wer: float
    random_minutes: float
    minutes: float | None
    saving: float | None
    seed_savings: tuple[float | None, ...]
    final_wer: float
    behind_random_after_round_2: tuple[int, ...]


def mean_curves(points: Sequence[CurvePoint]) -> list[CurveRow]:
    """Each strategy's mean curve over its seeds, round by round."""
    grouped: dict[tuple[str, int], list[CurvePoint]] = {}
    for p in points:
        grouped.setdefault((p.strategy, p.round), []).append(p)
    rows = []
    for (strategy, round_), group in sorted(grouped.items()):
        wers = [p.wer for p in group]
        entities = [p.entity_error for p in group if p.entity_error is not None]
        rows.append(
            CurveRow(
                strategy=strategy,
                round=round_,
                seeds=len(group),
                labelled_minutes=float(np.mean([p.labelled_minutes for p in group])),
                wer_mean=float(np.mean(wers)),
                wer_min=float(min(wers)),
                wer_max=float(max(wers)),
                entity_error_mean=float(np.mean(entities)) if entities else None,
            )
        )
    return rows


def minutes_to_reach(
    minutes: Sequence[float], wers: Sequence[float], target: float
) -> float | None:
    """Labelled minutes at which a curve first reaches `target` WER (linear in between)."""
    for i, (m, w) in enumerate(zip(minutes, wers, strict=True)):
        if w <= target:
            if i == 0:
                return float(m)
            m0, w0 = minutes[i - 1], wers[i - 1]
            fraction = (w0 - target) / (w0 - w) if w0 != w else 1.0
            return float(m0 + fraction * (m - m0))
    return None


def _curve(rows: Sequence[CurveRow], strategy: str) -> list[CurveRow]:
    return sorted((r for r in rows if r.strategy == strategy), key=lambda r: r.round)


def label_efficiency(points: Sequence[CurvePoint]) -> list[Efficiency]:
    """Label efficiency of every strategy against random (random itself included).

    Raises:
        ValueError: there is no random run.
    """
    rows = mean_curves(points)
    baseline = _curve(rows, BASELINE)
    if not baseline:
        raise ValueError("label efficiency needs the random strategy's runs")
    target = baseline[-1].wer_mean
    random_minutes = baseline[-1].labelled_minutes
    random_by_round = {r.round: r.wer_mean for r in baseline}
    out = []
    for strategy in sorted({r.strategy for r in rows}):
        curve = _curve(rows, strategy)
        needed = minutes_to_reach(
            [r.labelled_minutes for r in curve], [r.wer_mean for r in curve], target
        )
        per_seed: list[float | None] = []
        for seed in sorted({p.seed for p in points if p.strategy == strategy}):
            own = sorted(
                (p for p in points if p.strategy == strategy and p.seed == seed),
                key=lambda p: p.round,
            )
            m = minutes_to_reach([p.labelled_minutes for p in own], [p.wer for p in own], target)
            per_seed.append(None if m is None or random_minutes <= 0 else 1 - m / random_minutes)
        behind = tuple(
            r.round
            for r in curve
            if r.round >= 2
            and r.round in random_by_round
            and r.wer_mean > random_by_round[r.round] + 1e-12
        )
        out.append(
            Efficiency(
                strategy=strategy,
                target_wer=target,
                random_minutes=random_minutes,
                minutes=needed,
                saving=(
                    None if needed is None or random_minutes <= 0 else 1 - needed / random_minutes
                ),
                seed_savings=tuple(per_seed),
                final_wer=curve[-1].wer_mean,
                behind_random_after_round_2=behind,
            )
        )
    return out


def _pct(value: float | None) -> str:
    return "not reached" if value is None else f"{100 * value:.0f}%"


def summary_markdown(
    points: Sequence[CurvePoint], efficiency: Sequence[Efficiency], config: SimulationConfig
) -> str:
    """The simulation's summary: settings, the efficiency table and the mean curves."""
    lines = [
        "# Active-learning simulation",
        "",
        f"Strategies {', '.join(config.strategies)}; {config.rounds} rounds of {config.budget}; "
        f"{config.seeds} seed(s); pool sample {config.pool_sample or 'all'}; start model "
        f"{config.start}. WER is measured on the held-out clips (dev + test) against the "
        "gold references; the annotator is simulated from the same references.",
        "",
        "| strategy | final WER | minutes to reach random's final WER | saving vs random "
        "| per-seed savings | rounds >= 2 behind random |",
        "|---|---|---|---|---|---|",
    ]
    for e in efficiency:
        minutes = "not reached" if e.minutes is None else f"{e.minutes:.2f}"
        seeds = ", ".join(_pct(s) for s in e.seed_savings)
        behind = ", ".join(str(r) for r in e.behind_random_after_round_2) or "none"
        lines.append(
            f"| {e.strategy} | {100 * e.final_wer:.1f}% | {minutes} | {_pct(e.saving)} | "
            f"{seeds} | {behind} |"
        )
    if efficiency:
        e = efficiency[0]
        lines += [
            "",
            f"Random's final WER {100 * e.target_wer:.1f}% with {e.random_minutes:.2f} labelled "
            "minutes is the target.",
        ]
    lines += [
        "",
        "| strategy | round | minutes | WER mean (min-max) | entity error |",
        "|---|---|---|---|---|",
    ]
    for r in mean_curves(points):
        entity = "-" if r.entity_error_mean is None else f"{100 * r.entity_error_mean:.1f}%"
        lines.append(
            f"| {r.strategy} | {r.round} | {r.labelled_minutes:.2f} | {100 * r.wer_mean:.1f}% "
            f"({100 * r.wer_min:.1f}-{100 * r.wer_max:.1f}) | {entity} |"
        )
    return "\n".join(lines) + "\n"


def _csv_text(rows: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()


def plot_curves(points: Sequence[CurvePoint], path: Path) -> Path:
    """WER and entity error vs labelled minutes, one line per strategy, seed range shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = mean_curves(points)
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for strategy in sorted({r.strategy for r in rows}):
        curve = _curve(rows, strategy)
        x = [r.labelled_minutes for r in curve]
        style = "--" if strategy == BASELINE else "-"
        (line,) = left.plot(x, [100 * r.wer_mean for r in curve], style, marker="o", label=strategy)
        left.fill_between(
            x,
            [100 * r.wer_min for r in curve],
            [100 * r.wer_max for r in curve],
            color=line.get_color(),
            alpha=0.15,
        )
        entity = [r.entity_error_mean for r in curve]
        if all(e is not None for e in entity):
            right.plot(x, [100 * float(e or 0) for e in entity], style, marker="o", label=strategy)
    baseline = _curve(rows, BASELINE)
    if baseline:
        left.axhline(100 * baseline[-1].wer_mean, color="grey", linewidth=0.8, linestyle=":")
    left.set(xlabel="labelled minutes", ylabel="held-out WER (%)", title="WER")
    right.set(xlabel="labelled minutes", ylabel="entity error (%)", title="Catalog-entity error")
    for axis in (left, right):
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    try:
        with atomic_path(path, suffix=".png") as tmp:
            figure.savefig(tmp, dpi=110)
    finally:
        plt.close(figure)
    return path


def _write(path: Path, text: str) -> None:
    with atomic_open(path) as handle:
        handle.write(text)


def write_outputs(
    points: Sequence[CurvePoint], out_dir: Path, config: SimulationConfig
) -> dict[str, Path]:
    """Write simulation.csv, curves.csv, efficiency.json, summary.md and learning_curves.png."""
    efficiency = label_efficiency(points)
    files = {
        "points": out_dir / "simulation.csv",
        "curves": out_dir / "curves.csv",
        "efficiency": out_dir / "efficiency.json",
        "summary": out_dir / "summary.md",
        "figure": out_dir / "learning_curves.png",
    }
    _write(files["points"], _csv_text([asdict(p) for p in points]))
    _write(files["curves"], _csv_text([asdict(r) for r in mean_curves(points)]))
    _write(
        files["efficiency"],
        json.dumps(
            {"config": asdict(config), "strategies": [asdict(e) for e in efficiency]}, indent=2
        ),
    )
    _write(files["summary"], summary_markdown(points, efficiency, config))
    plot_curves(points, files["figure"])
    return files
