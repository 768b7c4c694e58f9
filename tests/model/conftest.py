"""Fixtures for the model tests: a small catalog, synthesized queries, a built catalog LM."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.model.eval_project import eval_demo_root
from voxcart.datasets.audio import resample
from voxcart.datasets.catalog.store import import_catalog
from voxcart.datasets.demo.catalog import demo_products
from voxcart.datasets.store.project import Project, init_project
from voxcart.model.lm.build import LmBuildReport, build_catalog_lm

SR = 16_000
# A slice of the demo catalog: enough brands and types for the test queries, small enough
# that an LM builds in about a second.
BRANDS = ("Sony", "Apple", "Samsung", "Ninja", "Sennheiser", "Dyson", "Nike")
QUERIES = (
    "show me sony wireless headphones under fifty dollars",
    "add the apple airpods pro to my cart",
    "do you have ninja air fryers",
)


def write_small_catalog(path: Path) -> Path:
    """Write up to 6 demo products per brand (about 40) of a few brands as a catalog CSV."""
    per_brand: dict[str, int] = {}
    rows = []
    for product in demo_products(0):
        if product.brand in BRANDS and per_brand.get(product.brand, 0) < 6:
            per_brand[product.brand] = per_brand.get(product.brand, 0) + 1
            rows.append(product)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "brand", "category", "price", "sku", "color", "size", "model"])
        for p in rows:
            writer.writerow(
                [p.title, p.brand, p.category, p.price, p.sku, p.color, p.size, p.model]
            )
    return path


def speak(text: str, rate_wpm: int = 160, seed: int = 0) -> np.ndarray:
    """Synthesize `text` at 16 kHz with 0.3 s of faint noise before and after."""
    from voxcart.datasets.demo.synth import Voice, synthesize

    audio, sr = synthesize(text, Voice("en-us", "en-US", rate_wpm=rate_wpm))
    speech = resample(audio, sr, SR)
    pad = np.zeros(round(0.3 * SR), dtype=np.float32)
    out = np.concatenate([pad, speech, pad])
    out += np.random.default_rng(seed).standard_normal(out.size).astype(np.float32) * 1e-3
    return out.astype(np.float32)


def add_catalog(project: Project, tmp: Path) -> None:
    """Import the small catalog into the project."""
    import_catalog(project, write_small_catalog(tmp / "catalog.csv"), name="shop")


@pytest.fixture(scope="session")
def lm_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, LmBuildReport]]:
    """A project with the small catalog and its built catalog LM (treat as read-only)."""
    root = tmp_path_factory.mktemp("lm")
    project = init_project(root / "proj")
    add_catalog(project, root)
    report = build_catalog_lm(project)
    yield project, report
    project.close()


@pytest.fixture(scope="session")
def spoken_queries() -> list[np.ndarray]:
    """The test queries, synthesized once per session."""
    return [speak(text, seed=i) for i, text in enumerate(QUERIES)]


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared demo project for evaluation and AL tests (built once per session)."""
    return eval_demo_root(tmp_path_factory)
