"""Catalog LM building: sources, exclusions (hidden references, dev/test), versions, G2P."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import write_audio
from tests.model.conftest import add_catalog
from voxcart.datasets.ingest.engine import ImportItem, import_items
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import Clip, ClipReference, ModelVersion, RevisionStatus, Split
from voxcart.model.errors import ModelError
from voxcart.model.lm.build import LmBuildConfig, build_catalog_lm
from voxcart.model.lm.corpus import CorpusConfig, pluralize, template_queries
from voxcart.model.lm.g2p import CMU_PHONES, ipa_to_cmu, pronounce
from voxcart.model.lm.pron_dict import bundled_dict, read_dict
from voxcart.model.lm.templates import parse_templates


def _clips(project, tmp_path: Path, n: int) -> list[int]:
    items = [
        ImportItem(path=write_audio(tmp_path / "audio" / f"c{i}.wav", 0.5, seed=i), uid=f"c{i}")
        for i in range(n)
    ]
    import_items(project, items, transcripts=False)
    with project.session() as session:
        return list(session.scalars(select(Clip.id).order_by(Clip.id)))


def _corpus(report) -> str:
    return (report.path / "corpus.txt").read_text(encoding="utf-8")


def test_lm_uses_catalog_and_accepted_train_transcripts_only(project, tmp_path):
    add_catalog(project, tmp_path)
    a, b, c, d, e = _clips(project, tmp_path, 5)
    with project.session() as session:
        add_revision(session, a, "Lighthouse telescope", RevisionStatus.ACCEPTED)
        add_revision(session, b, "pineapple umbrella", RevisionStatus.CORRECTED)
        session.get(Clip, b).split = Split.TEST
        add_revision(session, c, "walrus harmonica", RevisionStatus.FLAGGED)
        add_revision(session, d, "volcano trumpet", RevisionStatus.ACCEPTED, is_human=False)
        session.add(ClipReference(clip_id=e, text="zebra giraffe", source="demo-tts"))
    report = build_catalog_lm(project)
    words = set(_corpus(report).split())
    assert "lighthouse" in words and "telescope" in words
    assert words.isdisjoint({"zebra", "giraffe"}), "hidden references must never reach the LM"
    assert words.isdisjoint({"pineapple", "umbrella"}), "test-split transcripts leak"
    assert words.isdisjoint({"walrus", "volcano"})
    assert {"sony", "headphones", "cart"} <= words
    assert report.counts["accepted_transcripts"] == 1
    lm = (report.path / "lm.arpa").read_text(encoding="utf-8")
    assert "\\data\\" in lm and " sony " in lm
    dictionary = read_dict(report.path / "words.dict")
    assert set(dictionary) >= words


def test_rebuild_registers_a_new_version_only_when_the_model_changes(project, tmp_path):
    add_catalog(project, tmp_path)
    (clip,) = _clips(project, tmp_path, 1)
    first = build_catalog_lm(project)
    again = build_catalog_lm(project)
    assert first.created and not again.created and again.model_name == first.model_name
    with project.session() as session:
        add_revision(session, clip, "lighthouse telescope", RevisionStatus.ACCEPTED)
    second = build_catalog_lm(project)
    assert second.created and second.model_name == "sphinx-catalog-v2"
    with project.session() as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.name == second.model_name))
        assert row.parent_id == first.model_id
        assert row.backend == "sphinx" and row.path == "models/sphinx-catalog-v2"
        assert row.config["corpus"]["accepted_transcripts"] == 1
        assert row.config["vocabulary"] == second.vocabulary


def test_empty_project_is_a_clear_error(project):
    with pytest.raises(ModelError, match="catalog"):
        build_catalog_lm(project)


def test_out_of_dictionary_words_get_espeak_pronunciations(project, tmp_path):
    add_catalog(project, tmp_path)
    report = build_catalog_lm(project)
    cmu = bundled_dict()
    assert "sennheiser" not in cmu and "sennheiser" in report.g2p_words
    dictionary = read_dict(report.path / "words.dict")
    phones = dictionary["sennheiser"][0].split()
    assert phones[0] == "S" and set(phones) <= CMU_PHONES


def test_g2p_of_an_invented_brand():
    result = pronounce(["zorvexa", "", "x" * 100, "<b>"])
    assert set(result) == {"zorvexa"}
    phones = result["zorvexa"].split()
    assert phones[0] == "Z" and set(phones) <= CMU_PHONES and len(phones) >= 5


def test_ipa_mapping_drops_stress_and_rejects_unknown_phonemes():
    assert ipa_to_cmu(["tʃ", "ˈɜː", "tʃ"]) == ["CH", "ER", "CH"]
    assert ipa_to_cmu(["ˈɑːɹ", "t"]) == ["AA", "R", "T"]
    with pytest.raises(ModelError, match="IPA_TO_CMU"):
        ipa_to_cmu(["ʘ"])


def test_templates_are_seeded_and_spoken():
    from voxcart.model.lm.corpus import ProductFacts

    products = [ProductFacts("Sony", ("headphones",), "WH-1000XM5", "black", "", 399.99)]
    config = CorpusConfig(queries_per_product=30, seed=4)
    first = template_queries(products, config)
    assert first == template_queries(products, config)
    assert all(q == q.lower() and not any(ch.isdigit() for ch in q) for q in first)
    assert any("w h one thousand x m five" in q for q in first)


def test_bad_template_slot_and_bad_config_are_rejected():
    with pytest.raises(ValueError, match="unknown slot"):
        parse_templates((("search", "show me {colour}"),))
    with pytest.raises(ModelError, match="discount_mass"):
        LmBuildConfig(discount_mass=1.5)
    with pytest.raises(ModelError, match="not allowed"):
        LmBuildConfig(base_name="../escape")


def test_pluralize():
    assert [pluralize(w) for w in ("tv", "watch", "battery", "headphones", "day")] == [
        "tvs",
        "watches",
        "batteries",
        "headphones",
        "days",
    ]


def test_dev_transcripts_tune_the_weights_and_report_perplexity_and_coverage(project, tmp_path):
    add_catalog(project, tmp_path)
    train, dev = _clips(project, tmp_path, 2)
    with project.session() as session:
        add_revision(
            session, train, "show me the cheapest sony headphones", RevisionStatus.ACCEPTED
        )
        add_revision(session, dev, "compare the cheapest sony headphones", RevisionStatus.ACCEPTED)
        session.get(Clip, train).split = Split.TRAIN
        session.get(Clip, dev).split = Split.DEV
    report = build_catalog_lm(project)
    assert report.tuned and set(report.weights) == {"domain", "numbers", "labels", "background"}
    assert sum(report.weights.values()) == pytest.approx(1.0, abs=1e-3)
    assert report.dev is not None and report.dev.words == 5 and report.dev.coverage == 1.0
    assert report.dev.perplexity is not None and report.dev.perplexity > 1.0
    lines = _corpus(report).splitlines()
    assert "compare the cheapest sony headphones" not in lines, "dev text leaked into the corpus"
    assert "show me the cheapest sony headphones" in lines
    with project.session() as session:
        stored = session.scalar(select(ModelVersion).where(ModelVersion.name == report.model_name))
        assert stored is not None and stored.config["dev"]["coverage"] == 1.0
