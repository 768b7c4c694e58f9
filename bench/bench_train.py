"""Length-bucketed vs random batches for training: padding fraction and steps per second.

Usage: ``python bench/bench_train.py [--clips 48] [--steps 12] [--max-batch-seconds 24]``

Builds a demo project in a temporary folder and labels it from the demo's gold reference
texts (a bench-only shortcut standing in for human labels), then, in the same process and on
the same clips, trains the ``small`` preset for the same number of steps with each batching.
Both batchings close a batch under the same ``max_batch_seconds`` of padded audio, so the
bucketed one packs more clips per step; samples/s is the fair throughput comparison.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from sqlalchemy import select

from voxcart.datasets.demo.build import build_demo
from voxcart.datasets.store.project import open_project
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import ClipReference, RevisionStatus
from voxcart.model.train.batching import bucket_batches, padding_fraction
from voxcart.model.train.config import TrainConfig
from voxcart.model.train.data import ClipDataset, CtcCollator, encode_texts, select_training_data
from voxcart.model.train.optim import training_bucket_size
from voxcart.model.train.presets import load_base, prepare_model


def label_from_gold_references_bench_only(root: Path) -> int:
    """Accept every clip with its gold demo reference text. Benchmarks and tests only: a real
    project gets its labels from people in the app."""
    project = open_project(root)
    try:
        with project.session() as session:
            refs = list(session.scalars(select(ClipReference)))
            for ref in refs:
                add_revision(
                    session, ref.clip_id, ref.text, RevisionStatus.ACCEPTED, source="bench-oracle"
                )
    finally:
        project.close()
    return len(refs)


def random_batches(durations: list[float], max_seconds: float, seed: int) -> list[list[int]]:
    """Shuffled order cut under the same padded-seconds rule as the bucketed batches."""
    order = np.random.default_rng(seed).permutation(len(durations)).tolist()
    batches: list[list[int]] = []
    batch: list[int] = []
    longest = 0.0
    for index in order:
        grown = max(longest, durations[index])
        if batch and (len(batch) + 1) * grown > max_seconds:
            batches.append(batch)
            batch, grown = [], durations[index]
        batch.append(index)
        longest = grown
    if batch:
        batches.append(batch)
    return batches


def time_steps(
    model: torch.nn.Module, dataset: ClipDataset, batches: list[list[int]], steps: int
) -> tuple[float, float]:
    """(steps/s, samples/s) of `steps` optimizer steps after one warm-up step."""
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    collator = CtcCollator()
    model.train()
    samples = 0
    start = 0.0
    for number in range(steps + 1):
        if number == 1:
            start, samples = time.perf_counter(), 0
        batch = collator([dataset[i] for i in batches[number % len(batches)]])
        inputs = {k: batch[k] for k in ("input_values", "attention_mask", "labels")}
        optimizer.zero_grad()
        model(**inputs).loss.backward()
        optimizer.step()
        samples += int(batch["input_values"].shape[0])
    elapsed = time.perf_counter() - start
    return steps / elapsed, samples / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=40)
    parser.add_argument("--steps", type=int, default=8, help="timed steps per batching")
    parser.add_argument("--max-batch-seconds", type=float, default=16.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "proj"
        build_demo(root, n_clips=args.clips, n_speakers=8)
        label_from_gold_references_bench_only(root)
        project = open_project(root)
        try:
            data = select_training_data(project, max_clip_seconds=20.0)
        finally:
            project.close()
        config = TrainConfig(seed=args.seed)
        loaded = prepare_model(load_base("small", (c.text for c in data.train), config), config)
        dataset = ClipDataset(data.train, encode_texts(data.train, loaded.vocab).labels)
        durations = [c.duration_s for c in data.train]
        print(
            f"{len(durations)} train clips, {sum(durations):.0f} s, "
            f"{min(durations):.1f}-{max(durations):.1f} s long; small preset "
            f"({sum(p.numel() for p in loaded.model.parameters()) / 1e6:.1f} M parameters); "
            f"{torch.get_num_threads()} CPU threads; max_batch_seconds={args.max_batch_seconds}"
        )
        plans = {
            "bucketed": bucket_batches(
                durations,
                max_batch_seconds=args.max_batch_seconds,
                bucket_size=training_bucket_size(durations, None, args.max_batch_seconds),
                seed=args.seed,
            ),
            "random": random_batches(durations, args.max_batch_seconds, args.seed),
        }
        print(
            f"{'batching':<10} {'batches':>7} {'clips/batch':>11} {'padding':>8} "
            f"{'steps/s':>8} {'samples/s':>9}"
        )
        for name, batches in plans.items():
            pad = padding_fraction(batches, durations)
            steps_s, samples_s = time_steps(loaded.model, dataset, batches, args.steps)
            print(
                f"{name:<10} {len(batches):>7} {len(durations) / len(batches):>11.2f} "
                f"{pad:>8.1%} {steps_s:>8.2f} {samples_s:>9.2f}"
            )


if __name__ == "__main__":
    main()
