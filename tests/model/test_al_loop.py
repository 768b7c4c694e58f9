"""The simulated annotator, pseudo-labels and `voxcart al run` on a tiny demo project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from tests.model.al_fixtures import al_app
from tests.model.eval_project import MODEL, OTHER, copy_project
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import (
    ALRound,
    Clip,
    ClipReference,
    ModelVersion,
    Revision,
    RevisionStatus,
    Split,
    Task,
    TaskState,
)
from voxcart.model.al.loop import LoopOptions, labels_ready, run_rounds
from voxcart.model.al.oracle import ORACLE_SOURCE, annotate_round
from voxcart.model.al.pseudo import confident_suggestions
from voxcart.model.al.rounds import round_status, select_round
from voxcart.model.al.train import labelled_seconds, train_round
from voxcart.model.errors import ModelError
from voxcart.model.lm.corpus import accepted_transcripts


@pytest.fixture
def demo(demo_root: Path, tmp_path: Path) -> Iterator[Project]:
    project = copy_project(demo_root, tmp_path / "proj")
    with project.session() as session:
        # Four train clips to choose from, one held out for measuring.
        clips = list(session.scalars(select(Clip).order_by(Clip.id)))
        for clip in clips:
            clip.split = Split.TRAIN
        clips[-1].split = Split.TEST
    yield project
    project.close()


def _open_tasks(project: Project) -> int:
    with project.session() as session:
        return int(
            session.scalar(
                select(func.count()).where(Task.state.in_([TaskState.PENDING, TaskState.LEASED]))
            )
            or 0
        )


def test_oracle_labels_a_round_as_non_human_and_completes_its_tasks(demo):
    picked = select_round(demo, budget="2", diversity="none")
    with demo.session() as session:
        model_id = session.scalar(select(ModelVersion.id).where(ModelVersion.name == OTHER))
    result = annotate_round(demo, picked.round_id, model_id)
    assert sorted(result.labelled) == sorted(picked.clip_ids) and result.missing == ()
    assert result.seconds == pytest.approx(picked.selected_seconds)
    with demo.session() as session:
        revisions = list(session.scalars(select(Revision)))
        references = {
            c: t for c, t in session.execute(select(ClipReference.clip_id, ClipReference.text))
        }
        assert {r.clip_id for r in revisions} == set(picked.clip_ids)
        for r in revisions:
            assert (r.source, r.is_human, r.flags) == (ORACLE_SOURCE, False, ["simulated"])
            assert r.verbatim == references[r.clip_id]
            assert r.status in (RevisionStatus.ACCEPTED, RevisionStatus.CORRECTED)
        # Never a human label: the LM only learns from them when told to.
        assert accepted_transcripts(session) == []
        assert len(accepted_transcripts(session, (ORACLE_SOURCE,))) == 2
        assert labelled_seconds(session) == (0, 0.0)
        assert labelled_seconds(session, (ORACLE_SOURCE,))[0] == 2
    assert _open_tasks(demo) == 0


def test_oracle_refuses_a_project_without_references(demo):
    picked = select_round(demo, budget="1")
    with demo.session() as session:
        session.execute(delete(ClipReference))
    with pytest.raises(ModelError, match="no clip of this round has a gold reference"):
        annotate_round(demo, picked.round_id)
    assert _open_tasks(demo) == 1  # nothing was lost: the task is still queued


def test_pseudo_labels_are_counted_never_stored(demo):
    with demo.session() as session:
        model_id = session.scalar(select(ModelVersion.id).where(ModelVersion.name == OTHER))
    everything = confident_suggestions(demo, model_id, 1e-9)
    assert everything.clip_ids and len(everything.texts) == len(everything.clip_ids)
    with demo.session() as session:
        test_ids = set(session.scalars(select(Clip.id).where(Clip.split == Split.TEST)))
    assert not set(everything.clip_ids) & test_ids  # held-out clips never teach the model
    assert len(confident_suggestions(demo, model_id, 1.0).clip_ids) <= len(everything.clip_ids)
    with pytest.raises(ModelError, match=r"min_confidence=1\.5"):
        confident_suggestions(demo, model_id, 1.5)
    select_round(demo, budget="1")
    trained = train_round(demo, pseudo_min_confidence=1e-9, eval_splits=("test",))
    pseudo = trained.metrics.pseudo_labels
    assert pseudo is not None and pseudo.clips == len(everything.clip_ids)
    with demo.session() as session:
        new = session.scalars(select(ModelVersion).where(ModelVersion.name == trained.model)).one()
        assert new.config["corpus"]["pseudo_labels"] == pseudo.clips
        assert session.scalar(select(func.count()).select_from(Revision)) == 0


def test_run_with_the_oracle_chains_rounds_and_resumes_an_open_one(demo):
    # A round left queued by an earlier run is finished first, not selected again.
    first = select_round(demo, budget="1", diversity="none")
    events = []
    options = LoopOptions(
        budget="1", diversity="none", annotator="oracle", eval_splits=("test",), reference="hidden"
    )
    result = run_rounds(demo, 2, options, on_event=events.append)
    assert [(e.round_number, e.step) for e in events] == [
        (1, "labelled"),
        (1, "trained"),
        (2, "selected"),
        (2, "labelled"),
        (2, "trained"),
    ]
    assert [r.number for r in result.trained] == [1, 2] and result.waiting is None
    assert first.clip_ids[0] not in result.trained[1].clip_ids
    totals = [r.metrics.labelled_seconds_total for r in result.trained]
    assert 0 < totals[0] < totals[1]
    assert all(r.metrics.evaluations["test"].wer is not None for r in result.trained)
    with demo.session() as session:
        assert session.scalar(select(func.count()).select_from(ALRound)) == 2


def test_waiting_for_people_stops_at_the_timeout_and_trains_once_labelled(demo):
    options = LoopOptions(budget="2", diversity="none", timeout_s=0, eval_splits=())
    result = run_rounds(demo, 1, options)
    assert result.trained == () and result.waiting == 1
    (round_,) = round_status(demo)
    assert round_.status == "queued"

    def label_everything(_: float) -> None:
        with demo.session() as session:
            row = session.scalars(select(ALRound)).one()
            annotate_round(demo, row.id)

    clock = iter(range(100))
    patient = LoopOptions(budget="2", diversity="none", timeout_s=50, poll_s=1, eval_splits=())
    done = run_rounds(demo, 1, patient, sleep=label_everything, clock=lambda: next(clock))
    assert [r.number for r in done.trained] == [1]


def test_training_can_start_after_enough_new_minutes(demo):
    picked = select_round(demo, budget="3", diversity="none")
    assert not labels_ready(demo, picked.round_id, None)
    with demo.session() as session:
        first = session.get(Clip, picked.clip_ids[0])
        assert first is not None
        session.add(
            Revision(
                clip_id=first.id,
                verbatim="show me sony headphones",
                normalized="show me sony headphones",
                status=RevisionStatus.CORRECTED,
                source="human",
                is_human=True,
            )
        )
        minutes = first.duration_s / 60
    assert labels_ready(demo, picked.round_id, minutes * 0.9)
    assert not labels_ready(demo, picked.round_id, minutes * 1.1)


def test_cli_run_and_status(demo):
    runner = CliRunner()
    args = ["al", "run", "-p", str(demo.root), "--budget", "1", "--diversity", "none"]
    waiting = runner.invoke(al_app(), [*args, "--timeout", "0"])
    assert waiting.exit_code == 3, waiting.output
    assert "still waiting for labels" in waiting.output
    ran = runner.invoke(
        al_app(), [*args, "--annotate", "oracle", "--eval", "test", "--reference", "hidden"]
    )
    assert ran.exit_code == 0, ran.output
    assert "round 1 labelled: 1 clip(s)" in ran.output and "test WER" in ran.output
    status = runner.invoke(al_app(), ["al", "status", "-p", str(demo.root)])
    assert "test WER" in status.output and MODEL.rsplit("-v", 1)[0] in status.output
    bad = runner.invoke(al_app(), [*args, "--annotate", "robot"])
    assert bad.exit_code != 0
    assert "--annotate 'robot' is unknown; use 'wait' or 'oracle'" in str(bad.exception)
