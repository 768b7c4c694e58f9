"""Double annotation: choice of clips, the second-pass queue, independence, agreement, review."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.labeler.annotate_support import add_suggestion
from tests.labeler.app_support import annotate, make_accounts, make_audio_clips, page
from tests.labeler.helpers import make_clips, make_users
from voxcart.datasets.store.config import LabelingConfig, ProjectConfig
from voxcart.datasets.store.project import Project, init_project
from voxcart.datasets.store.queue import SECOND_PASS_KIND, enqueue, lease_next
from voxcart.datasets.store.revisions import current_transcripts
from voxcart.datasets.store.schema import Clip, RevisionStatus, Task, TaskState, utcnow
from voxcart.labeler.pages import review as review_page
from voxcart.labeler.services import double_annotation, review
from voxcart.labeler.services.annotate import lease_for, next_item
from voxcart.labeler.services.editor_events import apply_event, parse_event
from voxcart.labeler.services.submit import SUBMIT_SOURCE, submit

WORDS = [("sony", 0.9), ("wireless", 0.9), ("earbuds", 0.9)]


def _project(tmp_path: Path, fraction: float, seed: int = 7) -> Project:
    config = ProjectConfig(labeling=LabelingConfig(double_annotation=fraction, seed=seed))
    return init_project(tmp_path / f"p{fraction}-{seed}", config)


@pytest.fixture
def doubled(tmp_path: Path) -> Iterator[Project]:
    """A project where every clip is double-annotated."""
    project = _project(tmp_path, 1.0)
    yield project
    project.close()


def _second_tasks(project: Project) -> list[Task]:
    with project.session() as session:
        return list(session.scalars(select(Task).where(Task.kind == SECOND_PASS_KIND)))


def _annotate(project: Project, user: int, clip: int, text: str) -> int:
    """Lease-free submit on top of the clip's newest revision; returns the revision id."""
    with project.session() as session:
        current = current_transcripts(session, [clip]).get(clip)
    base = current.revision_id if current is not None else None
    return submit(project, user, None, clip, text, "corrected", base_revision_id=base).revision_id


def _second_pass(project: Project, user: int, texts: dict[int, str]) -> None:
    """Lease second-pass tasks as the annotate page does and submit `texts[clip]` for each."""
    for _ in texts:
        task = lease_for(project, user)
        assert task is not None and task.kind == SECOND_PASS_KIND
        with project.session() as session:
            current = current_transcripts(session, [task.clip_id])[task.clip_id]
        submit(
            project,
            user,
            task.task_id,
            task.clip_id,
            texts[task.clip_id],
            "corrected",
            base_revision_id=current.revision_id,
        )


def test_choice_is_deterministic_and_respects_the_fraction() -> None:
    uids = [f"clip-{i:05d}" for i in range(4000)]
    config = LabelingConfig(double_annotation=0.2, seed=7)
    chosen = {u for u in uids if double_annotation.is_chosen(u, config)}
    assert 0.17 < len(chosen) / len(uids) < 0.23
    assert chosen == {u for u in uids if double_annotation.is_chosen(u, config)}
    reseeded = {u for u in uids if double_annotation.is_chosen(u, LabelingConfig(0.2, seed=8))}
    assert reseeded != chosen
    assert not any(double_annotation.is_chosen(u, LabelingConfig(0.0)) for u in uids)
    assert all(double_annotation.is_chosen(u, LabelingConfig(1.0)) for u in uids)


def test_human_source_matches_the_submit_service() -> None:
    assert double_annotation.HUMAN_SOURCE == SUBMIT_SOURCE


