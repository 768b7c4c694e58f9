"""Active-learning rounds end to end on a tiny demo project: select, resume, status, train."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.model.al_fixtures import al_app
from tests.model.eval_project import MODEL, OTHER, copy_project
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.queue import complete
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import (
    ALRound,
    Clip,
    ModelVersion,
    RevisionStatus,
    Split,
    Suggestion,
    Task,
    TaskState,
)
from voxcart.model.al.rounds import round_status, select_round
from voxcart.model.al.train import train_round
from voxcart.model.errors import ModelError
from voxcart.model.versions import register_model


@pytest.fixture
def demo(demo_root: Path, tmp_path: Path) -> Iterator[Project]:
    project = copy_project(demo_root, tmp_path / "proj")
    yield project
    project.close()


def _tasks(project: Project) -> list[tuple[int, int | None, float, TaskState]]:
    with project.session() as session:
        rows = session.execute(
            select(Task.clip_id, Task.round_id, Task.priority, Task.state).order_by(Task.id)
        )
        return [(int(c), r, float(p), s) for c, r, p, s in rows]


def _label(project: Project, clip_ids: list[int], text: str = "show me sony headphones") -> None:
    """Accept a transcript for each clip as an oracle would, completing its open task."""
    with project.session() as session:
        for clip_id in clip_ids:
            add_revision(session, clip_id, text, RevisionStatus.ACCEPTED, source="test-oracle")
            for task in session.scalars(select(Task).where(Task.clip_id == clip_id)):
                complete(session, task.id, clip_id)


def test_select_queues_the_picks_with_round_and_priority(demo):
    result = select_round(demo, budget="2", seed=0)
    assert (result.number, result.status, result.resumed) == (1, "queued", False)
    assert result.selected_with == OTHER  # the newest model version with suggestions
    assert len(result.clip_ids) == 2 and result.enqueued == 2
    tasks = _tasks(demo)
    assert [(c, r) for c, r, _, _ in tasks] == [(c, result.round_id) for c in result.clip_ids]
    assert [p for _, _, p, _ in tasks] == pytest.approx(result.scores)
    with demo.session() as session:
        row = session.scalars(select(ALRound)).one()
        assert row.params["selection"]["clip_ids"] == list(result.clip_ids)
        assert row.params["strategy"] == "least-confidence" and row.budget == "2"
        assert row.metrics["selected_clips"] == 2
        assert row.metrics["selected_seconds"] == pytest.approx(result.selected_seconds)
    # The next round picks among the clips that are not queued yet.
    second = select_round(demo, model=MODEL, strategy="random", diversity="none", budget="2")
    assert second.number == 2 and second.selected_with == MODEL
    assert not set(second.clip_ids) & set(result.clip_ids)


def test_an_interrupted_round_is_finished_not_repeated(demo):
    first = select_round(demo, budget="2")
    # Interrupted after queueing, before the status was updated.
    with demo.session() as session:
        session.scalars(select(ALRound)).one().status = "selecting"
    again = select_round(demo, budget="3", strategy="random")  # options of the stored round win
    assert (again.number, again.resumed, again.enqueued) == (1, True, 0)
    assert again.clip_ids == first.clip_ids and again.strategy == "least-confidence"
    assert len(_tasks(demo)) == 2
    # Interrupted before the selection was stored: it is chosen again, the same way.
    with demo.session() as session:
        row = session.scalars(select(ALRound)).one()
        row.status = "selecting"
        row.params = {k: v for k, v in row.params.items() if k != "selection"}
        for task in session.scalars(select(Task)):
            session.delete(task)
    resumed = select_round(demo)
    assert resumed.resumed and resumed.clip_ids == first.clip_ids and resumed.enqueued == 2
    with demo.session() as session:
        assert session.scalar(select(func.count()).select_from(ALRound)) == 1
    assert len(_tasks(demo)) == 2


def test_bad_options_create_no_round(demo):
    with pytest.raises(ModelError, match="strategy='bogus'"):
        select_round(demo, strategy="bogus")
    with pytest.raises(ModelError, match="budget='lots'"):
        select_round(demo, budget="lots")
    with pytest.raises(ModelError, match=r"budget='0\.5s' fits no clip"):
        select_round(demo, budget="0.5s")
    with pytest.raises(ModelError, match="no model named 'nope'"):
        select_round(demo, model="nope")
    with demo.session() as session:
        every_clip = list(session.scalars(select(Clip.id)))
    _label(demo, every_clip)
    with pytest.raises(ModelError, match="no unlabelled clip"):
        select_round(demo)
    assert round_status(demo) == []


def test_cli_select_and_status(demo):
    runner = CliRunner()
    root = str(demo.root)
    result = runner.invoke(al_app(), ["al", "select", "-p", root, "--budget", "2", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "round 1 selected: 2 clip(s)" in result.output
    status = runner.invoke(al_app(), ["al", "status", "-p", root])
    assert status.exit_code == 0, status.output
    header, row = status.output.splitlines()[:2]
    assert header.split()[:4] == ["round", "strategy", "budget", "status"]
    cells = row.split()
    assert cells[:5] == ["1", "least-confidence", "2", "queued", "2"] and cells[6] == "0"
    as_json = runner.invoke(al_app(), ["al", "status", "-p", root, "--json"])
    (view,) = json.loads(as_json.output)
    assert view["clips_selected"] == 2 and view["clips_labelled"] == 0 and view["model"] is None
    bad = runner.invoke(al_app(), ["al", "select", "-p", root, "--diversity", "everything"])
    assert bad.exit_code != 0 and "diversity='everything'" in str(bad.exception)


def test_train_builds_the_next_model_and_measures_it_on_dev(demo):
    picked = select_round(demo, budget="2")
    with demo.session() as session:
        dev_clip = session.scalars(select(Clip).where(Clip.id.not_in(picked.clip_ids))).first()
        assert dev_clip is not None
        dev_clip.split = Split.DEV
        dev_id = dev_clip.id
    _label(demo, [*picked.clip_ids, dev_id])
    trained = train_round(demo)
    assert trained.status == "trained" and trained.model == "sphinx-catalog-v3"
    dev = trained.metrics.evaluations["dev"]
    assert dev.reference == "human" and dev.clips == 1 and dev.compare_to == OTHER
    assert isinstance(dev.wer, float) and isinstance(dev.baseline_wer, float)
    assert trained.metrics.clips_labelled == 2
    with demo.session() as session:
        new = session.scalars(select(ModelVersion).where(ModelVersion.name == trained.model)).one()
        assert session.scalars(select(ALRound)).one().model_version_id == new.id
        suggested = set(
            session.scalars(select(Suggestion.clip_id).where(Suggestion.model_version_id == new.id))
        )
    assert dev_id in suggested  # the dev split and the unlabelled pool were suggested again
    (view,) = round_status(demo)
    assert (view.status, view.model, view.clips_labelled) == ("trained", trained.model, 2)
    assert view.dev_wer == pytest.approx(dev.wer) and view.dev_note is None
    with pytest.raises(ModelError, match="already trained"):
        train_round(demo, 1)
    with pytest.raises(ModelError, match="round=7 does not exist"):
        train_round(demo, 7)


def test_cli_train_without_dev_references_says_so(demo):
    picked = select_round(demo, budget="1")
    _label(demo, list(picked.clip_ids))
    result = CliRunner().invoke(al_app(), ["al", "train", "-p", str(demo.root), "--round", "1"])
    assert result.exit_code == 0, result.output
    assert "dev WER: none; not evaluated:" in result.output
    (view,) = round_status(demo)
    assert view.dev_wer is None and view.dev_note and "dev" in view.dev_note


def test_train_refuses_a_backend_it_cannot_train(demo):
    with demo.session() as session:
        ctc = register_model(session, "whisper-test", "whisper", None, {})
        other = session.scalars(select(ModelVersion).where(ModelVersion.name == OTHER)).one()
        for row in session.scalars(
            select(Suggestion).where(Suggestion.model_version_id == other.id)
        ):
            session.add(
                Suggestion(
                    clip_id=row.clip_id,
                    model_version_id=ctc.id,
                    text=row.text,
                    words=row.words,
                    scores=row.scores,
                    nbest=row.nbest,
                )
            )
    select_round(demo, model="whisper-test", budget="1")
    with pytest.raises(ModelError, match="cannot train"):
        train_round(demo)
    assert round_status(demo)[0].status == "queued"
