"""Gold references are never shown in the app: not in the editor, the queue or Explore."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.datasets.gold_project import GOLD_WORDS, build_labelled_project, clip_ids
from tests.labeler.helpers import make_user
from voxcart.datasets.ingest.engine import import_source
from voxcart.datasets.store.clip_filter import ClipFilter
from voxcart.datasets.store.project import Project
from voxcart.labeler.services.annotate import lease_for, load_item
from voxcart.labeler.services.browse import ClipQuery, clip_history, list_clips
from voxcart.labeler.services.queue_fill import fill_queue


def _leaks(value: object) -> set[str]:
    return {word for word in GOLD_WORDS if word in repr(value)}


def test_the_app_never_shows_gold_references(project: Project, tmp_path: Path) -> None:
    files = build_labelled_project(project, tmp_path)
    import_source(project, files.with_new, as_reference=True)
    ids = clip_ids(project)
    # The queue is filled with the unlabelled clips, gold or not, exactly as without gold.
    queued = fill_queue(project, ClipFilter(status="unlabeled"), order="fifo")
    assert len(queued.created) == 3
    with project.session() as session:
        user = make_user(session, "ann")
    held: list[int] = []
    served: list[int] = []
    while (task := lease_for(project, user, holding=held)) is not None:
        item = load_item(project, task)
        held.append(task.task_id)
        served.append(task.clip_id)
        assert item.prefill == "" and item.current_text is None and item.suggestion is None
        assert not _leaks(replace(item, media=None))
    assert sorted(served) == sorted([ids["c"], ids["d"], ids["e"]])
    rows = list_clips(project, ClipQuery())
    assert len(rows) == 5 and not _leaks(rows)
    assert [r.clip_id for r in list_clips(project, ClipQuery(text="quokka"))] == []
    for clip_id in ids.values():
        assert not _leaks(clip_history(project, clip_id))