def test_submits_queue_second_passes_for_exactly_the_chosen_clips(tmp_path: Path) -> None:
    project = _project(tmp_path, 0.3, seed=11)
    clips = make_clips(project, 60)
    (user,) = make_users(project, 1)
    with project.session() as session:
        enqueue(session, clips, 2.5)
        uids = {int(cid): str(uid) for cid, uid in session.execute(select(Clip.id, Clip.uid))}
    while (task := lease_next(project, user)) is not None:
        submit(project, user, task.task_id, task.clip_id, "sony earbuds", "corrected")
    expected = {c for c in clips if double_annotation.is_chosen(uids[c], project.config.labeling)}
    seconds = _second_tasks(project)
    assert {t.clip_id for t in seconds} == expected and 0 < len(expected) < len(clips)
    assert all(t.priority == 2.5 and t.state is TaskState.PENDING for t in seconds)
    project.close()


def test_fraction_zero_changes_nothing(project: Project) -> None:
    clips = make_clips(project, 5)
    user, other = make_users(project, 2)
    for clip in clips:
        _annotate(project, user, clip, "sony earbuds")
    assert _second_tasks(project) == []
    assert lease_for(project, other) is None
    assert {i.clip_id for i in review.pending_reviews(project)} == set(clips)
    assert all(not i.conflict and len(i.versions) == 1 for i in review.pending_reviews(project))


def test_skips_and_flags_do_not_queue_a_second_pass(doubled: Project) -> None:
    a, b = make_clips(doubled, 2)
    (user,) = make_users(doubled, 1)
    submit(doubled, user, None, a, "", "skipped", flags=["noise"])
    submit(doubled, user, None, b, "sony", "flagged", flags=["unsure"])
    assert _second_tasks(doubled) == []


def test_second_pass_is_never_leased_to_the_first_annotator(doubled: Project) -> None:
    (clip,) = make_clips(doubled, 1)
    first, second = make_users(doubled, 2)
    _annotate(doubled, first, clip, "sony earbuds")
    assert len(_second_tasks(doubled)) == 1
    assert lease_next(doubled, first, SECOND_PASS_KIND) is None
    assert lease_for(doubled, first) is None
    # Not even once another annotator's lease on it has expired.
    task = lease_next(doubled, second, SECOND_PASS_KIND, lease_s=1)
    assert task is not None and task.clip_id == clip
    later = utcnow() + timedelta(seconds=60)
    assert lease_next(doubled, first, SECOND_PASS_KIND, now=later) is None
    assert lease_next(doubled, second, SECOND_PASS_KIND, now=later) is not None


def test_second_pass_exclusion_holds_under_concurrent_leasing(doubled: Project) -> None:
    clips = make_clips(doubled, 20)
    users = make_users(doubled, 5)
    first_by_clip = {clip: users[i % 5] for i, clip in enumerate(clips)}
    for clip, user in first_by_clip.items():
        _annotate(doubled, user, clip, "sony earbuds")
    leased: list[list[tuple[int, int]]] = [[] for _ in users]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(users))

    def work(i: int) -> None:
        try:
            barrier.wait()
            while (task := lease_next(doubled, users[i], SECOND_PASS_KIND)) is not None:
                leased[i].append((task.task_id, task.clip_id))
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    every = [pair for got in leased for pair in got]
    assert len(every) == len({tid for tid, _ in every}) == len(clips)
    for i, got in enumerate(leased):
        assert all(first_by_clip[clip] != users[i] for _, clip in got)


def test_second_annotator_sees_the_suggestion_not_the_first_text(tmp_path: Path) -> None:
    project = _project(tmp_path, 1.0)
    accounts = make_accounts(project)
    (clip,) = make_audio_clips(project, 1)
    add_suggestion(project, clip, WORDS)
    (other,) = make_users(project, 1)
    with project.session() as session:
        enqueue(session, [clip], 1.0)
    first = next_item(project, accounts.annotator)
    assert first is not None and not first.second_pass
    event = parse_event(
        {"action": "submit", "nonce": "n1", "task_id": first.task.task_id, "text": "sony buds"}
    )
    assert event is not None
    outcome = apply_event(project, accounts.annotator, first, event)  # the app's submit path
    assert outcome.status is RevisionStatus.CORRECTED
    assert next_item(project, accounts.annotator) is None
    item = next_item(project, other)
    assert item is not None and item.second_pass and item.task.kind == SECOND_PASS_KIND
    assert item.prefill == "sony wireless earbuds"
    assert item.current_text is None and "buds" not in item.prefill.split()
    assert outcome.result is not None and item.base_revision_id == outcome.result.revision_id
    project.close()


