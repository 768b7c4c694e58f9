"""The held-out bench data (bench/heldout): deterministic, apart from the demo, self-consistent."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bench.heldout.audio import make_voices, read_manifest, render
from bench.heldout.catalog import PRODUCTS, STYLES, brands, kinds, write_catalog
from bench.heldout.queries import generate_queries, say_model, say_price
from voxcart.datasets.catalog.read import read_catalog
from voxcart.datasets.demo import build as demo_build
from voxcart.datasets.demo.catalog import demo_products
from voxcart.datasets.text.normalize import normalize


def test_same_seed_same_queries_voices_and_catalog(tmp_path: Path) -> None:
    assert generate_queries(80, seed=3) == generate_queries(80, seed=3)
    assert generate_queries(80, seed=3) != generate_queries(80, seed=4)
    assert generate_queries(120, seed=3)[:80] == generate_queries(80, seed=3)
    assert make_voices(10, seed=5) == make_voices(10, seed=5)
    assert make_voices(10, seed=5) != make_voices(10, seed=6)
    for style in STYLES:
        first = write_catalog(tmp_path / "a" / f"{style}.csv", style).read_bytes()
        assert write_catalog(tmp_path / "b" / f"{style}.csv", style).read_bytes() == first


def test_rendered_audio_is_the_same_for_the_same_seed(tmp_path: Path) -> None:
    queries = generate_queries(3, seed=1)
    voices = make_voices(2, seed=1)
    one = read_manifest(render(queries, voices, tmp_path / "one", seed=1, real_data=None))
    two = read_manifest(render(queries, voices, tmp_path / "two", seed=1, real_data=None))
    assert one == two
    assert [r.transcript for r in one] == [q.text for q in queries]
    assert {r.condition for r in one} == {"clean"}  # no real noise given: nothing is noisy
    for row in one:
        assert (tmp_path / "one" / row.path).read_bytes() == (
            tmp_path / "two" / row.path
        ).read_bytes()


def test_noisy_share_uses_real_noise_and_rooms(tmp_path: Path, shared_data: Path) -> None:
    queries = generate_queries(10, seed=2)
    rows = read_manifest(
        render(
            queries,
            make_voices(2, seed=2),
            tmp_path,
            seed=2,
            noisy_share=0.3,
            real_data=shared_data,
        )
    )
    noisy = [r for r in rows if r.condition == "noisy"]
    assert len(noisy) == 3
    assert all((shared_data / "noise" / r.noise).is_file() for r in noisy)
    assert all((shared_data / "rir" / r.rir).is_file() for r in noisy)
    assert all(5 <= int(r.snr_db) <= 20 for r in noisy)


def _words(names: set[str]) -> set[str]:
    return {w for name in names for w in normalize(name).split()}


def test_no_brand_or_product_type_is_shared_with_the_demo() -> None:
    demo = demo_products()
    assert _words(set(brands())).isdisjoint(_words({p.brand for p in demo}))
    demo_types = {p.kind.lower() for p in demo} | {p.category.lower() for p in demo}
    assert set(kinds()).isdisjoint(demo_types)


def test_voices_are_outside_the_demos_variants_rates_and_pitches() -> None:
    for speaker in make_voices(28, seed=0):
        voice = speaker.voice
        assert voice.variant not in demo_build._VARIANTS
        assert not 130 <= voice.rate_wpm <= 200
        assert not 30 <= voice.pitch <= 70


@pytest.mark.parametrize("style", STYLES)
def test_catalog_csv_reads_without_rejections(tmp_path: Path, style: str) -> None:
    parsed = read_catalog(write_catalog(tmp_path / "catalog.csv", style))
    assert len(parsed.records) == len(PRODUCTS)
    assert not parsed.rejected
    with (tmp_path / "catalog.csv").open(newline="", encoding="utf-8") as handle:
        categories = {row["category"] for row in csv.DictReader(handle)}
    if style == "departments":
        assert categories == {"pet", "grocery", "beauty", "auto", "garden", "toys"}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_query_entities_are_in_the_catalog_and_said(seed: int) -> None:
    skus = {p.sku: p for p in PRODUCTS}
    facts = {
        "brand": {p.brand for p in PRODUCTS},
        "kind": set(kinds()),
        "model": {p.model for p in PRODUCTS if p.model},
        "size": {p.size for p in PRODUCTS if p.size},
    }
    queries = generate_queries(240, seed=seed)
    assert len({q.phrasing for q in queries}) >= 20
    for query in queries:
        assert normalize(query.text) == query.text, query  # spoken form: the reference as is
        if query.target_sku:
            target = skus[query.target_sku]
            kinds_said = {e.value for e in query.entities if e.kind == "kind"}
            assert not kinds_said or target.kind in kinds_said, query
        for entity in query.entities:
            if entity.kind in facts:
                assert entity.value in facts[entity.kind], (query, entity)
            if entity.kind in ("brand", "kind"):
                assert normalize(entity.value) in query.text, (query, entity)
            if entity.kind in ("price", "quantity", "number"):
                assert 0 < float(entity.value) < 100_000, (query, entity)


def test_numbers_are_said_as_people_say_them() -> None:
    import numpy as np

    prices = {say_price(14.99, np.random.default_rng(s)) for s in range(40)}
    assert "fourteen ninety nine" in prices
    assert "fourteen dollars and ninety nine cents" in prices
    codes = {say_model("WB-22", np.random.default_rng(s)) for s in range(40)}
    assert codes == {"w b twenty two", "w b two two"}
