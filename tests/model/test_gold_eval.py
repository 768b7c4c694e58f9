"""`eval --reference gold` on imported gold references, and what gold references never feed."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from tests.datasets.gold_project import GOLD_WORDS, build_labelled_project
from tests.model.eval_project import MODEL, copy_project
from voxcart.datasets.ingest.engine import import_source
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import (
    Clip,
    ClipReference,
    ModelVersion,
    Recording,
    Split,
    Suggestion,
)
from voxcart.model.adapt.corpus import adaptation_corpus
from voxcart.model.al.candidates import pool_clip_ids
from voxcart.model.errors import ModelError
from voxcart.model.eval.evaluate import evaluate
from voxcart.model.lm.corpus import build_corpus
from voxcart.model.train.data import select_training_data


def _take_references(project: Project, tmp_path: Path, where: object = None) -> Path:
    """Remove the demo's references (all, or those of clips matching `where`) and write them
    as a gold manifest (audio path, text) instead."""
    with project.session() as session:
        query = (
            select(Recording.source_path, ClipReference.text, ClipReference.clip_id)
            .join(Clip, Clip.id == ClipReference.clip_id)
            .join(Recording, Recording.id == Clip.recording_id)
            .order_by(Clip.id)
        )
        if where is not None:
            query = query.where(where)
        rows = session.execute(query).all()
        session.execute(
            delete(ClipReference).where(ClipReference.clip_id.in_([r[2] for r in rows]))
        )
    manifest = tmp_path / "gold.csv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "text"])
        for source, text, _clip in rows:
            path = Path(source)
            writer.writerow([path if path.is_absolute() else project.root / path, text])
    return manifest


def test_imported_gold_scores_exactly_like_the_demo_references(demo_root, tmp_path):
    project = copy_project(demo_root, tmp_path / "copy")
    try:
        demo = evaluate(project, MODEL, "all", reference="hidden")
        manifest = _take_references(project, tmp_path)
        with pytest.raises(ModelError, match="no gold references; import them with `voxcart"):
            evaluate(project, MODEL, "all", reference="gold")
        report = import_source(project, manifest, allow_outside=True, as_reference=True)
        assert (report.imported, report.references.stored) == (0, demo.overall.clips)
        gold = evaluate(project, MODEL, "all", reference="gold")
        with project.session() as session:
            sources = set(session.scalars(select(ClipReference.source)))
    finally:
        project.close()
    assert sources == {"import"}
    assert gold.reference == demo.reference == "gold"
    assert gold.transcribed == {MODEL: 0}
    assert [(c.clip_id, c.score) for c in gold.clips] == [(c.clip_id, c.score) for c in demo.clips]
    assert gold.overall.wer == pytest.approx(demo.overall.wer)


def test_only_clips_with_gold_are_transcribed_and_other_splits_are_named(demo_root, tmp_path):
    project = copy_project(demo_root, tmp_path / "copy")
    try:
        with project.session() as session:
            all_ids = list(session.scalars(select(Clip.id).order_by(Clip.id)))
            test_ids = list(
                session.scalars(select(Clip.id).where(Clip.split == Split.TEST).order_by(Clip.id))
            )
            assert test_ids and len(all_ids) > len(test_ids), "the demo has test and train clips"
            model_id = session.scalar(select(ModelVersion.id).where(ModelVersion.name == MODEL))
            session.execute(delete(Suggestion).where(Suggestion.model_version_id == model_id))
        _take_references(project, tmp_path, Clip.id.in_(test_ids))
        with pytest.raises(ModelError, match="gold references are on train") as raised:
            evaluate(project, MODEL, "test", reference="gold")
        assert "voxcart import MANIFEST --as-reference" in str(raised.value)
        # Gold for one clip only: only that clip is decoded, the others are unreferenced.
        manifest = _take_references(project, tmp_path)
        lines = manifest.read_text(encoding="utf-8").splitlines()
        (tmp_path / "one.csv").write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
        import_source(project, tmp_path / "one.csv", allow_outside=True, as_reference=True)
        report = evaluate(project, MODEL, "all", reference="gold")
    finally:
        project.close()
    assert report.transcribed == {MODEL: 1}
    assert len(report.clips) == 1 and report.unreferenced == len(all_ids) - 1


def _corpora(project: Project) -> dict[str, object]:
    data = select_training_data(project, max_clip_seconds=60.0)
    with project.session() as session:
        return {
            "lm": build_corpus(session).sentences,
            "train": [(c.clip_id, c.text) for c in data.train],
            "dev": [(c.clip_id, c.text) for c in data.dev],
            "adapt": [(u.clip_id, u.text) for u in adaptation_corpus(session, project.root)],
            "pool": pool_clip_ids(session),
        }


def test_gold_never_reaches_lm_training_adaptation_or_the_al_pool(project, tmp_path):
    files = build_labelled_project(project, tmp_path)
    before = _corpora(project)
    assert [text for _id, text in before["train"]] == ["sony earbuds under fifty dollars"]
    import_source(project, files.gold, as_reference=True)
    after = _corpora(project)
    assert after == before
    words = {w for sentence in after["lm"] for w in sentence.split()}
    assert not GOLD_WORDS & words
    # A new clip that arrives with a gold set is unlabelled: it joins the AL pool, unlabelled.
    import_source(project, files.with_new, as_reference=True)
    grown = _corpora(project)
    assert {k: v for k, v in grown.items() if k != "pool"} == {
        k: v for k, v in before.items() if k != "pool"
    }
    assert len(grown["pool"]) == len(before["pool"]) + 1


def test_a_segment_never_inherits_its_whole_recordings_reference(demo_root, tmp_path):
    project = copy_project(demo_root, tmp_path / "copy")
    try:
        with project.session() as session:
            parent = session.scalars(select(Clip).order_by(Clip.id)).first()
            for uid, origin in (("seg-part", "segment"), ("aug-part", "augment")):
                session.add(
                    Clip(
                        uid=uid,
                        recording_id=parent.recording_id,
                        duration_s=parent.duration_s,
                        split=Split.TEST,
                        origin=origin,
                        parent_id=parent.id,
                    )
                )
        report = evaluate(project, MODEL, "test", reference="gold")
    finally:
        project.close()
    uids = [c.uid for c in report.clips]
    assert "aug-part" in uids and "seg-part" not in uids
    assert report.unreferenced == 1
