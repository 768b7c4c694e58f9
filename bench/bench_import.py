"""Import throughput and memory for growing N: memory must stay flat while N grows.

Generates N tiny seeded tone WAVs (0.5-2 s, 16 kHz) once, then for each N imports the first N
through a CSV manifest into a fresh project, each in its own process so that peak RSS is clean.
The baseline (the I/O floor) is a plain `soundfile.info` + sha256-of-bytes loop over the same
files, measured in the same run.

Run: .venv/bin/python bench/bench_import.py [--n 10000] [--tracemalloc]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

SR = 16_000


def generate(folder: Path, count: int, seed: int = 7) -> list[Path]:
    """Write `count` seeded tones of 0.5-2 s (reusing files already there)."""
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(count):
        seconds = float(rng.uniform(0.5, 2.0))
        f0 = float(rng.uniform(100, 300))
        path = folder / f"{index // 1000:03d}" / f"tone_{index:06d}.wav"
        paths.append(path)
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        t = np.arange(int(seconds * SR)) / SR
        signal = 0.3 * np.sin(2 * np.pi * f0 * t) * np.hanning(len(t))
        sf.write(path, signal.astype(np.float32), SR, subtype="PCM_16")
    return paths


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 1024**2


def child(n: int, data: Path, work: Path, mode: str, trace: bool) -> dict[str, float]:
    """Run one measurement in this (fresh) process and return its numbers."""
    import tracemalloc

    from voxcart.datasets.ingest.engine import import_source
    from voxcart.datasets.store.project import init_project

    paths = sorted(data.rglob("*.wav"))[:n]
    project = init_project(work / f"proj-{n}") if mode == "import" else None
    before = _rss_mib()
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    if mode == "baseline":
        for path in paths:
            sf.info(str(path))
            hashlib.sha256(path.read_bytes()).hexdigest()
        imported = n
    else:
        manifest = work / f"manifest-{n}.csv"
        with manifest.open("w") as handle:
            handle.write("path,text\n")
            for index, path in enumerate(paths):
                handle.write(f"{path},show me item number {index}\n")
        assert project is not None
        report = import_source(project, manifest, allowed_roots=[data])
        imported = report.imported
    elapsed = time.perf_counter() - start
    if project is not None:
        project.close()
    traced = tracemalloc.get_traced_memory()[1] / 1024**2 if trace else float("nan")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "n": n,
        "imported": imported,
        "seconds": elapsed,
        "per_s": n / elapsed,
        "rss_before_mib": before,
        "rss_peak_mib": peak,
        "traced_peak_mib": traced,
    }


def _run(n: int, data: Path, work: Path, mode: str, trace: bool) -> dict[str, float]:
    args = [
        sys.executable,
        __file__,
        "--child",
        str(n),
        "--data",
        str(data),
        "--work",
        str(work),
        "--mode",
        mode,
    ] + (["--tracemalloc"] if trace else [])
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000, help="largest N (also runs N/4 and N/2)")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace Python allocations (slower)"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="import", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.data, args.work, args.mode, args.tracemalloc)))
        return
    sizes = sorted({max(1, args.n // 4), max(1, args.n // 2), args.n})
    with tempfile.TemporaryDirectory(prefix="voxcart-bench-") as tmp:
        data, work = Path(tmp) / "audio", Path(tmp) / "work"
        work.mkdir()
        t0 = time.perf_counter()
        generate(data, args.n)
        print(f"generated {args.n} files in {time.perf_counter() - t0:.1f} s")
        print(
            f"{'N':>7} {'baseline/s':>11} {'import/s':>9} {'ratio':>6} "
            f"{'rss before':>10} {'rss peak':>9} {'rss growth':>10} {'traced peak':>11}"
        )
        for n in sizes:
            base = _run(n, data, work, "baseline", False)
            run = _run(n, data, work, "import", args.tracemalloc)
            assert run["imported"] == n, run
            print(
                f"{n:>7} {base['per_s']:>11.0f} {run['per_s']:>9.0f} "
                f"{base['per_s'] / run['per_s']:>5.1f}x {run['rss_before_mib']:>8.0f}MB "
                f"{run['rss_peak_mib']:>7.0f}MB "
                f"{run['rss_peak_mib'] - run['rss_before_mib']:>8.0f}MB "
                + (f"{run['traced_peak_mib']:>9.1f}MB" if args.tracemalloc else f"{'-':>11}")
            )
        print(
            "ratio = baseline clips/s / import clips/s (how far above the I/O floor the import is)"
        )


if __name__ == "__main__":
    main()
