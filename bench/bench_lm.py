"""Catalog LM on a held-out catalog (text only): product-type source, LM build time, and
coverage / perplexity of held-out shopper queries with and without a broad background.

    .venv/bin/python bench/bench_lm.py

The weights are the defaults (text-only: there are no dev clips to attach labels to); the
numbers printed for each configuration are coverage and perplexity (in-vocabulary words only,
so not comparable across rows with different coverage) on all held-out queries. No audio: WER,
entity error and search success need synthesized speech (not done here).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from heldout_catalog import queries, write_catalog

from voxcart.datasets.catalog.store import import_catalog
from voxcart.datasets.store.project import init_project
from voxcart.datasets.text.normalize import normalize
from voxcart.model.lm.arpa import parse_arpa, score_text
from voxcart.model.lm.build import LM_FILE, LmBuildConfig, build_catalog_lm


def main() -> None:
    """Print one row per configuration."""
    test = [normalize(q) for q in queries()]
    with tempfile.TemporaryDirectory() as tmp:
        project = init_project(Path(tmp) / "p")
        summary = import_catalog(project, write_catalog(Path(tmp) / "heldout.csv"))
        print(summary.product_types)
        print(f"{'background words':>18} {'build s':>8} {'coverage':>9} {'perplexity':>11}")
        for words in (0, 2000, 12000):
            start = time.perf_counter()
            report = build_catalog_lm(project, LmBuildConfig(background_words=words))
            seconds = time.perf_counter() - start
            model = parse_arpa((report.path / LM_FILE).read_text(encoding="utf-8"))
            score = score_text(model, test)
            print(
                f"{words:>18} {seconds:>8.1f} {score.coverage:>9.2%} {score.perplexity:>11.1f}"
                f"  missing: {', '.join(score.oov_words[:8])}"
            )
        project.close()


if __name__ == "__main__":
    main()
