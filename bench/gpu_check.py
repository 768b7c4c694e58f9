"""GPU fine-tuning check: a demo project, oracle labels (bench-only), a short mixed-precision run.

Usage: ``python bench/gpu_check.py [--clips 200] [--steps 300] [--cpu-smoke]``

Prints the device, the precision used, samples/s (from the run's metrics log), wall time and
the peak GPU memory (``torch.cuda.max_memory_allocated``). ``--cpu-smoke`` runs the same code
path on the CPU with a handful of clips, a shrunken model and three steps, to check the script
itself where there is no GPU. Run it through ``bench/gpu_check.sh``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

from voxcart.datasets.demo.build import build_demo
from voxcart.datasets.store.project import open_project
from voxcart.model.train.config import TrainConfig
from voxcart.model.train.loop import train

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train import label_from_gold_references_bench_only

SMOKE_MODEL = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "conv_dim": [16] * 7,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--max-batch-seconds", type=float, default=120.0)
    parser.add_argument("--cpu-smoke", action="store_true", help="tiny CPU run of this script")
    parser.add_argument("--keep", type=Path, default=None, help="build the project here")
    args = parser.parse_args()
    smoke = args.cpu_smoke
    if not smoke and not torch.cuda.is_available():
        print("no CUDA GPU visible; use --cpu-smoke to check the script on a CPU")
        return 2
    clips, steps = (12, 3) if smoke else (args.clips, args.steps)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp) / "proj"
        start = time.perf_counter()
        build_demo(root, n_clips=clips, n_speakers=4 if smoke else 16)
        labelled = label_from_gold_references_bench_only(root)
        print(f"demo: {labelled} clips labelled in {time.perf_counter() - start:.1f} s")
        config = TrainConfig(
            max_steps=steps,
            max_batch_seconds=30.0 if smoke else args.max_batch_seconds,
            eval_every=0 if smoke else 100,
            save_every=max(1, steps // 3),
            log_every=1 if smoke else 10,
            num_workers=0 if smoke else 4,
            model=SMOKE_MODEL if smoke else {},
        )
        if torch.cuda.is_available() and not smoke:
            torch.cuda.reset_peak_memory_stats()
        project = open_project(root)
        try:
            start = time.perf_counter()
            result = train(project, "small", "gpu-check", config, device="cpu" if smoke else "cuda")
            wall = time.perf_counter() - start
        finally:
            project.close()
        records = [json.loads(x) for x in result.metrics_log.read_text("utf-8").splitlines()]
        rates = [r["samples_per_s"] for r in records if "samples_per_s" in r][1:]
        done = next(r for r in records if r.get("event") == "done")
    device = "cpu" if smoke else torch.cuda.get_device_name(0)
    precision = "fp32" if smoke else ("bf16" if torch.cuda.is_bf16_supported() else "fp16")
    print(f"device: {device}; precision: {precision}; steps: {result.steps}; wall {wall:.1f} s")
    if rates:
        print(f"samples/s: mean {sum(rates) / len(rates):.1f} (after the first log window)")
    print(f"train loss: {result.train_loss}; best dev WER: {done.get('best_dev_wer')}")
    if not smoke:
        print(f"peak GPU memory: {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
