"""Filling the suggestion pool: resumable batches, per-clip failures, filters, the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.factories import add_clip, add_recording
from tests.model.conftest import QUERIES, SR, add_catalog, speak
from voxcart.datasets.audio import write_wav
from voxcart.datasets.errors import ClipFilterError
from voxcart.datasets.ingest.engine import ImportItem, import_items
from voxcart.datasets.store.clip_filter import ClipFilter, parse_where
from voxcart.datasets.store.project import Project, init_project
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import Clip, RevisionStatus, Suggestion
from voxcart.model.backends.hypothesis import hypothesis_from_row
from voxcart.model.cli import suggest_cmd as cli
from voxcart.model.errors import ModelError
from voxcart.model.lm.build import build_catalog_lm
from voxcart.model.suggest import suggest

TEXTS = (*QUERIES, "where is my order")


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("media")
    for i, text in enumerate(TEXTS):
        write_wav(folder / f"q{i}.wav", speak(text, seed=i), SR)
    return folder


@pytest.fixture
def shop(tmp_path: Path, media: Path) -> Iterator[Project]:
    """A project with the small catalog, its LM, and one clip per test query."""
    project = init_project(tmp_path / "shop")
    add_catalog(project, tmp_path)
    build_catalog_lm(project)
    items = [ImportItem(path=media / f"q{i}.wav", uid=f"q{i}") for i in range(len(TEXTS))]
    import_items(project, items, transcripts=False)
    yield project
    project.close()


def _bad_clip(project: Project, path: Path, uid: str, offset: float, duration: float) -> int:
    with project.session() as session:
        recording = add_recording(
            session, path, content_hash=uid.ljust(64, "0"), duration_s=offset + duration
        )
        return add_clip(session, recording, uid, offset_s=offset, duration_s=duration).id


def _suggestion_counts(project: Project) -> dict[int, int]:
    with project.session() as session:
        rows = session.execute(
            select(Suggestion.clip_id, func.count()).group_by(Suggestion.clip_id)
        ).all()
    return {clip_id: count for clip_id, count in rows}


def test_suggest_resumes_after_a_limit_and_after_a_kill(shop):
    first = suggest(shop, batch_size=1, limit=1)
    assert first.suggested == 1 and first.model_name == "sphinx-catalog-v1"

    def kill_after_first_batch(done: int, _total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        suggest(shop, batch_size=1, progress=kill_after_first_batch)
    assert len(_suggestion_counts(shop)) == 2, "the batch before the kill is committed"

    rest = suggest(shop, batch_size=2)
    assert rest.skipped_existing == 2 and rest.suggested == len(TEXTS) - 2
    counts = _suggestion_counts(shop)
    assert len(counts) == len(TEXTS) and set(counts.values()) == {1}
    again = suggest(shop)
    assert again.suggested == 0 and again.skipped_existing == len(TEXTS)


def test_suggestion_rows_hold_typed_hypotheses(shop):
    suggest(shop, batch_size=4)
    with shop.session() as session:
        rows = session.scalars(select(Suggestion).order_by(Suggestion.clip_id)).all()
        hypotheses = [hypothesis_from_row(r.text, r.words, r.scores, r.nbest) for r in rows]
    assert [h.text for h in hypotheses][:2] == list(TEXTS[:2])
    for hypothesis in hypotheses:
        assert all(0.0 <= w.confidence <= 1.0 for w in hypothesis.words)
        assert hypothesis.nbest and hypothesis.nbest[0].text == hypothesis.text


def test_bad_clips_are_reported_and_skipped(shop, media, tmp_path):
    silent = tmp_path / "silent.wav"
    write_wav(silent, np.zeros(SR, dtype=np.float32), SR)
    bad = {
        _bad_clip(shop, silent, "silent", 0.0, 1.0): "silent",
        _bad_clip(shop, media / "q0.wav", "short", 0.5, 0.02): "at least",
        _bad_clip(shop, media / "q0.wav", "long", 0.0, 3600.0): "at most",
        _bad_clip(shop, tmp_path / "gone.wav", "gone", 0.0, 1.0): "gone.wav",
    }
    report = suggest(shop, batch_size=3)
    assert report.suggested == len(TEXTS) and report.failed == len(bad)
    for failure in report.failures:
        assert bad[failure.clip_id] in failure.reason
    assert report.error_log is not None and len(report.error_log.read_text().splitlines()) == 4
    assert set(_suggestion_counts(shop)) & set(bad) == set()


def test_worker_processes_write_what_one_process_writes(shop, media, tmp_path):
    # Same suggestions, bad clips reported with their reasons, progress up to every clip.
    silent = tmp_path / "silent.wav"
    write_wav(silent, np.zeros(SR, dtype=np.float32), SR)
    bad = _bad_clip(shop, silent, "silent", 0.0, 1.0)
    seen: list[int] = []
    report = suggest(shop, batch_size=2, workers=2, progress=lambda done, _t: seen.append(done))
    assert report.suggested == len(TEXTS) and report.failed == 1
    assert report.failures[0].clip_id == bad and "silent" in report.failures[0].reason
    assert seen[-1] == len(TEXTS) + 1 and seen == sorted(seen)
    assert report.backend_version.startswith("pocketsphinx")
    with shop.session() as session:
        parallel = {r.clip_id: r.text for r in session.scalars(select(Suggestion))}
        session.execute(Suggestion.__table__.delete())
    suggest(shop, batch_size=2)
    with shop.session() as session:
        serial = {r.clip_id: r.text for r in session.scalars(select(Suggestion))}
    assert parallel == serial and bad not in parallel


def test_workers_need_their_own_backend(shop):
    with pytest.raises(ModelError, match="workers"):
        suggest(shop, workers=0)
    with pytest.raises(ModelError, match="cannot be shared"):
        suggest(shop, workers=2, backend=object())  # type: ignore[arg-type]


def test_where_filters_clips(shop):
    with shop.session() as session:
        first_id = session.scalar(select(func.min(Clip.id)))
        add_revision(session, first_id, "show me sony headphones", RevisionStatus.ACCEPTED)
    report = suggest(shop, flt=parse_where(["status=unlabeled"]))
    assert report.selected == len(TEXTS) - 1
    assert first_id not in _suggestion_counts(shop)
    accepted = suggest(shop, flt=ClipFilter(status="accepted"))
    assert accepted.selected == 1 and accepted.suggested == 1


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("status", "FIELD=VALUE"),
        ("colour=red", "unknown field"),
        ("status=done", "unlabeled"),
        ("split=holdout", "train"),
        ("id=abc", "whole number"),
    ],
)
def test_bad_where_conditions(condition, message):
    with pytest.raises(ClipFilterError, match=message):
        parse_where([condition])


def test_unknown_model_and_bad_batch_size(shop):
    with pytest.raises(ModelError, match="registered models: sphinx-catalog-v1"):
        suggest(shop, model="whisper")
    with pytest.raises(ModelError, match="batch_size"):
        suggest(shop, batch_size=0)


def test_cli_builds_and_suggests(tmp_path, media):
    project = init_project(tmp_path / "cli")
    add_catalog(project, tmp_path)
    import_items(project, [ImportItem(path=media / "q3.wav", uid="q3")], transcripts=False)
    project.close()
    app = typer.Typer()
    cli.register(app)
    runner = CliRunner()
    built = runner.invoke(app, ["lm", "build", "-p", str(tmp_path / "cli")])
    assert built.exit_code == 0, built.output
    assert "registered sphinx-catalog-v1" in built.output
    # No dev labels: the build says it fitted no calibration, and why.
    assert "only 0 labelled dev reference word(s)" in built.output
    assert "sphinx-catalog-v1 stays uncalibrated" in built.output
    result = runner.invoke(
        app, ["suggest", "-p", str(tmp_path / "cli"), "--where", "status=unlabeled"]
    )
    assert result.exit_code == 0, result.output
    assert "1 suggestion(s) written" in result.output
    bad = runner.invoke(app, ["suggest", "-p", str(tmp_path / "cli"), "--where", "x=1"])
    assert bad.exit_code != 0
    assert "--where 'x=1': unknown field 'x'; use status, split" in str(bad.exception)
