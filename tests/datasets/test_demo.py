"""The offline demo: catalog, queries, and a small synthesized project built end to end."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.conftest import write_audio
from voxcart.datasets.demo.build import REFERENCE_SOURCE, DemoSummary, build_demo
from voxcart.datasets.demo.catalog import CSV_COLUMNS, demo_products, write_demo_catalog
from voxcart.datasets.demo.queries import generate_queries
from voxcart.datasets.errors import ProjectError
from voxcart.datasets.ingest.engine import ImportItem, import_items
from voxcart.datasets.store.project import Project, open_project
from voxcart.datasets.store.schema import (
    Catalog,
    Clip,
    ClipReference,
    Product,
    Recording,
    Revision,
    Suggestion,
)
from voxcart.datasets.text.normalize import normalize
from voxcart.labeler.cli.root import build_app

N_CLIPS = 12

# --- catalog ------------------------------------------------------------------------------


def test_catalog_csv_has_a_few_hundred_distinct_products(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    count = write_demo_catalog(path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == count and 250 <= count <= 400
    assert len({row["sku"] for row in rows}) == count
    assert len({row["category"] for row in rows}) >= 15
    brands = {row["brand"] for row in rows}
    assert {"Sony", "Samsung", "Apple", "Dyson", "Nike", "KitchenAid", "Nintendo"} <= brands
    assert all(float(row["price"]) > 0 for row in rows)
    assert any(row["model"] == "WH-1000XM5" for row in rows)
    assert any(row["size"].endswith(" inch") for row in rows)


def test_catalog_is_deterministic_per_seed(tmp_path: Path) -> None:
    write_demo_catalog(tmp_path / "a.csv", seed=3)
    write_demo_catalog(tmp_path / "b.csv", seed=3)
    write_demo_catalog(tmp_path / "c.csv", seed=4)
    a, b, c = ((tmp_path / n).read_bytes() for n in ("a.csv", "b.csv", "c.csv"))
    assert a == b and a != c


# --- queries ------------------------------------------------------------------------------


def test_queries_cover_the_shopping_intents() -> None:
    queries = generate_queries(demo_products(), n=300, seed=0)
    assert len(queries) == 300
    intents = {q.intent for q in queries}
    assert {"search", "filter", "add_to_cart", "remove_from_cart", "order_status", "reorder"} <= (
        intents
    )
    assert any("$" in q.written and "dollars" in q.spoken for q in queries)
    skus = {p.sku for p in demo_products()}
    assert all(q.product_sku is None or q.product_sku in skus for q in queries)
    assert any(q.product_sku for q in queries) and any(q.product_sku is None for q in queries)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(0, 120))
def test_queries_are_distinct_normalized_and_repeatable(seed: int, n: int) -> None:
    products = demo_products()
    queries = generate_queries(products, n=n, seed=seed)
    assert len(queries) == n
    spoken = [q.spoken for q in queries]
    assert len(set(spoken)) == n
    assert all(q.spoken == normalize(q.written) and q.spoken for q in queries)
    assert generate_queries(products, n=n, seed=seed) == queries


def test_query_generation_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n=-1"):
        generate_queries(demo_products(), n=-1)
    with pytest.raises(ValueError, match="catalog_rows"):
        generate_queries([], n=3)


# --- the built project --------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    root = tmp_path_factory.mktemp("demo") / "shop"
    return root, build_demo(root, n_clips=N_CLIPS, seed=0, noise_fraction=0.5)


@pytest.fixture
def opened(built: tuple[Path, DemoSummary]) -> Iterator[Project]:
    project = open_project(built[0])
    yield project
    project.close()


def _fingerprint(project: Project) -> list[tuple[str, str, str]]:
    with project.session() as session:
        rows = session.execute(
            select(ClipReference.text, Recording.content_hash, Clip.speaker)
            .join(Clip, Clip.id == ClipReference.clip_id)
            .join(Recording, Recording.id == Clip.recording_id)
            .order_by(ClipReference.text)
        ).all()
        return [(text, digest, speaker or "") for text, digest, speaker in rows]


def test_demo_clips_are_audible_16k_wavs_by_several_speakers(
    built: tuple[Path, DemoSummary], opened: Project
) -> None:
    root, summary = built
    assert summary.clips == N_CLIPS and summary.new_clips == N_CLIPS
    with opened.session() as session:
        rows = session.execute(
            select(Recording.source_path, Clip.speaker, Clip.origin, Clip.tags).join(Clip)
        ).all()
    assert len(rows) == N_CLIPS
    assert len({row.speaker for row in rows}) > 1 and summary.speakers > 1
    for source_path, _speaker, origin, tags in rows:
        path = Path(source_path)
        assert origin == "demo"
        assert path.is_relative_to(root / "media" / "demo")
        audio, rate = sf.read(path, dtype="float32")
        assert rate == 16_000 and audio.ndim == 1
        assert 20 * np.log10(np.sqrt(np.mean(audio**2))) > -35
        if tags == ["tts"]:  # clean clips: silence was added around the speech
            assert np.max(np.abs(audio[:1600])) < 0.5 * np.max(np.abs(audio))


def test_texts_are_hidden_references_not_labels(opened: Project) -> None:
    with opened.session() as session:
        refs = session.execute(select(ClipReference.text, ClipReference.source)).all()
        assert len(refs) == N_CLIPS
        assert all(source == REFERENCE_SOURCE and text.strip() for text, source in refs)
        assert session.scalar(select(func.count()).select_from(Revision)) == 0
        assert session.scalar(select(func.count()).select_from(Suggestion)) == 0


def test_noise_condition_is_recorded_in_tags(opened: Project) -> None:
    with opened.session() as session:
        tags = list(session.scalars(select(Clip.tags)))
    noisy = [t for t in tags if any(tag.startswith("noise:") for tag in t)]
    assert abs(len(noisy) - N_CLIPS * 0.5) <= 1
    for clip_tags in noisy:
        kind = next(tag for tag in clip_tags if tag.startswith("noise:")).split(":")[1]
        snr = int(next(tag for tag in clip_tags if tag.startswith("snr:")).split(":")[1])
        assert kind in {"pink", "brown", "babble"} and 5 <= snr <= 20


def test_catalog_is_imported_and_splits_assigned(
    built: tuple[Path, DemoSummary], opened: Project
) -> None:
    _root, summary = built
    with opened.session() as session:
        catalog = session.scalars(select(Catalog)).one()
        products = session.scalar(
            select(func.count()).select_from(Product).where(Product.catalog_id == catalog.id)
        )
        splits = set(session.scalars(select(Clip.split)))
    assert products == summary.products == len(demo_products(0))
    assert summary.categories >= 15
    assert None not in splits


def test_same_seed_gives_same_texts_and_audio(
    built: tuple[Path, DemoSummary], opened: Project, tmp_path: Path
) -> None:
    build_demo(tmp_path / "again", n_clips=N_CLIPS, seed=0, noise_fraction=0.5)
    again = open_project(tmp_path / "again")
    try:
        assert _fingerprint(again) == _fingerprint(opened)
    finally:
        again.close()


def test_rerun_is_idempotent(built: tuple[Path, DemoSummary], opened: Project) -> None:
    root, _summary = built
    before = _fingerprint(opened)
    files = sorted(p for p in (root / "media").rglob("*") if p.is_file())
    hashes = [hashlib.sha256(p.read_bytes()).hexdigest() for p in files]
    summary = build_demo(root, n_clips=N_CLIPS, seed=0, noise_fraction=0.5)
    assert summary.new_clips == 0 and summary.clips == N_CLIPS
    assert _fingerprint(opened) == before
    with opened.session() as session:
        assert session.scalar(select(func.count()).select_from(Catalog)) == 1
    after = sorted(p for p in (root / "media").rglob("*") if p.is_file())
    assert after == files
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in after] == hashes


def test_a_longer_demo_extends_a_shorter_one(tmp_path: Path) -> None:
    build_demo(tmp_path / "grow", n_clips=3, seed=5)
    summary = build_demo(tmp_path / "grow", n_clips=5, seed=5)
    assert (summary.clips, summary.new_clips) == (5, 2)


def test_bad_arguments_are_rejected_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="n_clips"):
        build_demo(tmp_path / "x", n_clips=0)
    with pytest.raises(ValueError, match="noise_fraction"):
        build_demo(tmp_path / "x", n_clips=3, noise_fraction=1.5)
    assert not (tmp_path / "x").exists()


def test_demo_refuses_a_project_with_real_clips(project: Project, tmp_path: Path) -> None:
    wav = write_audio(tmp_path / "real.wav", seconds=0.5)
    import_items(project, [ImportItem(path=wav, transcript="hello")], origin="import")
    with pytest.raises(ProjectError, match="of your own"):
        build_demo(project.root, n_clips=2)
    with project.session() as session:
        assert session.scalar(select(func.count()).select_from(Clip)) == 1


def test_cli_builds_a_demo_and_prints_next_steps(tmp_path: Path) -> None:
    result = CliRunner().invoke(build_app(), ["demo", str(tmp_path / "cli"), "--clips", "3"])
    assert result.exit_code == 0, result.output
    assert "3 new" in result.output and "next steps" in result.output
    assert "voxcart stats -p" in result.output
    bad = CliRunner().invoke(build_app(), ["demo", str(tmp_path / "bad"), "--clips", "0"])
    assert bad.exit_code == 2
    assert "Invalid value for '--clips'" in bad.output and not (tmp_path / "bad").exists()
