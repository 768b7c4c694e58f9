"""Sphinx acoustic adaptation on CPU: WER before/after and time per round by labelled clips, and
the far-field augmentation effect.

Builds a demo project (synthetic voices; the last quarter of its speakers forms the test split
and is never adapted on), builds the catalog LM once (catalog and query templates only, so
that only the acoustics change between rows), then labels train clips from the gold references (a
bench-only stand-in for annotators) in growing sets and MAP-adapts the bundled acoustic model
on each (``adapt_sphinx``, from the same LM). Every model is scored on the test split's
held-out speakers against the gold references, next to the unadapted LM-only model.

With ``--augment`` it also builds a test set of the test clips with the REAL room impulse
responses and noises of ``../shared/data`` (``--as-test-set``), and augmented copies of the
train clips with the default banks only (simulated rooms and generated noise: the real rooms
are never trained on). It adapts on the largest labelled set clean only, then once per
``--steps`` entry (``preset:copies``, applied cumulatively: ``far-field:1,far-field:3`` is one
far-field copy per clip, then three), and scores each on the clean test clips and on the real
far-field test set, relative to clean-only adaptation.

Usage::

    python bench/bench_sphinx_adapt.py --clips 400 --sizes 30,100,300
    python bench/bench_sphinx_adapt.py --clips 240 --sizes 30,100 --augment
    python bench/bench_sphinx_adapt.py --clips 240 --sizes 100 --augment \
        --steps far-field:1,far-field:2,far-field:3,store-noise:1
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import select

from voxcart.augment.bank_cache import project_banks
from voxcart.augment.materialize import materialize
from voxcart.datasets.demo.build import build_demo
from voxcart.datasets.store.project import Project, open_project
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import Clip, ClipReference, RevisionStatus, Split
from voxcart.model.adapt import AdaptConfig, adapt_sphinx
from voxcart.model.eval.evaluate import evaluate
from voxcart.model.lm.build import build_catalog_lm

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
TEST_SET = "farfield-real"


def label_bench_only(project: Project, clip_ids: list[int]) -> None:
    """Accept clips with their gold reference (bench-only stand-in for annotators)."""
    with project.session() as session:
        refs = session.scalars(select(ClipReference).where(ClipReference.clip_id.in_(clip_ids)))
        for ref in refs:
            add_revision(session, ref.clip_id, ref.text, RevisionStatus.ACCEPTED)


def augment_steps(text: str) -> tuple[tuple[str, int], ...]:
    """``far-field:2,store-noise:1`` as ((preset, copies), ...); a bare preset is one copy."""
    steps = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        preset, _, copies = part.partition(":")
        steps.append((preset, int(copies or "1")))
    return tuple(steps)


def test_rates(project: Project, model: str) -> dict[str, tuple[float, int]]:
    """(WER, clips) of `model` on the clean test clips and on each noisy test set."""
    report = evaluate(project, model, "test", reference="gold", slices=("augmentation",))
    out = {"test": (float(report.overall.wer or 0.0), report.overall.clips)}
    for piece in report.slices_of("augmentation"):
        name = "clean" if piece.value == "original" else piece.value
        out[name] = (float(piece.metrics.wer or 0.0), piece.metrics.clips)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=400)
    parser.add_argument("--speakers", type=int, default=16)
    parser.add_argument("--sizes", default="30,100,300", help="labelled train clips per row")
    parser.add_argument("--augment", action="store_true", help="also measure far-field copies")
    parser.add_argument(
        "--steps",
        default="far-field:1",
        help="with --augment: cumulative preset:copies steps, e.g. far-field:1,far-field:3",
    )
    parser.add_argument("--tau", type=float, default=10.0, help="MAP prior weight")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="build the project here")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp) / "proj"
        build_demo(root, n_clips=args.clips, n_speakers=args.speakers, seed=args.seed)
        project = open_project(root)
        try:
            with project.session() as session:
                clips = list(session.scalars(select(Clip).where(Clip.origin == "demo")))
                # Speaker-disjoint: the last quarter of the speakers is the test split.
                voices = sorted({c.speaker or "" for c in clips})
                held = set(voices[-max(1, len(voices) // 4) :])
                for clip in clips:
                    clip.split = Split.TEST if clip.speaker in held else Split.TRAIN
                train = [c.id for c in clips if c.split == Split.TRAIN]
                speakers = {
                    s: sorted({c.speaker or "" for c in clips if c.split == s}) for s in Split
                }
            disjoint = set(speakers[Split.TEST]).isdisjoint(speakers[Split.TRAIN])
            print(
                f"demo: {len(clips)} clips; train {len(train)} clips of "
                f"{len(speakers[Split.TRAIN])} speakers; test speakers {speakers[Split.TEST]} "
                f"(disjoint from train: {disjoint})"
            )
            base = build_catalog_lm(project).model_name  # before any label: acoustics only vary
            before = test_rates(project, base)["test"]
            order = [int(i) for i in np.random.default_rng(args.seed).permutation(train)]
            rows = []
            for size in [s for s in sizes if s <= len(order)]:
                label_bench_only(project, order[:size])
                began = time.perf_counter()
                config = AdaptConfig(promote="never", tau=args.tau)
                result = adapt_sphinx(project, base, f"map-{size}-v1", config)
                seconds = time.perf_counter() - began
                after = test_rates(project, result.model_name)["test"]
                rows.append((size, result, seconds, after))
                print(f"adapted on {size}: {after[0]:.3f} WER ({seconds:.0f} s)", flush=True)
            print()
            print(f"LM-only model {base}: test WER {100 * before[0]:.1f}% on {before[1]} clips")
            print(
                "| labelled clips | used | skipped | test WER before | after | relative | "
                "bw s | map s | round s |"
            )
            print("|---|---|---|---|---|---|---|---|---|")
            for size, result, seconds, after in rows:
                rel = (before[0] - after[0]) / before[0] if before[0] else 0.0
                print(
                    f"| {size} | {result.used} | {len(result.skipped)} | {100 * before[0]:.1f}% "
                    f"| {100 * after[0]:.1f}% | -{100 * rel:.0f}% | "
                    f"{result.seconds.get('bw', 0):.1f} | {result.seconds.get('map', 0):.1f} | "
                    f"{seconds:.1f} |"
                )
            if args.augment:
                augment_effect(project, base, rows[-1][0], args.seed, args.steps, args.tau)
        finally:
            project.close()
    return 0


def augment_effect(
    project: Project, base: str, size: int, seed: int, steps: str, tau: float
) -> None:
    """Clean-only vs clean + augmented adaptation, on clean and real far-field test audio.

    `steps` is a comma-separated list of ``preset:copies`` applied in order and cumulatively
    (``far-field:1,far-field:2`` adapts once with one far-field copy per clip, then once with
    two); every step's copies come from the default banks (simulated rooms, generated noise),
    never from the real recordings that build the test set.
    """
    noise, rir = SHARED / "noise", SHARED / "rir"
    if not (noise.is_dir() and rir.is_dir()):
        print(f"augmentation effect skipped: no real noise/RIR recordings in {SHARED}")
        return
    began = time.perf_counter()
    materialize(
        project,
        "far-field",
        copies=1,
        split="test",
        seed=seed,
        as_test_set=TEST_SET,
        banks=project_banks(project.root, noise, rir),
    )
    print(f"\nreal far-field test set built in {time.perf_counter() - began:.0f} s", flush=True)
    results = {}
    config = AdaptConfig(with_augmented=False, promote="never", tau=tau)
    out = adapt_sphinx(project, base, "aug-clean-v1", config)
    results["clean"] = (out, test_rates(project, out.model_name))
    applied: list[str] = []
    for number, (preset, copies) in enumerate(augment_steps(steps)):
        began = time.perf_counter()
        materialize(project, preset, copies=copies, split="train", seed=seed)
        applied.append(f"{preset}:{copies}")
        config = AdaptConfig(with_augmented=True, promote="never", tau=tau)
        out = adapt_sphinx(project, base, f"aug-{number + 1}-v1", config)
        name = "clean + " + " + ".join(applied)
        results[name] = (out, test_rates(project, out.model_name))
        print(f"{name}: {time.perf_counter() - began:.0f} s", flush=True)
    results["none (LM only)"] = (None, test_rates(project, base))
    clean_only = results["clean"][1]
    print(f"adapted on {size} labelled clips (+ their augmented copies), MAP tau {tau}")
    print(
        "| # | adapted on | utterances | clean test WER | real far-field test WER "
        "| far-field vs clean-only | clean vs clean-only |"
    )
    print("|---|---|---|---|---|---|---|")
    ref_noisy = _noisy(clean_only)[0]
    for number, (name, (out, rates)) in enumerate(results.items()):
        noisy = _noisy(rates)
        gain = (ref_noisy - noisy[0]) / ref_noisy if ref_noisy else 0.0
        worse = (rates["clean"][0] - clean_only["clean"][0]) / clean_only["clean"][0]
        print(
            f"| {number} | {name} | {out.used if out else '-'} | {100 * rates['clean'][0]:.1f}% "
            f"({rates['clean'][1]}) | {100 * noisy[0]:.1f}% ({noisy[1]}) | "
            f"{-100 * gain:+.1f}% | {100 * worse:+.1f}% |"
        )


def _noisy(rates: dict[str, tuple[float, int]]) -> tuple[float, int]:
    return next((v for k, v in rates.items() if k not in ("clean", "test")), (0.0, 0))


if __name__ == "__main__":
    sys.exit(main())
