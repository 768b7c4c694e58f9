"""Review page: approve, reject with a reason, or edit annotators' transcripts; agreement.

The review queue uses the annotate page's editor in review mode, keyboard first: Alt+A
approves, Ctrl+Enter approves or saves an edit, Alt+S rejects with a numbered reason. The
editor holds the next clips waiting for review and moves on the moment one is done; the page
saves each verdict in the background and reports one that failed (someone else reviewed or
changed the clip) so that the reviewer can go back to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from voxcart.datasets.errors import AudioError, VoxcartError
from voxcart.datasets.store.project import Project
from voxcart.labeler.app.context import PAGE_ROLES, get_project, require_role
from voxcart.labeler.app.media import cached_media
from voxcart.labeler.components.editor import clip_json, editor_args, oov_args, render_editor
from voxcart.labeler.components.table import MISSING, show_table
from voxcart.labeler.errors import LabelerError, StaleEditError
from voxcart.labeler.services import review
from voxcart.labeler.services.annotate import AnnotateConfig, newest_suggestion, vocabulary_terms
from voxcart.labeler.services.editor_events import EditorAction, EditorEvent, parse_event
from voxcart.labeler.services.oov import known_words, oov_flags
from voxcart.labeler.services.submit import clean_text

PAGE_SIZE = 50
PREFETCH = 3
"""Clips the review editor holds: the one on screen and two more."""
REJECT_REASONS = (
    "missed words",
    "wrong words",
    "extra words",
    "not the guidelines (numbers, spelling)",
    "wrong clip or boundaries",
    "audio too unclear",
)
"""The choices of the reject key (1-6); the reason is stored with the rejection."""
EDITOR_KEY = "voxcart_review_editor"
NONCE_KEY = "voxcart_review_nonce"
LINE_KEY = "voxcart_review_line"
NOTICE_KEY = "voxcart_review_notice"
FAILURES_KEY = "voxcart_review_failures"
CHECK_KEY = "voxcart_review_check"
_FAILURES_KEPT = 5


@dataclass(frozen=True)
class Shown:
    """A clip the review editor holds: the annotation revision it shows (the stale base)."""

    uid: str
    revision_id: int
    text: str


def _line() -> dict[int, Shown]:
    value = st.session_state.get(LINE_KEY)
    return value if isinstance(value, dict) else {}


def _fail(event: EditorEvent, uid: str, message: str) -> None:
    failures = list(st.session_state.get(FAILURES_KEY) or [])
    failures.append(
        {"nonce": event.nonce, "task_id": event.task_id, "clip_uid": uid, "message": message}
    )
    st.session_state[FAILURES_KEY] = failures[-_FAILURES_KEPT:]


def _act(project: Project, user_id: int, event: EditorEvent, shown: Shown) -> str:
    """Carry out a review key; returns what to tell the reviewer."""
    clip_id = event.task_id
    if event.action is EditorAction.SKIP:
        review.reject(project, user_id, clip_id, shown.revision_id, event.reason or "")
        return f"Rejected {shown.uid} ({event.reason}); it is queued for annotation again."
    if event.action is EditorAction.SUBMIT and clean_text(event.text) != clean_text(shown.text):
        review.edit(project, user_id, clip_id, shown.revision_id, event.text)
        return f"Saved your edit of {shown.uid}."
    review.approve(project, user_id, clip_id, shown.revision_id)
    return f"Approved {shown.uid}."


def handle_event(project: Project, user_id: int, raw: Any) -> bool:
    """Act once on a review editor event: approve, reject, edit, or check; report failures."""
    try:
        event = parse_event(raw)
    except LabelerError as exc:
        st.session_state[NOTICE_KEY] = ("error", f"The editor sent a bad event: {exc}")
        return False
    if event is None or event.nonce == st.session_state.get(NONCE_KEY):
        return False
    st.session_state[NONCE_KEY] = event.nonce
    shown = _line().get(event.task_id)
    if shown is None:
        if event.action is not EditorAction.CHECK:
            _fail(event, "?", "the clip no longer waits for review")
        return True
    if event.action is EditorAction.CHECK:
        known = known_words(vocabulary_terms(project))
        st.session_state[CHECK_KEY] = {
            **(st.session_state.get(CHECK_KEY) or {}),
            event.task_id: oov_flags(event.text, known),
        }
        return True
    if event.action is EditorAction.UNDO:
        _fail(event, shown.uid, "undo works on the annotate page; reject or edit here instead")
        return True
    try:
        message = _act(project, user_id, event, shown)
    except StaleEditError:
        _fail(event, shown.uid, "the clip changed since it was shown; it shows the newest text")
        return True
    except VoxcartError as exc:
        _fail(event, shown.uid, str(exc))
        return True
    st.session_state[NOTICE_KEY] = ("success", message)
    return True


def _note(item: review.ReviewItem) -> str:
    note = f"Annotation ({item.status.value}) by {item.annotator or 'unknown'}."
    if item.conflict:
        versions = " / ".join(f"{v.username}: {v.text}" for v in item.versions)
        note += f" Conflict, the annotators disagree: {versions}. Approve or edit to adjudicate."
    return note


def _queue(user_id: int) -> None:
    project = get_project()
    handle_event(project, user_id, st.session_state.get(EDITOR_KEY))
    items = review.pending_reviews(project, limit=PREFETCH, reviewer_id=user_id)
    total = review.count_pending_reviews(project, reviewer_id=user_id)
    st.text(f"{total} clip(s) wait for your review.")
    if not items:
        st.info(
            "Nothing to review: every annotated clip has been reviewed (your own transcripts "
            "go to another reviewer)."
        )
        _show_notice()
        return
    st.session_state[LINE_KEY] = {i.clip_id: Shown(i.uid, i.revision_id, i.text) for i in items}
    checks = st.session_state.get(CHECK_KEY) or {}
    vocabulary = vocabulary_terms(project)
    known = known_words(vocabulary)
    entries = []
    for item in items:
        try:
            media, error = cached_media(project, item.clip_id), None
        except AudioError as exc:
            media, error = None, str(exc)
        entries.append(
            {
                **clip_json(
                    item.clip_id,
                    item.uid,
                    item.duration_s,
                    media,
                    error,
                    newest_suggestion(project, item.clip_id),
                ),
                "token": f"{item.clip_id}:{item.revision_id}",
                "retype": False,
                "prefill": item.text,
                "note": _note(item),
                "oov": oov_args(checks.get(item.clip_id, oov_flags(item.text, known))),
                "warnings": [],
                "warnings_text": "",
            }
        )
    args = editor_args(
        entries,
        AnnotateConfig(),
        focus="1",
        vocabulary=vocabulary,
        handled_nonce=st.session_state.get(NONCE_KEY),
        failures=list(st.session_state.get(FAILURES_KEY) or []),
        mode="review",
        reasons=REJECT_REASONS,
        keys=project.config.keys,
    )
    value = render_editor(args, key=EDITOR_KEY)
    _show_notice()
    if handle_event(project, user_id, value):
        st.rerun()


def _show_notice() -> None:
    notice = st.session_state.get(NOTICE_KEY)
    if isinstance(notice, tuple):
        level, message = notice
        (st.success if level == "success" else st.error)(message)


def _agreement() -> None:
    report = review.agreement(get_project())
    cols = st.columns(3)
    cols[0].metric("Double-annotated clips", report.clips)
    # With no pair there is no rate to show: a dash, not a reassuring "0.0%".
    pooled = report.pooled_wer
    cols[1].metric("Inter-annotator WER", MISSING if pooled is None else f"{pooled:.1%}")
    cols[2].metric("Identical pairs", f"{report.exact_match:.0%}" if report.pairs else MISSING)
    if not report.pairs:
        st.info(
            "No clip has been annotated by two different people yet. Agreement appears here "
            "once some clips are."
        )
        return
    show_table(
        pd.DataFrame(
            [
                {
                    "clip": p.uid,
                    "annotator A": p.user_a,
                    "annotator B": p.user_b,
                    "text A": p.text_a,
                    "text B": p.text_b,
                    "WER": p.wer,
                }
                for p in report.pairs
            ]
        ),
        key="voxcart_review_agreement",
        percent=["WER"],
    )
    st.caption("Adjudicate a disagreement by editing the clip's transcript in the queue.")


def render() -> None:
    """The review queue and the inter-annotator agreement report."""
    user = require_role(*PAGE_ROLES["review"])
    st.title("Review")
    queue_tab, agreement_tab = st.tabs(["Queue", "Agreement"])
    with queue_tab:
        _queue(user.id)
    with agreement_tab:
        _agreement()
