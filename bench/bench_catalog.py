"""End-to-end check of transcript suggestions on a catalog and voices nobody tuned for.

Builds the held-out catalog and shopper queries of ``bench/heldout`` (pet, grocery, beauty,
auto, garden and toy products with invented brands; phrasings written apart from the LM
templates), speaks them with espeak-ng voices the demo does not use, a share in REAL noise and
REAL rooms from ``../shared/data``, and then does what a user does, through the ``voxcart``
CLI: init, catalog import, audio import, the default speaker-disjoint split, train and dev
transcripts imported as labels, ``lm build``, ``train --backend sphinx --method map``. The
generic, catalog and adapted models are scored on the test split, whose transcripts never
enter the project (see the GOLD SWITCH in ``bench/heldout/pipeline.py``).

Usage::

    nice -n 10 python bench/bench_catalog.py                 # ~7 CPU-minutes
    python bench/bench_catalog.py --quick                    # smoke run, ~3.5 CPU-minutes
    python bench/bench_catalog.py --demo --real              # also the demo and real speech
    python bench/bench_catalog.py --gold --augment far-field:2,store-noise:1  # + augmented round
    python bench/bench_catalog.py --clips 240 --voices 12 --seed 1 --noisy-share 0.5 --keep out
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from bench_sphinx_adapt import augment_steps
from heldout.pipeline import Cli, ModelScore, StepFailedError
from heldout.runs import DatasetRow, RunOptions, final_label, run_demo, run_heldout, run_real

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
TARGETS = (
    "catalog(adapted) WER <= 0.30x generic and <= 25%; entity error <= 25%; search@1 >= 75%; "
    "LM coverage of dev words >= 99%; ECE <= 0.05; RTF per core <= 0.05"
)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def table(rows: list[DatasetRow]) -> list[str]:
    """One markdown table: a line per dataset and model."""
    head = (
        "| data | model | test clips (speakers) | WER | x generic | entity error | search@1 "
        "| search@5 | target@1 | LM coverage dev | ECE (test) | RTF/core |"
    )
    out = [head, "|" + "---|" * 12]
    for row in rows:
        generic = row.scores.get("generic")
        for label, score in row.scores.items():
            ratio = (
                score.metrics.wer / generic.metrics.wer
                if generic and generic.metrics.wer and score.metrics.wer is not None
                else None
            )
            final = label == final_label(row.scores)
            out.append(
                f"| {row.dataset} | {label} `{score.model}` | {row.test_clips} "
                f"({row.test_speakers}) | {_pct(score.metrics.wer)} | {_num(ratio, 2)} "
                f"| {_pct(score.metrics.entity_error_rate)} | {_pct(score.metrics.search_top1)} "
                f"| {_pct(score.metrics.search_top5)} | {_pct(score.target_top1)} "
                f"| {_pct(row.coverage) if final else ''} | {_num(row.ece) if final else ''} "
                f"| {_num(score.rtf)} |"
            )
    return out


def verdicts(row: DatasetRow) -> list[str]:
    """Each target of issue 13 against the dataset's final model (adapted, else catalog)."""
    label = final_label(row.scores)
    final = row.scores[label] if label else None
    generic = row.scores.get("generic")
    if final is None or generic is None:
        return []
    m, g = final.metrics, generic.metrics
    checks = [
        ("WER x generic <= 0.30", m.wer / g.wer if m.wer is not None and g.wer else None, 0.30, 1),
        ("WER <= 25%", m.wer, 0.25, 1),
        ("entity error <= 25%", m.entity_error_rate, 0.25, 1),
        ("search@1 >= 75%", m.search_top1, 0.75, -1),
        ("LM coverage >= 99%", row.coverage, 0.99, -1),
        ("ECE <= 0.05", row.ece, 0.05, 1),
        ("RTF/core <= 0.05", final.rtf, 0.05, 1),
    ]
    out = []
    for name, value, limit, sign in checks:
        state = "n/a" if value is None else ("met" if sign * (limit - value) >= 0 else "MISSED")
        out.append(f"{name}: {state} ({_num(value)})")
    return [f"{row.dataset} targets: " + "; ".join(out)]


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
    return done.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=None, help="queries (default 200; quick 60)")
    parser.add_argument("--voices", type=int, default=None, help="voices (default 10; quick 8)")
    parser.add_argument("--seed", type=int, default=0, help="catalog queries, voices, noise")
    parser.add_argument("--split-seed", type=int, default=13, help="first `voxcart split` seed")
    parser.add_argument("--noisy-share", type=float, default=0.3, help="clips in real noise+room")
    parser.add_argument(
        "--catalog-style",
        choices=("departments", "types"),
        default="departments",
        help="category column: departments (pet, grocery) or type paths",
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the projects in this folder")
    parser.add_argument("--demo", action="store_true", help="also run on `voxcart demo` data")
    parser.add_argument("--real", action="store_true", help="also the generic model on real speech")
    parser.add_argument("--no-heldout", action="store_true", help="skip the held-out catalog")
    parser.add_argument("--no-adapt", action="store_true", help="skip sphinx MAP adaptation")
    parser.add_argument("--quick", action="store_true", help="smoke run: 60 clips, 8 voices")
    parser.add_argument(
        "--augment",
        default="",
        help="also adapt on train clips plus augmented copies, e.g. far-field:2,store-noise:1 "
        "(voxcart augment, default simulated banks; scored as adapted+aug)",
    )
    parser.add_argument(
        "--gold",
        action="store_true",
        help="test references via `import --as-reference` + `eval --reference gold`",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=REPO / ".bench-cache" / "catalog",
        help="synthesized audio cache (content-addressed)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    opts = RunOptions(
        clips=args.clips or (60 if args.quick else 200),
        voices=args.voices or (8 if args.quick else 10),
        seed=args.seed,
        noisy_share=args.noisy_share,
        catalog_style=args.catalog_style,
        split_seed=args.split_seed,
        gold=args.gold,
        adapt=not args.no_adapt,
        real_data=SHARED,
        cache=args.cache,
        augment=augment_steps(args.augment),
    )
    voxcart = Path(sys.executable).parent / "voxcart"
    datasets = [
        name
        for name, on in (("heldout", not args.no_heldout), ("demo", args.demo), ("real", args.real))
        if on
    ]
    config = {
        **{k: str(v) if isinstance(v, Path) else v for k, v in asdict(opts).items()},
        "datasets": datasets,
        "real_data_present": SHARED.is_dir(),
        "voxcart": str(voxcart),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "command": " ".join(sys.argv),
    }
    print("config: " + json.dumps(config), flush=True)
    runners = {"heldout": run_heldout, "demo": run_demo, "real": run_real}
    rows: list[DatasetRow] = []
    with tempfile.TemporaryDirectory(prefix="bench-catalog-") as tmp:
        base = args.keep.resolve() if args.keep else Path(tmp)
        for name in datasets:
            work = base / name
            work.mkdir(parents=True, exist_ok=True)
            cli = Cli(voxcart, work / "project")
            try:
                rows.append(runners[name](cli, work, opts))
            except StepFailedError as exc:
                print(f"{name}: FAILED: {exc}", flush=True)
                return 1
            steps = ", ".join(f"{s.args[0]} {s.wall_s:.0f}s/{s.cpu_s:.0f}s" for s in cli.log)
            print(
                f"{name}: done in {sum(s.wall_s for s in cli.log):.0f} s wall, "
                f"{sum(s.cpu_s for s in cli.log):.0f} s CPU (step wall/CPU: {steps})",
                flush=True,
            )
            print("\n".join(table(rows[-1:])[2:]), flush=True)  # each dataset's rows at once
    print()
    print("\n".join(table(rows)))
    print()
    for row in rows:
        for note in row.notes:
            print(f"{row.dataset}: {note}")
        if row.coverage is not None:
            print(
                f"{row.dataset}: LM coverage from {row.coverage_source}; dev words the LM "
                f"cannot say: {', '.join(row.oov) or 'none'}"
            )
        for label, score in row.scores.items():
            if score.slices:
                parts = ", ".join(f"{k} {_pct(v)}" for k, v in score.slices.items())
                print(f"{row.dataset}: {label} test WER by slice: {parts}")
        for line in verdicts(row):
            print(line)
    print(f"targets (issue 13): {TARGETS}")
    if args.json:
        args.json.write_text(
            json.dumps({"config": config, "rows": [_row_dict(r) for r in rows]}, indent=2),
            encoding="utf-8",
        )
    return 0


def _row_dict(row: DatasetRow) -> dict[str, object]:
    def score(s: ModelScore) -> dict[str, object]:
        return {
            "model": s.model,
            **s.metrics.to_dict(),
            "target_top1": s.target_top1,
            "rtf": s.rtf,
            "wer_by_slice": s.slices,
        }

    return {
        "dataset": row.dataset,
        "test_clips": row.test_clips,
        "test_speakers": row.test_speakers,
        "scores": {k: score(v) for k, v in row.scores.items()},
        "coverage": row.coverage,
        "coverage_source": row.coverage_source,
        "oov": list(row.oov),
        "ece": row.ece,
        "notes": row.notes,
    }


if __name__ == "__main__":
    sys.exit(main())
