"""Active learning with acoustic adaptation: read an `al simulate --adapt map` output folder.

Run the simulation first (it resumes: a finished run is never run again), e.g.::

    voxcart demo /tmp/al-demo1k --clips 1000
    nice -n 10 voxcart al simulate -p /tmp/al-demo1k --adapt map --strategies random,hybrid \\
        --seeds 3 --rounds 4 --budget 45s --pool-sample 60 --workers 2 -o /tmp/al-sim

then ``python bench/bench_al_adapt.py /tmp/al-sim``. Also works while the simulation runs: each
round's held-out WER is read from its run's own database (the evaluation stored on the round's
model), so unfinished runs show the rounds they have done. Printed per run and round: labelled
minutes, held-out WER, the dev WER of the LM-only model and of the LM+MAP model of that round
(the curve of LM-only rounds vs LM+acoustic rounds), whether the adapted model was kept, and
the round's wall time; then the label efficiency against random per seed (minutes the strategy
needs to reach random's final held-out WER, interpolated between rounds) and its mean.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from voxcart.model.al.curves import label_efficiency, minutes_to_reach
from voxcart.model.al.sim_config import CurvePoint

HELDOUT = ("heldout/gold", "heldout/hidden")
"""Evaluation keys of the held-out WER (gold references; ``hidden`` in older runs)."""


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _heldout(evals: dict[str, dict[str, object]]) -> dict[str, object]:
    """A model's held-out evaluation, under either of its names."""
    return next((evals[key] for key in HELDOUT if key in evals), {})


def _run_rounds(run: Path) -> list[dict[str, object]]:
    """Every trained round of one run copy, read from its database."""
    db = sqlite3.connect(f"file:{run / 'voxcart.db'}?mode=ro", uri=True)
    try:
        rounds = db.execute(
            "select number, metrics, created_at from al_rounds order by number"
        ).fetchall()
        models = {
            name: json.loads(metrics or "{}")
            for name, metrics in db.execute("select name, metrics from model_versions")
        }
        decoded = [_time(t) for (t,) in db.execute("select created_at from suggestions")]
    finally:
        db.close()
    out: list[dict[str, object]] = []
    starts = [_time(created) for _, _, created in rounds]
    end = (run / "points.json").stat().st_mtime if (run / "points.json").is_file() else None
    for i, (number, metrics_text, _) in enumerate(rounds):
        metrics = json.loads(metrics_text or "{}")
        model = metrics.get("model")
        if not model:
            continue  # still selecting or training
        heldout = _heldout(models.get(model, {}).get("eval") or {})
        acoustic = metrics.get("acoustic") or {}
        stop = starts[i + 1] if i + 1 < len(starts) else None
        if stop is not None:
            seconds: float | None = (stop - starts[i]).total_seconds()
        elif end is not None:
            seconds = end - starts[i].timestamp()
        else:
            seconds = None
        clips_decoded = sum(1 for t in decoded if t >= starts[i] and (stop is None or t < stop))
        out.append(
            {
                "round": int(number),
                "minutes": float(metrics.get("labelled_seconds_total", 0.0)) / 60.0,
                "clips": int(metrics.get("labelled_clips_total", 0)),
                "wer": heldout.get("wer"),
                "model": model,
                "lm_only_dev": acoustic.get("dev_wer_before"),
                "adapted_dev": acoustic.get("dev_wer_after"),
                "kept": acoustic.get("kept"),
                "bw_s": (acoustic.get("seconds") or {}).get("bw"),
                "seconds": seconds,
                "decoded": clips_decoded,
            }
        )
    return out


def _ratio(minutes: float | None, random_minutes: float) -> str:
    return "-" if minutes is None or random_minutes <= 0 else f"{minutes / random_minutes:.2f}"


def _pct(value: object) -> str:
    return f"{100 * float(value):5.1f}%" if isinstance(value, int | float) else "    -"


