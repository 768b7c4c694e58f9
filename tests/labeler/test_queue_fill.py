"""`voxcart queue fill`: unlabelled clips queued, least confident suggestion first."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from tests.factories import add_recording
from voxcart.datasets.store.clip_filter import parse_where
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import (
    Clip,
    ModelVersion,
    RevisionStatus,
    Suggestion,
    Task,
)
from voxcart.labeler.cli.root import build_app
from voxcart.labeler.services.queue_fill import fill_queue


def _clips(project: Project) -> list[int]:
    with project.session() as s:
        rec = add_recording(s, "/a.wav", duration_s=9.0)
        model = ModelVersion(name="m", backend="sphinx")
        s.add(model)
        s.flush()
        ids = []
        for i, (conf, tags) in enumerate(
            [(0.9, []), (0.2, []), (None, []), (0.5, []), (0.1, ["segmented"])]
        ):
            clip = Clip(uid=f"c{i}", recording_id=rec.id, offset_s=i, duration_s=1.0, tags=tags)
            s.add(clip)
            s.flush()
            ids.append(clip.id)
            if conf is not None:
                s.add(
                    Suggestion(
                        clip_id=clip.id,
                        model_version_id=model.id,
                        text="x",
                        scores={"min_confidence": conf},
                    )
                )
        add_revision(s, ids[3], "done already", RevisionStatus.ACCEPTED)
        return ids


def test_least_confident_first_skipping_labelled_and_segmented(project: Project) -> None:
    ids = _clips(project)
    result = fill_queue(project, parse_where(["status=unlabeled"]))
    assert len(result.created) == 3
    with project.session() as s:
        tasks = s.execute(select(Task.clip_id, Task.priority).order_by(Task.priority.desc())).all()
    assert [t.clip_id for t in tasks] == [ids[1], ids[0], ids[2]]
    assert tasks[0].priority == 0.8
    again = fill_queue(project, parse_where(["status=unlabeled"]))
    assert again.created == () and len(again.already_open) == 3


def test_cli_fill_and_status(project: Project) -> None:
    _clips(project)
    runner = CliRunner()
    result = runner.invoke(build_app(), ["queue", "fill", "-p", str(project.root), "--limit", "2"])
    assert result.exit_code == 0, result.output
    assert "queued 2 clip(s)" in result.output
    result = runner.invoke(build_app(), ["queue", "status", "-p", str(project.root)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["queue\tstate\ttasks", "annotate\tpending\t2"]
    as_json = runner.invoke(build_app(), ["queue", "status", "-p", str(project.root), "--json"])
    assert json.loads(as_json.output) == [{"kind": "annotate", "state": "pending", "tasks": 2}]


def test_cli_status_of_an_empty_queue_says_how_to_fill_it(project: Project) -> None:
    runner = CliRunner()
    result = runner.invoke(build_app(), ["queue", "status", "-p", str(project.root)])
    assert result.exit_code == 0, result.output
    assert result.output == "the queue is empty; fill it with `voxcart queue fill`\n"
    as_json = runner.invoke(build_app(), ["queue", "status", "-p", str(project.root), "--json"])
    assert json.loads(as_json.output) == []
