"""The sphinx backend: generic en-us LM vs catalog LM, in domain (demo project) and out of domain.

In domain: a demo project (espeak-ng speech of templated shopping queries, a quarter of them
mixed with noise), scored against its hidden references. The catalog LM is built from the
catalog and the LM templates only (the demo has no human transcripts, and references are
never used to build it). Out of domain: the real recordings in ../shared/data/speech
(read speech, digits, commands), scored against their MANIFEST.csv transcripts.

Metrics:
- WER (jiwer) on normalized text.
- Entity error rate: catalog entity spans of the reference (EntityVocabulary.match) that do
  not appear among the hypothesis's spans (multiset match on kind + text).
- Search success@1: a lexical TF-IDF search over normalized product titles (plus brand and
  model); success when the transcript's top product is the reference's top product (clips
  whose reference retrieves nothing are left out).
- Real-time factor: decoder CPU seconds per audio second (one core) and wall-clock.

    .venv/bin/python bench/bench_sphinx.py [--clips 60] [--workdir /tmp/voxcart-bench-sphinx]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import shutil
import time
from collections import Counter
from pathlib import Path

import jiwer
import numpy as np
from sqlalchemy import select

from voxcart.datasets.audio import load_audio
from voxcart.datasets.catalog import load_vocabulary
from voxcart.datasets.catalog_vocab import EntityVocabulary
from voxcart.datasets.demo import build_demo
from voxcart.datasets.normalize import normalize
from voxcart.datasets.schema import Clip, ClipReference, Product, Recording
from voxcart.datasets.store import open_project
from voxcart.model.backend import ModelSpec, create_backend
from voxcart.model.lm_build import build_catalog_lm
from voxcart.model.versions import find_model, to_spec

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


class TitleSearch:
    """TF-IDF cosine search over normalized product text."""

    def __init__(self, docs: list[tuple[int, str]]) -> None:
        self.ids = [pid for pid, _ in docs]
        tokens = [Counter(text.split()) for _, text in docs]
        df = Counter(w for t in tokens for w in t)
        n = len(docs)
        self.idf = {w: math.log((n + 1) / (c + 0.5)) for w, c in df.items()}
        self.vectors = [self._vec(t) for t in tokens]

    def _vec(self, counts: Counter[str]) -> dict[str, float]:
        vec = {w: c * self.idf.get(w, 0.0) for w, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {w: v / norm for w, v in vec.items()}

    def top(self, query: str) -> int | None:
        q = self._vec(Counter(query.split()))
        best, best_score = None, 0.0
        for pid, vec in zip(self.ids, self.vectors, strict=True):
            score = sum(v * vec.get(w, 0.0) for w, v in q.items())
            if score > best_score:
                best, best_score = pid, score
        return best


def entity_errors(vocabulary: EntityVocabulary, ref: str, hyp: str) -> tuple[int, int]:
    """(missed reference entities, reference entities)."""
    wanted = Counter((s.kind, s.text) for s in vocabulary.match(ref.split()))
    found = Counter((s.kind, s.text) for s in vocabulary.match(hyp.split()))
    total = sum(wanted.values())
    return total - sum((wanted & found).values()), total


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


def in_domain(workdir: Path, clips: int) -> dict[str, dict[str, float]]:
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
            products = session.scalars(select(Product)).all()
            docs = [
                (p.id, normalize(f"{p.title} {p.brand} {p.attributes.get('model', '')}"))
                for p in products
            ]
            specs = {
                "generic": to_spec(find_model(session, "sphinx-generic"), project.root),
                "catalog": to_spec(find_model(session, report.model_name), project.root),
            }
    finally:
        project.close()
    search = TitleSearch(docs)
    audios = [load_audio(path, offset, duration) for path, offset, duration, _ in rows]
    refs = [normalize(text) for *_, text in rows]
    seconds = sum(a.size for a in audios) / 16_000
    results: dict[str, dict[str, float]] = {}
    for label, spec in specs.items():
        hyps, cpu, wall = decode_all(spec, audios)
        missed = total = hits = searchable = 0
        for ref, hyp in zip(refs, hyps, strict=True):
            m, t = entity_errors(vocabulary, ref, hyp)
            missed, total = missed + m, total + t
            target = search.top(ref)
            if target is not None:
                searchable += 1
                hits += int(search.top(hyp) == target)
        results[label] = {
            "clips": len(refs),
            "audio_s": round(seconds, 1),
            "wer": round(jiwer.wer(refs, [h or "<empty>" for h in hyps]), 4),
            "entity_error_rate": round(missed / max(total, 1), 4),
            "search_success_at_1": round(hits / max(searchable, 1), 4),
            "rtf_cpu_per_core": round(cpu / seconds, 3),
            "rtf_wall": round(wall / seconds, 3),
        }
    return results


def out_of_domain(catalog_spec: ModelSpec) -> dict[str, dict[str, float]]:
    manifest = SHARED / "MANIFEST.csv"
    if not manifest.is_file():
        return {}
    with manifest.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["category"] == "speech"]
    audios = [load_audio(SHARED / r["path"]) for r in rows]
    refs = [normalize(r["transcript"]) for r in rows]
    seconds = sum(a.size for a in audios) / 16_000
    out: dict[str, dict[str, float]] = {}
    for label, spec in (
        ("generic", ModelSpec("sphinx-generic", "sphinx")),
        ("catalog", catalog_spec),
    ):
        hyps, cpu, wall = decode_all(spec, audios)
        out[label] = {
            "clips": len(rows),
            "audio_s": round(seconds, 1),
            "wer": round(jiwer.wer(refs, [h or "<empty>" for h in hyps]), 4),
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
