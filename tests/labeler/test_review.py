"""Review service: approve, reject, edit as revisions; the derived queue; agreement."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.labeler.app_support import annotate, make_accounts
from tests.labeler.helpers import make_clips
from voxcart.datasets.store.schema import Revision, RevisionStatus, Task, TaskState
from voxcart.labeler.errors import PermissionDeniedError, StaleEditError, SubmitError
from voxcart.labeler.services import review


@pytest.fixture
def setup(project):
    accounts = make_accounts(project)
    clips = make_clips(project, 3)
    revs = [
        annotate(project, c, accounts.annotator, f"sony earbuds {i}") for i, c in enumerate(clips)
    ]
    return accounts, clips, revs


def _newest(project, clip_id) -> Revision:
    with project.session() as session:
        return session.scalars(
            select(Revision).where(Revision.clip_id == clip_id).order_by(Revision.id.desc())
        ).first()


def test_queue_lists_unreviewed_human_annotations_oldest_first(project, setup):
    _, clips, revs = setup
    items = review.pending_reviews(project)
    assert [i.clip_id for i in items] == clips
    assert [i.revision_id for i in items] == revs
    assert items[0].annotator == "annotator"
    assert review.count_pending_reviews(project) == 3


def test_approve_copies_text_as_reviewed_and_leaves_the_queue(project, setup):
    acc, clips, revs = setup
    result = review.approve(project, acc.reviewer, clips[0], revs[0])
    rev = _newest(project, clips[0])
    assert rev.id == result.revision_id
    assert (rev.status, rev.source, rev.flags, rev.verbatim, rev.user_id) == (
        RevisionStatus.REVIEWED, "review:approve", ["reviewed"], "sony earbuds 0", acc.reviewer,
    )  # fmt: skip
    assert rev.previous_id == revs[0]
    assert clips[0] not in [i.clip_id for i in review.pending_reviews(project)]


def test_reject_flags_with_reason_and_requeues(project, setup):
    acc, clips, revs = setup
    result = review.reject(project, acc.lead, clips[1], revs[1], "missed the {brand} name")
    rev = _newest(project, clips[1])
    assert rev.status is RevisionStatus.FLAGGED
    assert rev.flags == ["rejected:missed the {brand} name"]
    assert "missed the {brand} name" in rev.note
    with project.session() as session:
        task = session.get(Task, result.requeued_task_id)
        assert (task.clip_id, task.kind, task.state) == (clips[1], "annotate", TaskState.PENDING)


def test_reject_needs_a_reason(project, setup):
    acc, clips, revs = setup
    with pytest.raises(SubmitError, match="needs a reason"):
        review.reject(project, acc.reviewer, clips[1], revs[1], "   ")
    assert _newest(project, clips[1]).id == revs[1]


def test_edit_writes_a_reviewed_revision(project, setup):
    acc, clips, revs = setup
    review.edit(project, acc.reviewer, clips[2], revs[2], "sony wireless earbuds")
    rev = _newest(project, clips[2])
    assert (rev.status, rev.source, rev.flags, rev.verbatim) == (
        RevisionStatus.REVIEWED, "review:edit", ["reviewed"], "sony wireless earbuds",
    )  # fmt: skip


def test_annotator_cannot_review(project, setup):
    acc, clips, revs = setup
    with pytest.raises(PermissionDeniedError, match="annotator"):
        review.approve(project, acc.annotator, clips[0], revs[0])
    assert _newest(project, clips[0]).id == revs[0]


def test_stale_review_is_refused(project, setup):
    acc, clips, revs = setup
    newer = annotate(project, clips[0], acc.annotator, "sony headphones")
    with pytest.raises(StaleEditError) as info:
        review.approve(project, acc.reviewer, clips[0], revs[0])
    assert info.value.newer.revision_id == newer


def test_agreement_pairs_different_annotators(project):
    acc = make_accounts(project)
    clips = make_clips(project, 2)
    annotate(project, clips[0], acc.annotator, "sony wireless earbuds")
    annotate(project, clips[0], acc.lead, "sony wireless headphones")
    annotate(project, clips[1], acc.annotator, "apple watch")
    annotate(project, clips[1], acc.annotator, "apple watch band")  # same user: not a pair
    report = review.agreement(project)
    assert report.clips == 1
    (pair,) = report.pairs
    assert (pair.user_a, pair.user_b) == ("annotator", "lead")
    assert pair.wer == pytest.approx(1 / 3)
    assert report.pooled_wer == pytest.approx(1 / 3)
    assert report.exact_match == 0.0


def test_agreement_without_double_annotation_is_empty(project, setup):
    report = review.agreement(project)
    assert (report.pairs, report.clips, report.pooled_wer) == ((), 0, 0.0)


def test_nobody_reviews_their_own_transcript_unless_the_project_allows_it(project, setup):
    import dataclasses

    acc, clips, _ = setup
    own = annotate(project, clips[2], acc.lead, "lg oled tv")  # the lead annotates too
    assert clips[2] not in [
        i.clip_id for i in review.pending_reviews(project, reviewer_id=acc.lead)
    ]
    assert review.count_pending_reviews(project, reviewer_id=acc.lead) == 2
    assert review.count_pending_reviews(project, reviewer_id=acc.reviewer) == 3
    for act in (
        lambda: review.approve(project, acc.lead, clips[2], own),
        lambda: review.edit(project, acc.lead, clips[2], own, "lg oled tvs"),
        lambda: review.reject(project, acc.lead, clips[2], own, "typo"),
    ):
        with pytest.raises(PermissionDeniedError, match="another reviewer"):
            act()
    assert _newest(project, clips[2]).id == own  # nothing was written
    labeling = dataclasses.replace(project.config.labeling, self_review=True)
    project.config = dataclasses.replace(project.config, labeling=labeling)
    assert review.count_pending_reviews(project, reviewer_id=acc.lead) == 3
    review.approve(project, acc.lead, clips[2], own)