def test_agreement_wer_and_conflict_reach_review(doubled: Project) -> None:
    accounts = make_accounts(doubled)
    same, differ = make_clips(doubled, 2)
    (other,) = make_users(doubled, 1)
    for clip in (same, differ):
        _annotate(doubled, accounts.annotator, clip, "sony wireless earbuds")
    # Held back from review until the second pass is in.
    assert review.pending_reviews(doubled) == [] and review.count_pending_reviews(doubled) == 0
    _second_pass(doubled, other, {same: "Sony  wireless earbuds", differ: "sony wireless ear buds"})
    assert all(t.state is TaskState.DONE for t in _second_tasks(doubled))
    items = {i.clip_id: i for i in review.pending_reviews(doubled)}
    assert set(items) == {same, differ} and review.count_pending_reviews(doubled) == 2
    assert not items[same].conflict and len(items[same].versions) == 2
    conflict = items[differ]
    assert conflict.conflict
    assert [v.text for v in conflict.versions] == [
        "sony wireless earbuds",
        "sony wireless ear buds",
    ]
    assert [v.username for v in conflict.versions] == ["annotator", "ann0"]
    report = review.agreement(doubled)
    assert report.clips == 2 and report.exact_match == 0.5
    assert report.pairs[0].clip_id == differ and report.pairs[0].wer == pytest.approx(2 / 3)
    # Adjudication: the reviewer picks the first version; the clip leaves the queue.
    review.edit(doubled, accounts.reviewer, differ, conflict.revision_id, conflict.versions[0].text)
    review.approve(doubled, accounts.reviewer, same, items[same].revision_id)
    assert review.pending_reviews(doubled) == []
    # No third pass after two annotators.
    assert len(_second_tasks(doubled)) == 2


def test_edit_outside_the_queue_cancels_the_open_second_pass(doubled: Project) -> None:
    (clip,) = make_clips(doubled, 1)
    first, second = make_users(doubled, 2)
    _annotate(doubled, first, clip, "sony earbuds")
    _annotate(doubled, second, clip, "sony ear buds")
    assert [t.state for t in _second_tasks(doubled)] == [TaskState.CANCELLED]
    (item,) = review.pending_reviews(doubled)
    assert item.conflict and len(item.versions) == 2


def test_review_page_shows_a_conflict_with_both_versions(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOXCART_PROJECT", str(project.root))
    monkeypatch.delenv("VOXCART_DB", raising=False)
    accounts = make_accounts(project)
    (clip,) = make_audio_clips(project, 1)
    annotate(project, clip, accounts.annotator, "apple watch band")
    annotate(project, clip, accounts.lead, "apple watch bands")
    at = page("review", accounts.reviewer).run()
    assert not at.exception
    [component] = at.get("component_instance")
    args = json.loads(component.proto.json_args)
    # The editor's note names the conflict and both annotators' versions.
    assert "Conflict" in args["note"]
    assert "apple watch band /" in args["note"] and "apple watch bands" in args["note"]
    # Adjudicate by keyboard: Ctrl+Enter with the first version's text saves it as an edit.
    event = {"action": "submit", "nonce": "n-1", "task_id": clip, "text": "apple watch band"}
    at.session_state[review_page.EDITOR_KEY] = event
    at.run()
    assert not at.exception
    assert review.pending_reviews(project) == []
    with project.session() as session:
        assert current_transcripts(session, [clip])[clip].verbatim == "apple watch band"
