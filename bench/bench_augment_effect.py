"""Does far-field augmentation help? Same data and seed, trained with and without it.

Builds a demo project, labels it from its gold references (a bench-only step), builds a
reverberant-noisy copy of the test split with the REAL room impulse responses and noise of
``../shared/data`` (``far-field`` preset, ``--as-test-set``), then trains the small CTC preset
twice with the same data, steps and seed: once plain, once with on-the-fly ``far-field``
augmentation (default banks: simulated rooms and generated noise, so the real test conditions
are never seen in training). Both models are evaluated on the clean test clips and on the
real-RIR + noise test set; the table gives WER and CER for each.

Usage::

    python bench/bench_augment_effect.py                     # GPU sized: 1500 clips, 3000 steps
    python bench/bench_augment_effect.py --clips 400 --steps 300 --device cpu
    python bench/bench_augment_effect.py --cpu-smoke         # checks the script in a minute

A from-scratch model needs thousands of steps to transcribe anything; on a 2-core CPU the
GPU-sized run takes hours, so its numbers there say only that the model has not learned yet.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from voxcart.augment.bank_cache import project_banks
from voxcart.augment.materialize import materialize
from voxcart.datasets.demo.build import build_demo
from voxcart.datasets.store.project import open_project
from voxcart.datasets.store.schema import Clip, Split
from voxcart.model.eval.evaluate import evaluate
from voxcart.model.train.config import TrainConfig
from voxcart.model.train.loop import train

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train import label_from_gold_references_bench_only
from gpu_check import SMOKE_MODEL

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
TEST_SET = "farfield-real"


def _rates(project_root: Path, model: str) -> dict[str, tuple[float, float, int]]:
    """(WER, CER, clips) of `model` on the clean test clips and on the noisy test set."""
    project = open_project(project_root)
    try:
        report = evaluate(project, model, "test", reference="gold", slices=("augmentation",))
    finally:
        project.close()
    out = {}
    for piece in report.slices:
        if piece.dimension != "augmentation":
            continue
        name = "clean" if piece.value == "original" else piece.value
        out[name] = (
            float(piece.metrics.wer or 0.0),
            float(piece.metrics.cer or 0.0),
            piece.metrics.clips,
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=1500)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cpu-smoke", action="store_true", help="tiny CPU run of this script")
    parser.add_argument("--keep", type=Path, default=None, help="build the project here")
    args = parser.parse_args()
    noise, rir = SHARED / "noise", SHARED / "rir"
    if not (noise.is_dir() and rir.is_dir()):
        print(f"needs the real noise and RIR recordings in {SHARED}; not found", file=sys.stderr)
        return 2
    smoke = args.cpu_smoke
    clips, steps = (30, 3) if smoke else (args.clips, args.steps)
    device = "cpu" if smoke else args.device
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp) / "proj"
        began = time.perf_counter()
        build_demo(root, n_clips=clips, n_speakers=10 if smoke else 16, seed=args.seed)
        labelled = label_from_gold_references_bench_only(root)
        project = open_project(root)
        try:
            if smoke:  # too few speakers for the hash split to fill test: pick clips instead
                with project.session() as session:
                    for clip in session.scalars(select(Clip).order_by(Clip.id)):
                        clip.split = Split.TEST if clip.id % 5 == 0 else Split.TRAIN
            built = materialize(
                project,
                "far-field",
                copies=1,
                split="test",
                seed=args.seed,
                as_test_set=TEST_SET,
                banks=project_banks(project.root, noise, rir),
            )
        finally:
            project.close()
        print(
            f"demo: {clips} clips, {labelled} labelled, noisy test set: {built.summary()} "
            f"({time.perf_counter() - began:.0f} s)"
        )
        results = {}
        for name, augment in (("plain", None), ("far-field", "far-field")):
            config = TrainConfig(
                max_steps=steps,
                seed=args.seed,
                augment=augment,
                eval_every=0,
                save_every=max(1, steps // 2),
                log_every=max(1, steps // 20),
                num_workers=0 if smoke else 4,
                model=SMOKE_MODEL if smoke else {},
                max_batch_seconds=30.0 if smoke else 120.0,
            )
            project = open_project(root)
            try:
                began = time.perf_counter()
                result = train(project, "small", f"effect-{name}", config, device=device)
                print(
                    f"trained {name}: {result.steps} steps in {time.perf_counter() - began:.0f} s"
                )
            finally:
                project.close()
            results[name] = _rates(root, result.model_name)
    print()
    print("| trained | clean test WER | clean CER | real RIR + noise WER | real RIR + noise CER |")
    print("|---|---|---|---|---|")
    for name, rates in results.items():
        clean = rates.get("clean", (float("nan"), float("nan"), 0))
        noisy = next((v for k, v in rates.items() if k != "clean"), (float("nan"), float("nan"), 0))
        print(
            f"| {name} | {100 * clean[0]:.1f}% | {100 * clean[1]:.1f}% | {100 * noisy[0]:.1f}% "
            f"| {100 * noisy[1]:.1f}% |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
