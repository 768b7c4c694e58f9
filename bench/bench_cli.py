"""Command-line start-up: wall time of `voxcart --help` and `voxcart stats` in fresh processes.

The baseline, measured in the same run, is what the root did before it loaded commands lazily:
one process that imports every command module and registers it (the cost each command paid
before doing anything). Each figure is the median of --repeat runs.

Run: .venv/bin/python bench/bench_cli.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EAGER = (
    "import importlib, typer\n"
    "from voxcart.labeler.cli.root import COMMANDS\n"
    "app = typer.Typer()\n"
    "for module in dict.fromkeys(m for m, _ in COMMANDS.values()):\n"
    "    importlib.import_module(module).register(app)\n"
)


def wall(argv: list[str], repeat: int) -> float:
    """Median wall seconds of `argv` over `repeat` fresh processes."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print the timings and their ratio to the eager baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "p"
        subprocess.run(
            [py, "-m", "voxcart.labeler.cli", "init", str(project)], check=True, capture_output=True
        )
        rows = {
            "eager import of every command (baseline)": wall([py, "-c", EAGER], args.repeat),
            "voxcart --help": wall([py, "-m", "voxcart.labeler.cli", "--help"], args.repeat),
            "voxcart stats (empty project)": wall(
                [py, "-m", "voxcart.labeler.cli", "stats", "-p", str(project)], args.repeat
            ),
        }
    base = next(iter(rows.values()))
    print(f"{'what':45} {'wall s':>8} {'vs baseline':>12}")
    for name, seconds in rows.items():
        print(f"{name:45} {seconds:8.2f} {seconds / base:11.2f}x")


if __name__ == "__main__":
    main()