def main(out_dir: Path) -> None:
    """Print the per-round table, the LM-only vs LM+acoustic curve and the label efficiency."""
    start = json.loads((out_dir / "start" / "start.json").read_text(encoding="utf-8"))
    start_model = str(start["model"])
    points: list[CurvePoint] = []
    complete: dict[tuple[str, int], bool] = {}
    print(
        "run               round  clips   min  heldout  LM-only dev  LM+MAP dev  kept   wall"
        "  decoded"
    )
    round_seconds: list[float] = []
    for run in sorted(p for p in (out_dir / "runs").iterdir() if p.is_dir()):
        strategy, _, seed_text = run.name.rpartition("-s")
        if not (run / "voxcart.db").is_file():
            continue
        seed = int(seed_text)
        rows = _run_rounds(run)
        complete[(strategy, seed)] = (run / "points.json").is_file()
        for row in rows:
            wall = row["seconds"]
            if isinstance(wall, float):
                round_seconds.append(wall)
            print(
                f"{run.name:17s} {row['round']:5d} {row['clips']:6d} {row['minutes']:5.2f}"
                f"  {_pct(row['wer'])}   {_pct(row['lm_only_dev'])}      "
                f"{_pct(row['adapted_dev'])}  {row['kept']!s:5s}"
                f" {wall / 60 if isinstance(wall, float) else float('nan'):5.1f}m"
                f"  {row['decoded']:7d}"
            )
            if isinstance(row["wer"], float):
                points.append(_point(strategy, seed, row))
    start_wer = _start_wer(out_dir, start_model)
    for strategy, seed in complete:
        points.append(CurvePoint(strategy, seed, 0, 0, 0.0, start_wer, 0.0, None, start_model))
    if round_seconds:
        mean = sum(round_seconds) / len(round_seconds)
        print(f"\nround wall time: mean {mean / 60:.1f} min over {len(round_seconds)} round(s)")
    print(f"start model {start_model}: held-out WER {_pct(start_wer)}")
    # Efficiency over the seeds with random and another strategy, up to the last round that
    # every strategy of the seed has finished (a partial simulation compares like with like).
    by_seed: dict[int, dict[str, int]] = defaultdict(dict)
    for p in points:
        by_seed[p.seed][p.strategy] = max(by_seed[p.seed].get(p.strategy, 0), p.round)
    common = {
        seed: min(rounds.values())
        for seed, rounds in by_seed.items()
        if "random" in rounds and len(rounds) > 1 and min(rounds.values()) > 0
    }
    if not common:
        print("no seed has random and another strategy past round 0 yet")
        return
    last = min(common.values())
    usable = [p for p in points if p.seed in common and p.round <= last]
    print(f"label efficiency over seed(s) {sorted(common)}, rounds 0-{last}:")
    for eff in label_efficiency(usable):
        if eff.strategy == "random":
            continue
        ratios = [None if s is None else 1.0 - s for s in eff.seed_savings]
        print(
            f"  {eff.strategy}: random's final WER {_pct(eff.target_wer)} at "
            f"{eff.random_minutes:.2f} min; mean curve reaches it at "
            f"{'never' if eff.minutes is None else f'{eff.minutes:.2f} min'}"
            f" (minutes ratio {_ratio(eff.minutes, eff.random_minutes)});"
            f" per seed ratio {[None if r is None else round(r, 2) for r in ratios]};"
            f" final WER {_pct(eff.final_wer)}; rounds >= 2 behind random: "
            f"{eff.behind_random_after_round_2}"
        )
        paired_seed = paired_ratios(usable, eff.strategy)
        reached = [r for r in paired_seed.values() if r is not None]
        print(
            f"  {eff.strategy} vs the same seed's random: minutes ratio per seed "
            f"{ {s: None if r is None else round(r, 2) for s, r in paired_seed.items()} }; "
            f"mean {sum(reached) / len(reached):.2f} over the {len(reached)} seed(s) reaching it"
            if reached
            else f"  {eff.strategy}: no seed reached its random's final WER"
        )


def _point(strategy: str, seed: int, row: dict[str, object]) -> CurvePoint:
    return CurvePoint(
        strategy=strategy,
        seed=seed,
        round=int(str(row["round"])),
        labelled_clips=int(str(row["clips"])),
        labelled_minutes=float(str(row["minutes"])),
        wer=float(str(row["wer"])),
        cer=0.0,
        entity_error=None,
        model=str(row["model"]),
    )


def paired_ratios(points: list[CurvePoint], strategy: str) -> dict[int, float | None]:
    """Per seed: the minutes `strategy` needs to reach that seed's random final WER, over
    random's final minutes (None: never reached)."""
    out: dict[int, float | None] = {}
    for seed in sorted({p.seed for p in points if p.strategy == strategy}):
        own = sorted(
            (p for p in points if p.strategy == strategy and p.seed == seed), key=lambda p: p.round
        )
        rand = sorted(
            (p for p in points if p.strategy == "random" and p.seed == seed), key=lambda p: p.round
        )
        if not rand or rand[-1].labelled_minutes <= 0:
            continue
        reached = minutes_to_reach(
            [p.labelled_minutes for p in own], [p.wer for p in own], rand[-1].wer
        )
        out[seed] = None if reached is None else reached / rand[-1].labelled_minutes
    return out


def _start_wer(out_dir: Path, model: str) -> float:
    db = sqlite3.connect(f"file:{out_dir / 'start' / 'voxcart.db'}?mode=ro", uri=True)
    try:
        row = db.execute("select metrics from model_versions where name = ?", (model,)).fetchone()
    finally:
        db.close()
    evals = (json.loads(row[0] or "{}").get("eval") or {}) if row else {}
    wer = _heldout(evals).get("wer")
    return float(wer) if isinstance(wer, int | float) else float("nan")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "reports/al-simulation"))
