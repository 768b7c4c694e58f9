"""Review page: approve, reject with a reason, or edit annotators' transcripts; agreement."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from voxcart.datasets.clip_audio import clip_audio
from voxcart.datasets.errors import AudioError, VoxcartError
from voxcart.labeler.app.context import PAGE_ROLES, get_project, render_diff, require_role
from voxcart.labeler.errors import StaleEditError
from voxcart.labeler.services import review

PAGE_SIZE = 50
_CLIP_KEY = "voxcart_review_clip"
_FLASH_KEY = "voxcart_review_flash"


def _flash(message: str) -> None:
    st.session_state[_FLASH_KEY] = message
    st.rerun()


def _queue(user_id: int) -> None:
    project = get_project()
    items = review.pending_reviews(project, limit=PAGE_SIZE, reviewer_id=user_id)
    total = review.count_pending_reviews(project, reviewer_id=user_id)
    st.text(f"{total} clip(s) wait for your review (showing the oldest {len(items)}).")
    if not items:
        st.info(
            "Nothing to review: every annotated clip has been reviewed (your own transcripts "
            "go to another reviewer)."
        )
        return
    ids = [item.clip_id for item in items]
    chosen = st.session_state.get(_CLIP_KEY)
    index = ids.index(chosen) if chosen in ids else 0
    labels = {
        item.clip_id: f"{item.uid}  (by {item.annotator or '?'})"
        + ("  [conflict]" if item.conflict else "")
        for item in items
    }
    clip_id = st.selectbox(
        "Clip", ids, index=index, format_func=lambda c: labels[c], key="voxcart_review_pick"
    )
    st.session_state[_CLIP_KEY] = clip_id
    item = next(i for i in items if i.clip_id == clip_id)
    try:
        st.audio(clip_audio(project, clip_id), sample_rate=16_000)
    except AudioError as exc:
        st.warning(f"Audio cannot be played: {exc}")
    st.caption("Model suggestion")
    st.text(item.suggestion_text if item.suggestion_text is not None else "(no suggestion)")
    st.caption(f"Annotation ({item.status.value}, by {item.annotator or 'unknown'})")
    st.text(item.text)
    if item.suggestion_text is not None:
        st.caption("Diff: suggestion → annotation")
        render_diff(item.suggestion_text, item.text)
    if item.conflict:
        _conflict(item)
    _actions(user_id, item)


def _conflict(item: review.ReviewItem) -> None:
    st.warning(
        "Conflict: the annotators of this clip disagree. Approve the current version, or "
        "save an edit with the right text (e.g. the other version) to adjudicate."
    )
    for version in item.versions:
        st.caption(f"Version by {version.username}")
        st.text(version.text)
    first, last = item.versions[0], item.versions[-1]
    st.caption(f"Diff: {first.username} → {last.username}")
    render_diff(first.text, last.text)


def _actions(user_id: int, item: review.ReviewItem) -> None:
    project = get_project()
    col_ok, col_no = st.columns(2)
    try:
        with col_ok:
            if st.button("Approve", key="voxcart_review_approve", type="primary"):
                review.approve(project, user_id, item.clip_id, item.revision_id)
                _flash(f"Approved {item.uid}.")
        with col_no:
            reason = st.text_input("Reason for rejecting", key="voxcart_review_reason")
            if st.button("Reject", key="voxcart_review_reject"):
                review.reject(project, user_id, item.clip_id, item.revision_id, reason)
                _flash(f"Rejected {item.uid}; it is queued for annotation again.")
        new_text = st.text_area(
            "Corrected transcript", value=item.text, key=f"voxcart_review_text_{item.revision_id}"
        )
        if st.button("Save edit", key="voxcart_review_edit"):
            review.edit(project, user_id, item.clip_id, item.revision_id, new_text)
            _flash(f"Saved your edit of {item.uid}.")
    except StaleEditError as exc:
        st.warning(f"{exc}. The page now shows the newest text.")
    except VoxcartError as exc:
        st.error(str(exc))


def _agreement() -> None:
    report = review.agreement(get_project())
    cols = st.columns(3)
    cols[0].metric("Double-annotated clips", report.clips)
    pooled = report.pooled_wer
    cols[1].metric("Inter-annotator WER", "n/a" if pooled is None else f"{pooled:.1%}")
    cols[2].metric("Identical pairs", f"{report.exact_match:.0%}")
    if not report.pairs:
        st.info(
            "No clip has been annotated by two different people yet. Agreement appears here "
            "once some clips are."
        )
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "clip": p.uid,
                    "annotator A": p.user_a,
                    "annotator B": p.user_b,
                    "text A": p.text_a,
                    "text B": p.text_b,
                    "WER": None if p.wer is None else round(p.wer, 4),
                }
                for p in report.pairs
            ]
        ),
        hide_index=True,
        key="voxcart_review_agreement",
    )
    st.caption("Adjudicate a disagreement by editing the clip's transcript in the queue.")


def render() -> None:
    """The review queue and the inter-annotator agreement report."""
    user = require_role(*PAGE_ROLES["review"])
    st.title("Review")
    flash = st.session_state.pop(_FLASH_KEY, None)
    if flash:
        st.success(flash)
    queue_tab, agreement_tab = st.tabs(["Queue", "Agreement"])
    with queue_tab:
        _queue(user.id)
    with agreement_tab:
        _agreement()
