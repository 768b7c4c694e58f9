"""Export throughput and memory: 25k / 50k / 100k rows per format, against a raw-query baseline.

Inserts 100,000 recordings + clips + revisions (bulk inserts, plausible paths, no audio) into a
temporary SQLite project, then exports the first N rows of each format (by exporting one
project per size) in a fresh subprocess per run, so that each peak RSS is that run's own.

    .venv/bin/python bench/bench_export.py [--sizes 25000,50000,100000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FORMATS = ("nemo", "csv", "parquet", "kaldi", "lhotse")
WORDS = [
    "show",
    "me",
    "sony",
    "wireless",
    "earbuds",
    "under",
    "fifty",
    "dollars",
    "samsung",
    "galaxy",
    "phone",
    "case",
    "red",
    "running",
    "shoes",
    "size",
    "ten",
    "apple",
    "watch",
    "band",
    "cheap",
    "bluetooth",
    "speaker",
    "waterproof",
    "kids",
    "tablet",
    "with",
    "keyboard",
    "four",
    "k",
    "tv",
    "sixty",
    "five",
    "inch",
    "coffee",
    "maker",
    "stainless",
    "steel",
]


def build(root: Path, rows: int) -> None:
    """A project holding `rows` labelled clips (one recording each) in train/dev/test."""
    from sqlalchemy import insert

    from voxcart.datasets.store.project import init_project
    from voxcart.datasets.store.schema import Clip, Recording, Revision, RevisionStatus, Split

    rng = random.Random(7)
    project = init_project(root)
    splits = [Split.TRAIN] * 8 + [Split.DEV, Split.TEST]
    with project.session() as session:
        for start in range(0, rows, 5000):
            ids = range(start + 1, min(rows, start + 5000) + 1)
            session.execute(
                insert(Recording),
                [
                    {
                        "id": i,
                        "source_path": f"/data/voice/{i % 997:03d}/utt{i:07d}.wav",
                        "content_hash": hashlib.sha256(str(i).encode()).hexdigest(),
                        "format": "WAV",
                        "subtype": "PCM_16",
                        "duration_s": 4.0,
                        "sample_rate": 16000,
                        "channels": 1,
                        "num_frames": 64000,
                        "size_bytes": 128044,
                        "info": {},
                    }
                    for i in ids
                ],
            )
            session.execute(
                insert(Clip),
                [
                    {
                        "id": i,
                        "uid": f"utt{i:07d}",
                        "recording_id": i,
                        "offset_s": 0.25,
                        "duration_s": round(rng.uniform(1.0, 3.5), 3),
                        "speaker": f"spk{i % 1500:04d}",
                        "locale": "en-US",
                        "split": splits[(i % 1500) % 10],
                        "tags": [],
                        "lineage": {},
                    }
                    for i in ids
                ],
            )
            session.execute(
                insert(Revision),
                [
                    {
                        "clip_id": i,
                        "verbatim": " ".join(rng.choices(WORDS, k=rng.randint(3, 9))),
                        "normalized": "",
                        "status": RevisionStatus.ACCEPTED,
                        "flags": [],
                        "is_human": True,
                        "source": "human",
                    }
                    for i in ids
                ],
            )
        session.execute(
            Revision.__table__.update().values(normalized=Revision.__table__.c.verbatim)
        )
    project.close()


def run_one(root: Path, fmt: str, out: Path) -> dict[str, float]:
    """One measurement in this process: an export, or the baseline (`raw`)."""
    import pyarrow.parquet  # noqa: F401  (imports are paid once, not per row)

    from voxcart.datasets.export.exporter import export_dataset
    from voxcart.datasets.store.project import open_project
    from voxcart.datasets.text.normalize import normalize

    normalize("warm up")
    project = open_project(root)
    start = time.perf_counter()
    if fmt == "raw":
        rows = _raw_baseline(project, out)
    else:
        rows = export_dataset(project, out, fmt).total_rows
    seconds = time.perf_counter() - start
    project.close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rows": rows, "seconds": seconds, "peak_mb": peak_kb / 1024}


def _raw_baseline(project: object, out: Path) -> int:
    """SELECT the same columns (clip, recording, newest revision) and json.dumps each row."""
    from sqlalchemy import text

    sql = text(
        "SELECT c.uid, r.source_path, c.offset_s, c.duration_s, v.normalized, c.speaker, "
        "c.locale, c.split FROM clips c JOIN recordings r ON r.id = c.recording_id "
        "JOIN revisions v ON v.id = (SELECT max(id) FROM revisions WHERE clip_id = c.id) "
        "ORDER BY c.id"
    )
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    with project.session() as session, (out / "raw.jsonl").open("w") as handle:  # type: ignore[attr-defined]
        for row in session.execute(sql.execution_options(yield_per=2000)):
            handle.write(json.dumps(dict(row._mapping)) + "\n")
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="25000,50000,100000")
    parser.add_argument("--child", nargs=3, metavar=("ROOT", "FORMAT", "OUT"))
    args = parser.parse_args()
    if args.child:
        root, fmt, out = args.child
        print(json.dumps(run_one(Path(root), fmt, Path(out))))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        results: dict[tuple[int, str], dict[str, float]] = {}
        for size in sizes:
            root = Path(tmp) / f"p{size}"
            started = time.perf_counter()
            build(root, size)
            print(f"built {size} rows in {time.perf_counter() - started:.1f} s", flush=True)
            for fmt in ("raw", *FORMATS):
                proc = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        str(root),
                        fmt,
                        str(Path(tmp) / "out" / f"{size}-{fmt}"),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                results[size, fmt] = json.loads(proc.stdout.strip().splitlines()[-1])
                r = results[size, fmt]
                print(
                    f"  {fmt:<8} {size:>7} rows  {r['rows'] / r['seconds']:>9.0f} rows/s  "
                    f"peak {r['peak_mb']:.0f} MB",
                    flush=True,
                )
        print(
            "\nformat   "
            + "".join(f"{s:>12} rows/s" for s in sizes)
            + "".join(f"{s:>10} MB" for s in sizes)
            + "   vs raw (largest)"
        )
        for fmt in ("raw", *FORMATS):
            rates = [results[s, fmt]["rows"] / results[s, fmt]["seconds"] for s in sizes]
            peaks = [results[s, fmt]["peak_mb"] for s in sizes]
            raw = results[sizes[-1], "raw"]["seconds"]
            ratio = results[sizes[-1], fmt]["seconds"] / raw
            print(
                f"{fmt:<8} "
                + "".join(f"{r:>19.0f}" for r in rates)
                + "".join(f"{p:>13.0f}" for p in peaks)
                + f"   {ratio:>6.1f}x slower"
            )


if __name__ == "__main__":
    main()
