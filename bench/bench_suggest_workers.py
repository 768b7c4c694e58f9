"""Parallel suggestions: `voxcart suggest --workers N` against one process, same clips, same run.

Builds a demo project (or reuses ``--workdir``), builds its catalog LM, then suggests every clip
with one process and again (suggestions deleted in between) with each ``--workers`` count,
and prints wall time, clips per second and the speed-up against one process measured in the
same run, with the check that every run wrote the same transcripts.

    .venv/bin/python bench/bench_suggest_workers.py [--clips 200] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import delete, select

from voxcart.datasets.demo.build import build_demo
from voxcart.datasets.store.project import Project, open_project
from voxcart.datasets.store.schema import Suggestion
from voxcart.model.lm.build import build_catalog_lm
from voxcart.model.suggest import suggest


def _texts(project: Project) -> dict[int, str]:
    with project.session() as session:
        return {s.clip_id: s.text for s in session.scalars(select(Suggestion))}


def main() -> None:
    """Build or reuse the demo, then time suggest with 1 and with each --workers count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--workdir", type=Path, default=None, help="keep the demo here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="voxcart-bench-suggest-") as tmp:
        root = args.workdir or Path(tmp) / "demo"
        build_demo(root, n_clips=args.clips)
        project = open_project(root)
        try:
            model = build_catalog_lm(project).model_name
            baseline: dict[int, str] | None = None
            base_s = 0.0
            for workers in (1, *args.workers):
                with project.session() as session:
                    session.execute(delete(Suggestion))
                began = time.perf_counter()
                report = suggest(project, model, workers=workers)
                wall = time.perf_counter() - began
                texts = _texts(project)
                if baseline is None:
                    baseline, base_s = texts, wall
                same = "same transcripts" if texts == baseline else "TRANSCRIPTS DIFFER"
                print(
                    f"workers {workers:>2}: {report.suggested} clips in {wall:6.1f} s "
                    f"({report.suggested / wall:5.1f} clips/s), x{base_s / wall:.2f} vs 1 "
                    f"process; {same}",
                    flush=True,
                )
        finally:
            project.close()
    print(f"{os.cpu_count()} CPUs; model {model}")


if __name__ == "__main__":
    main()
