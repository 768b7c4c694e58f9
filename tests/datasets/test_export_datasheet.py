"""Datasheets: split statistics, OOV against train, catalog coverage, JSON + Markdown files."""

from __future__ import annotations

import json
from pathlib import Path

from tests.datasets.export_helpers import add_clip, add_recording
from voxcart.datasets.export.exporter import export_dataset
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Catalog, CatalogTerm


def _setup(project: Project, tmp_path: Path, catalog: bool) -> None:
    with project.session() as session:
        rec = add_recording(session, tmp_path / "audio" / "r.wav", 3.0, seed=1)
        specs = [
            ("t1", "sony headphones", "ann", "train"),
            ("t2", "cheap sony tv", "bob", "train"),
            ("t3", "red shoes", "bob", "train"),
            ("d1", "sony shoes", "cy", "dev"),
            ("d2", "apple watch", "cy", "dev"),
        ]
        for i, (uid, text, spk, split) in enumerate(specs):
            add_clip(
                session, rec, uid, text, speaker=spk, split=split, offset=i * 0.5, duration=0.5
            )
        if catalog:
            cat = Catalog(name="shop")
            session.add(cat)
            session.flush()
            for kind, term in [
                ("brand", "sony"),
                ("brand", "apple"),
                ("type", "smart watch"),
                ("type", "headphones"),
            ]:
                session.add(CatalogTerm(catalog_id=cat.id, kind=kind, term=term, normalized=term))


def test_split_statistics_without_catalog(project: Project, tmp_path: Path) -> None:
    _setup(project, tmp_path, catalog=False)
    result = export_dataset(project, tmp_path / "out", "nemo")
    sheet = json.loads(result.datasheet_path.read_text())
    train, dev = sheet["splits"]["train"], sheet["splits"]["dev"]
    assert (train["clips"], train["speakers"], train["vocabulary"], train["running_words"]) == (
        3,
        2,
        6,
        7,
    )
    assert train["hours"] == round(1.5 / 3600, 6)
    assert train["train_oov_rate"] is None
    assert dev["train_oov_rate"] == 0.5  # "apple", "watch" of four running words
    assert dev["catalog_coverage"] is None and sheet["catalog_terms"] is None
    markdown = (result.path / "datasheet.md").read_text()
    assert "| dev | 2 |" in markdown and result.content_hash in markdown


def test_catalog_coverage(project: Project, tmp_path: Path) -> None:
    _setup(project, tmp_path, catalog=True)
    result = export_dataset(project, tmp_path / "out", "csv")
    sheet = json.loads(result.datasheet_path.read_text())
    train, dev = sheet["splits"]["train"], sheet["splits"]["dev"]
    assert sheet["catalog_terms"] == 4
    # train hears "sony" and "headphones": 2 of 4 terms; clips t1, t2 name one.
    assert (train["catalog_terms_covered"], train["catalog_coverage"]) == (2, 0.5)
    assert train["clips_with_entity"] == round(2 / 3, 6)
    # catalog words: sony, apple, smart, watch, headphones; train lacks apple, smart, watch.
    assert (train["catalog_oov_words"], train["catalog_oov_rate"]) == (3, 0.6)
    # dev: "sony", "apple" covered ("smart watch" is not: only "watch" is said).
    assert dev["catalog_terms_covered"] == 2 and dev["clips_with_entity"] == 1.0
