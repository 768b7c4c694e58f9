"""The sphinx backend: generic en-us LM vs catalog LM, in domain (demo project) and out of domain.

In domain: a demo project (espeak-ng speech of templated shopping queries, a quarter of them
mixed with noise), scored against its gold references. The catalog LM is built from the
catalog and the LM templates only (the demo has no human transcripts, and references are
never used to build it). Out of domain: the real recordings in ../shared/data/speech
(read speech, digits, commands), scored against their MANIFEST.csv transcripts.

Metrics come from the same code as `voxcart eval` (voxcart.model.eval.metrics and
voxcart.model.eval.product_search), so the numbers are comparable:
- WER and CER (jiwer) on normalized text.
- Entity error rate: catalog entity spans of the reference (EntityVocabulary.match) and its
  spoken prices that the hypothesis lacks (multiset match on kind + text), overall and by kind.
- Search success@1/@5: BM25 product search over title, brand, model and category; success
  when the hypothesis's top product (top five) holds the reference's top product (clips whose
  reference retrieves nothing are left out).
- Real-time factor: decoder CPU seconds per audio second (one core) and wall-clock.

    .venv/bin/python bench/bench_sphinx.py [--clips 60] [--workdir /tmp/voxcart-bench-sphinx]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import time
from pathlib import Path

import numpy as np
from sqlalchemy import select

from voxcart.datasets.audio import load_audio
from voxcart.datasets.catalog.store import load_vocabulary
from voxcart.datasets.catalog.vocab import EntityVocabulary
from voxcart.datasets.demo.build import build_demo
from voxcart.datasets.store.project import open_project
from voxcart.datasets.store.schema import Clip, ClipReference, Recording
from voxcart.model.backends.base import ModelSpec, create_backend
from voxcart.model.eval.metrics import ENTITY_KINDS, Metrics, aggregate, score_clip
from voxcart.model.eval.product_search import ProductSearch
from voxcart.model.lm.build import build_catalog_lm
from voxcart.model.versions import find_model, to_spec

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def summarize(
    refs: list[str],
    hyps: list[str],
    vocabulary: EntityVocabulary | None = None,
    search: ProductSearch | None = None,
) -> Metrics:
    """Score every clip with the evaluation metrics and sum them."""
    return aggregate(
        score_clip(r, h, vocabulary=vocabulary, search=search)
        for r, h in zip(refs, hyps, strict=True)
    )


def metric_fields(metrics: Metrics, with_catalog: bool) -> dict[str, float | None]:
    """The benchmark's columns of one model's metrics."""
    fields: dict[str, float | None] = {"wer": _rate(metrics.wer), "cer": _rate(metrics.cer)}
    if with_catalog:
        fields["entity_error_rate"] = _rate(metrics.entity_error_rate)
        for kind in ENTITY_KINDS:
            fields[f"entity_error_{kind}"] = _rate(metrics.entity_rate(kind))
        fields["search_success_at_1"] = _rate(metrics.search_top1)
        fields["search_success_at_5"] = _rate(metrics.search_top5)
    return fields


def decode_all(spec: ModelSpec, audios: list[np.ndarray]) -> tuple[list[str], float, float]:
    backend = create_backend(spec)
    backend.load()
    texts, cpu, wall = [], 0.0, 0.0
    for audio in audios:
        c0, w0 = time.process_time(), time.perf_counter()
        (hyp,) = backend.transcribe([audio])
        cpu += time.process_time() - c0
        wall += time.perf_counter() - w0
        texts.append(hyp.text)
    return texts, cpu, wall


def in_domain(workdir: Path, clips: int) -> dict[str, dict[str, float | None]]:
    root = workdir / "demo"
    build_demo(root, n_clips=clips, seed=0)
    project = open_project(root)
    try:
        report = build_catalog_lm(project)
        with project.session() as session:
            rows = session.execute(
                select(Recording.source_path, Clip.offset_s, Clip.duration_s, ClipReference.text)
                .join(Clip, Clip.recording_id == Recording.id)
                .join(ClipReference, ClipReference.clip_id == Clip.id)
                .order_by(Clip.id)
            ).all()
            vocabulary = load_vocabulary(session)
            search = ProductSearch.from_session(session)
            specs = {
                "generic": to_spec(find_model(session, "sphinx-generic"), project.root),
                "catalog": to_spec(find_model(session, report.model_name), project.root),
            }
    finally:
        project.close()
    audios = [load_audio(path, offset, duration) for path, offset, duration, _ in rows]
    refs = [text for *_, text in rows]
    seconds = sum(a.size for a in audios) / 16_000
    results: dict[str, dict[str, float | None]] = {}
    for label, spec in specs.items():
        hyps, cpu, wall = decode_all(spec, audios)
        metrics = summarize(refs, hyps, vocabulary, search)
        results[label] = {
            "clips": len(refs),
            "audio_s": round(seconds, 1),
            **metric_fields(metrics, with_catalog=True),
            "searchable_clips": metrics.searchable,
            "rtf_cpu_per_core": round(cpu / seconds, 3),
            "rtf_wall": round(wall / seconds, 3),
        }
    return results


def out_of_domain(catalog_spec: ModelSpec) -> dict[str, dict[str, float | None]]:
    manifest = SHARED / "MANIFEST.csv"
    if not manifest.is_file():
        return {}
    with manifest.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["category"] == "speech"]
    audios = [load_audio(SHARED / r["path"]) for r in rows]
    refs = [r["transcript"] for r in rows]
    seconds = sum(a.size for a in audios) / 16_000
    out: dict[str, dict[str, float | None]] = {}
    for label, spec in (
        ("generic", ModelSpec("sphinx-generic", "sphinx")),
        ("catalog", catalog_spec),
    ):
        hyps, cpu, wall = decode_all(spec, audios)
        out[label] = {
            "clips": len(rows),
            "audio_s": round(seconds, 1),
            **metric_fields(summarize(refs, hyps), with_catalog=False),
            "rtf_cpu_per_core": round(cpu / seconds, 3),
            "rtf_wall": round(wall / seconds, 3),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=60)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/voxcart-bench-sphinx"))
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    results = {"in_domain_demo": in_domain(args.workdir, args.clips)}
    project = open_project(args.workdir / "demo")
    try:
        with project.session() as session:
            catalog = to_spec(find_model(session, "sphinx-catalog"), project.root)
    finally:
        project.close()
    results["out_of_domain_shared_speech"] = out_of_domain(catalog)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
