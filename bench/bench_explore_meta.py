"""Benchmark: what clip metadata costs the Explore page on SQLite.

Two stores of the same size are built in the same run: one whose clips carry metadata
(default three names each) and a baseline without any. Measured, interleaved so that load from
other processes hits both alike (median of the repeats):

1. ``list_clips`` (the page's table query, up to ``MAX_ROWS`` rows) on each store: the ratio
   is what loading and decoding the metadata adds to a page render;
2. ``metadata_names`` + ``metadata_values`` (the filter's choices, two DISTINCT queries) as a
   share of the same store's ``list_clips`` time;
3. ``list_clips`` with a metadata filter, against the unfiltered call.

Run: ``python bench/bench_explore_meta.py [--clips 20000] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from voxcart.datasets.store.project import Project, init_project
from voxcart.datasets.store.schema import Clip, Recording
from voxcart.labeler.services import browse

CONDITIONS = ("far", "near", "car", "street")


def _populate(project: Project, n: int, with_meta: bool) -> None:
    with project.session() as session:
        rec = Recording(
            source_path="/bench/long.wav",
            content_hash=f"bench-{n}-{with_meta}",
            format="WAV",
            duration_s=2.0 * n,
            sample_rate=16_000,
            channels=1,
            num_frames=32_000 * n,
        )
        session.add(rec)
        session.flush()
        for start in range(0, n, 10_000):
            rows: list[dict[str, Any]] = [
                {
                    "uid": f"c{i}",
                    "recording_id": rec.id,
                    "offset_s": 2.0 * i,
                    "duration_s": 2.0,
                    "speaker": f"spk{i % 50}",
                    "tags": [],
                    "lineage": {},
                    "meta": (
                        {
                            "condition": CONDITIONS[i % len(CONDITIONS)],
                            "device_model": f"phone-{i % 30}",
                            "region": "EU" if i % 3 else "US",
                        }
                        if with_meta
                        else {}
                    ),
                }
                for i in range(start, min(n, start + 10_000))
            ]
            session.execute(insert(Clip), rows)


def _time(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    """Build both stores, time the calls interleaved, print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        meta = init_project(Path(tmp) / "meta")
        plain = init_project(Path(tmp) / "plain")
        _populate(meta, args.clips, True)
        _populate(plain, args.clips, False)
        far = browse.ClipQuery(meta_name="condition", meta_values=("far",))
        times: dict[str, list[float]] = {k: [] for k in ("plain", "meta", "choices", "filter")}
        for _ in range(args.repeats):
            times["plain"].append(_time(lambda: browse.list_clips(plain)))
            times["meta"].append(_time(lambda: browse.list_clips(meta)))
            times["choices"].append(
                _time(
                    lambda: (
                        browse.metadata_names(meta),
                        browse.metadata_values(meta, "condition"),
                    )
                )
            )
            times["filter"].append(_time(lambda: browse.list_clips(meta, far)))
        med = {k: statistics.median(v) for k, v in times.items()}
        meta.close()
        plain.close()
    print(f"clips: {args.clips} (table shows up to {browse.MAX_ROWS}); repeats: {args.repeats}")
    print(f"list_clips, no metadata:         {med['plain'] * 1000:8.1f} ms")
    print(f"list_clips, 3 metadata names:    {med['meta'] * 1000:8.1f} ms")
    print(f"filter choices (names + values): {med['choices'] * 1000:8.1f} ms")
    print(f"list_clips, meta.condition=far:  {med['filter'] * 1000:8.1f} ms")
    print(f"ratio metadata / no metadata:    {med['meta'] / med['plain']:.2f}")
    print(f"ratio choices / list_clips:      {med['choices'] / med['meta']:.2f}")
    print(f"ratio filtered / unfiltered:     {med['filter'] / med['meta']:.2f}")


if __name__ == "__main__":
    main()
