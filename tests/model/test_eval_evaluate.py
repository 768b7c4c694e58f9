"""Evaluating models end to end on a tiny demo project: metrics, slices, comparison, reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import write_audio
from tests.factories import add_clip, add_recording
from tests.model.eval_project import MODEL, N_CLIPS, OTHER, copy_project
from voxcart.datasets.ingest.engine import ImportItem, import_items
from voxcart.datasets.store.project import Project, init_project, open_project
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import (
    Clip,
    ClipReference,
    ModelVersion,
    RevisionStatus,
    Split,
    Suggestion,
)
from voxcart.model.errors import ModelError
from voxcart.model.eval.evaluate import evaluate
from voxcart.model.eval.report import render_markdown, write_report


@pytest.fixture
def demo(demo_root: Path) -> Iterator[Project]:
    project = open_project(demo_root)
    yield project
    project.close()


def test_report_has_overall_metrics_and_every_slice(demo):
    report = evaluate(demo, MODEL, "all", reference="hidden")
    assert report.model == MODEL
    assert report.transcribed == {MODEL: 0}  # stored suggestions are reused
    assert report.overall.clips == N_CLIPS == report.selected
    assert 0.0 < report.overall.wer < 1.0
    assert report.overall.entity_error_rate is not None
    assert report.overall.searchable > 0
    assert report.dimensions == ("speaker", "noise", "augmentation", "query_type")
    for dimension in report.dimensions:
        slices = report.slices_of(dimension)
        assert sum(s.metrics.clips for s in slices) == N_CLIPS
        assert sum(s.metrics.ref_words for s in slices) == report.overall.ref_words
    noise = {s.value for s in report.slices_of("noise")}
    assert "clean" in noise and noise & {"pink", "brown", "babble"}
    assert report.reference == "gold" and "GOLD" in report.reference_label
    # Each clip's hypothesis is the stored suggestion of the model.
    with demo.session() as session:
        stored = dict(
            session.execute(
                select(Suggestion.clip_id, Suggestion.text)
                .join(ModelVersion, ModelVersion.id == Suggestion.model_version_id)
                .where(ModelVersion.name == MODEL)
            ).all()
        )
    assert {c.clip_id: c.score.hypothesis for c in report.clips} == stored


def test_the_test_split_alone(demo):
    report = evaluate(demo, MODEL, "test", reference="hidden", slices=("query_type",))
    with demo.session() as session:
        test_clips = session.scalars(select(Clip.id).where(Clip.split == Split.TEST)).all()
    assert [c.clip_id for c in report.clips] == list(test_clips)
    assert report.dimensions == ("query_type",)


def test_compare_to_scores_both_models_on_the_same_clips(demo, tmp_path):
    report = evaluate(demo, MODEL, "all", reference="hidden", compare_to=OTHER)
    assert report.compare_to == OTHER and report.baseline is not None
    assert report.baseline.clips == report.overall.clips == N_CLIPS
    assert report.baseline.ref_words == report.overall.ref_words
    assert all(c.baseline is not None for c in report.clips)
    assert any(c.baseline.hypothesis != c.score.hypothesis for c in report.clips)
    assert all(s.baseline is not None for s in report.slices)
    markdown = render_markdown(report)
    assert f"{OTHER} (before)" in markdown and f"{MODEL} (after)" in markdown
    expected = f"{100 * (report.overall.wer - report.baseline.wer):+.1f} pts"
    assert "| WER | " in markdown and expected in markdown


def test_report_files_json_markdown_png(demo, tmp_path):
    report = evaluate(demo, MODEL, "all", reference="hidden", compare_to=OTHER)
    paths = write_report(report, tmp_path / "out")
    record = json.loads(paths.json.read_text(encoding="utf-8"))
    assert record["reference"] == "gold" and record["compare_to"] == OTHER
    assert record["overall"]["wer"] == pytest.approx(report.overall.wer)
    assert len(record["clips"]) == N_CLIPS and "baseline" in record["clips"][0]
    assert {s["dimension"] for s in record["slices"]} == set(report.dimensions)
    markdown = paths.markdown.read_text(encoding="utf-8")
    assert "GOLD reference texts" in markdown and "](wer_by_slice.png)" in markdown
    assert "### speaker" in markdown
    assert paths.plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Default folder: under the project's reports/.
    default = write_report(report)
    assert default.folder.parent == demo.root / "reports"
    assert default.markdown.is_file()


def test_a_base_name_means_its_newest_version(demo):
    assert evaluate(demo, "sphinx-catalog", "all", reference="hidden").model == OTHER


def test_results_are_recorded_on_the_model_version(demo):
    report = evaluate(demo, MODEL, "all", reference="hidden")
    with demo.session() as session:
        metrics = session.scalar(select(ModelVersion.metrics).where(ModelVersion.name == MODEL))
    assert metrics["eval"]["all/gold"]["wer"] == pytest.approx(report.overall.wer)


def test_human_references_are_current_accepted_or_corrected_human_revisions(demo_root, tmp_path):
    project = copy_project(demo_root, tmp_path / "copy")
    try:
        with project.session() as session:
            ids = session.scalars(select(Clip.id).order_by(Clip.id)).all()
            add_revision(session, ids[0], "Show me Sony headphones", RevisionStatus.ACCEPTED)
            add_revision(session, ids[1], "wrong first", RevisionStatus.ACCEPTED)
            add_revision(session, ids[1], "where is my order", RevisionStatus.CORRECTED)
            add_revision(session, ids[2], "noise", RevisionStatus.FLAGGED)
            add_revision(session, ids[3], "pseudo", RevisionStatus.ACCEPTED, is_human=False)
        report = evaluate(project, MODEL, "all")
    finally:
        project.close()
    assert report.reference == "human" and "human transcripts" in report.reference_label
    assert [c.clip_id for c in report.clips] == [ids[0], ids[1]]
    assert [c.score.reference for c in report.clips] == [
        "show me sony headphones",
        "where is my order",
    ]
    assert report.unreferenced == N_CLIPS - 2


def test_an_augmented_clip_uses_its_source_reference_and_its_own_slice(demo_root, tmp_path):
    project = copy_project(demo_root, tmp_path / "copy")
    try:
        with project.session() as session:
            parent = session.scalars(select(Clip).order_by(Clip.id)).first()
            session.add(
                Clip(
                    uid="aug-copy",
                    recording_id=parent.recording_id,
                    duration_s=parent.duration_s,
                    speaker=parent.speaker,
                    split=Split.TEST,
                    tags=["tts", "aug:far", "testset:far"],
                    origin="augment",
                    parent_id=parent.id,
                )
            )
        report = evaluate(project, MODEL, "test", reference="hidden")
    finally:
        project.close()
    assert report.transcribed == {MODEL: 1}  # only the new clip was decoded
    (augmented,) = [c for c in report.clips if c.uid == "aug-copy"]
    assert augmented.slices["augmentation"] == "testset:far"
    assert augmented.score.reference  # the parent's hidden text
    values = {s.value for s in report.slices_of("augmentation")}
    assert values == {"original", "testset:far"}


def test_a_clip_that_cannot_be_transcribed_is_reported_and_the_rest_evaluated(demo_root, tmp_path):
    project = copy_project(demo_root, tmp_path / "copy")
    try:
        with project.session() as session:
            recording = add_recording(session, tmp_path / "gone.wav", duration_s=2.0)
            clip = add_clip(session, recording, "gone", split=Split.TEST)
            session.add(ClipReference(clip_id=clip.id, text="show me sony tvs", source="test"))
            test_clips = session.scalars(select(Clip.id).where(Clip.split == Split.TEST)).all()
        report = evaluate(project, MODEL, "test", reference="hidden")
    finally:
        project.close()
    assert [s.uid for s in report.skipped] == ["gone"]
    assert "gone.wav" in report.skipped[0].reason or "audio" in report.skipped[0].reason
    assert report.overall.clips == len(test_clips) - 1 >= 1
    assert "gone" in render_markdown(report)


def test_clear_errors(demo, tmp_path):
    with pytest.raises(ModelError, match="no model named 'nope'"):
        evaluate(demo, "nope", "all", reference="hidden")
    with pytest.raises(ModelError, match="no model named 'nope'"):
        evaluate(demo, MODEL, "all", reference="hidden", compare_to="nope")
    with pytest.raises(ModelError, match="itself"):
        evaluate(demo, MODEL, "all", reference="hidden", compare_to="sphinx-catalog-v1")
    with pytest.raises(ModelError, match="split 'dev' has no clips"):
        evaluate(demo, MODEL, "dev", reference="hidden")
    with pytest.raises(ModelError, match="split='validation' is unknown"):
        evaluate(demo, MODEL, "validation", reference="hidden")
    with pytest.raises(ModelError, match="reference='oracle' is unknown; use 'human'"):
        evaluate(demo, MODEL, "all", reference="oracle")
    with pytest.raises(ModelError, match="has a human transcript; accept or correct"):
        evaluate(demo, MODEL, "all")
    with pytest.raises(ModelError, match="slices=\\['accent'\\]"):
        evaluate(demo, MODEL, "all", reference="hidden", slices=("accent",))


def test_no_gold_references_says_how_to_import_them(tmp_path):
    project = init_project(tmp_path / "plain")
    try:
        path = write_audio(tmp_path / "a.wav", seconds=0.5)
        import_items(project, [ImportItem(path=path, uid="a", transcript="hello")])
        for name in ("gold", "hidden"):
            with pytest.raises(ModelError, match="the project has no gold references; import"):
                evaluate(project, "sphinx-generic", "all", reference=name)
        with pytest.raises(ModelError, match="split 'test' has no clips"):
            evaluate(project, "sphinx-generic", "test")
    finally:
        project.close()
