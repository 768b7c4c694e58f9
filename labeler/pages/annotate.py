"""Annotate page: transcribe leased clips, one after another, without leaving the keyboard.

The editor component sends one event per action (submit, accept, skip, check); the page
handles each event's nonce once with :func:`handle_event`, which calls the submit service and
leases the next clip. Session state keeps only the lease, the stale-edit base and cursors; every
submit is written to the database at once.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

from voxcart.datasets.errors import LeaseLostError, QueueError
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.queue import LeasedTask, release, renew
from voxcart.labeler.app.context import PAGE_ROLES, get_project, guidelines_text, require_role
from voxcart.labeler.components.editor import editor_args, render_editor
from voxcart.labeler.errors import (
    LabelerError,
    NothingToUndoError,
    StaleEditError,
)
from voxcart.labeler.services.annotate import (
    AnnotateConfig,
    AnnotateItem,
    annotator_counters,
    lease_for,
    load_item,
    load_media,
)
from voxcart.labeler.services.clip_media import ClipMedia
from voxcart.labeler.services.editor_events import EditorAction, apply_event, parse_event
from voxcart.labeler.services.oov import OovFlag
from voxcart.labeler.services.submit import undo_last

CONFIG = AnnotateConfig()
EDITOR_KEY = "voxcart_annotate_editor"
STATE_KEY = "voxcart_annotate_state"
NONCE_KEY = "voxcart_annotate_nonce"
NOTICE_KEY = "voxcart_annotate_notice"
CHECK_KEY = "voxcart_annotate_check"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


@dataclass(frozen=True)
class EditorState:
    """The clip on screen: its lease, the stale-edit base and the editor's reset counter.

    Attributes:
        task: the lease.
        base_revision_id: the clip's newest revision when the editor loaded it.
        base_known: False until the clip is first loaded (the base is read then).
        seq: increases whenever the editor must reset its text (a new clip or an undo).
    """

    task: LeasedTask
    base_revision_id: int | None
    base_known: bool
    seq: int


@dataclass(frozen=True)
class Notice:
    """What the page says above the editor after an event."""

    level: str
    """"success", "warning" or "error"."""
    message: str
    details: tuple[str, ...] = ()
    quoted: str | None = None
    """Text quoted as is (another annotator's transcript), shown in a code box."""


def _plain(text: str) -> str:
    # Messages quote user text; escape Markdown so that it shows as typed.
    return _MD_SPECIAL.sub(r"\\\1", text)


@st.cache_data(max_entries=64, show_spinner=False)
def _media(db_url: str, clip_id: int, _project: Project) -> ClipMedia:
    # Keyed by database and clip: a clip's audio never changes.
    return load_media(_project, clip_id)


def _cached_media(project: Project, clip_id: int) -> ClipMedia:
    return _media(project.db_url, clip_id, project)


def _state() -> EditorState | None:
    value = st.session_state.get(STATE_KEY)
    return value if isinstance(value, EditorState) else None


def _set_task(task: LeasedTask | None) -> None:
    previous = _state()
    seq = previous.seq + 1 if previous else 1
    if task is None:
        st.session_state.pop(STATE_KEY, None)
    else:
        st.session_state[STATE_KEY] = EditorState(task, None, False, seq)
    st.session_state.pop(CHECK_KEY, None)


def lease_next_clip(project: Project, user_id: int) -> LeasedTask | None:
    """Lease (or resume) the user's next clip and make it the one on screen."""
    task = lease_for(project, user_id, config=CONFIG)
    _set_task(task)
    return task


def current_item(project: Project, user_id: int) -> AnnotateItem | None:
    """The clip on screen, leasing one when there is none; None when the queue is empty."""
    state = _state()
    if state is not None:
        try:
            renew(project, state.task.task_id, user_id, CONFIG.lease_s)
        except LeaseLostError:
            st.session_state[NOTICE_KEY] = Notice(
                "warning", "Your lease on the previous clip expired and it went to someone else."
            )
            state = None
    if state is None:
        if lease_next_clip(project, user_id) is None:
            return None
        state = _state()
        if state is None:
            return None
    item = _load(project, state)
    if not state.base_known:
        st.session_state[STATE_KEY] = replace(
            state, base_revision_id=item.base_revision_id, base_known=True
        )
    return item


def _load(project: Project, state: EditorState) -> AnnotateItem:
    """The item on screen, against the transcript the annotator started from."""
    return load_item(
        project,
        state.task,
        config=CONFIG,
        base_revision_id=state.base_revision_id,
        keep_base=state.base_known,
        media_loader=_cached_media,
    )


def _saved_notice(outcome_status: str, revision_id: int, wer: float | None) -> str:
    text = f"Saved revision {revision_id} ({outcome_status})."
    if wer is not None:
        text += f" The suggestion's word error rate against your text: {100 * wer:.0f}%."
    return text


def handle_event(project: Project, user_id: int, raw: Any) -> bool:
    """Act once on an editor event: save it and lease the next clip, or record a check.

    Returns:
        True when the event was new and handled; False for no event or one already handled.
    """
    try:
        event = parse_event(raw)
    except LabelerError as exc:
        st.session_state[NOTICE_KEY] = Notice("error", f"The editor sent a bad event: {exc}")
        return False
    if event is None or event.nonce == st.session_state.get(NONCE_KEY):
        return False
    st.session_state[NONCE_KEY] = event.nonce
    state = _state()
    if state is None or event.task_id != state.task.task_id:
        return False  # an event for a clip no longer on screen
    item = _load(project, state)
    try:
        outcome = apply_event(project, user_id, item, event)
    except StaleEditError as exc:
        st.session_state[STATE_KEY] = replace(state, base_revision_id=exc.newer.revision_id)
        st.session_state[NOTICE_KEY] = Notice(
            "warning",
            "Someone else saved this clip after you opened it. Their text is below; your text "
            "is still in the editor. Submit again to replace theirs, or change yours first.",
            quoted=exc.newer.verbatim,
        )
        return True
    except (LabelerError, QueueError) as exc:
        st.session_state[NOTICE_KEY] = Notice("error", f"Not saved: {exc}")
        return True
    if event.action is EditorAction.CHECK:
        st.session_state[CHECK_KEY] = (state.seq, outcome.oov)
        return True
    result = outcome.result
    if result is not None:
        status = outcome.status.value if outcome.status is not None else "saved"
        st.session_state[NOTICE_KEY] = Notice(
            "warning" if result.warnings else "success",
            _saved_notice(status, result.revision_id, outcome.suggestion_wer),
            details=tuple(w.message for w in result.warnings),
        )
    lease_next_clip(project, user_id)
    return True


def _undo(project: Project, user_id: int) -> None:
    try:
        result = undo_last(project, user_id, lease_s=CONFIG.lease_s)
    except NothingToUndoError:
        st.session_state[NOTICE_KEY] = Notice("warning", "There is nothing of yours to undo.")
        return
    except StaleEditError as exc:
        st.session_state[NOTICE_KEY] = Notice(
            "error",
            "Cannot undo: someone saved a newer transcript of that clip since.",
            quoted=exc.newer.verbatim,
        )
        return
    state = _state()
    if result.task is not None:
        if state is not None and state.task.task_id != result.task.task_id:
            # A lease that expired and was taken leaves nothing to give back.
            with contextlib.suppress(LeaseLostError):
                release(project, state.task.task_id, user_id)
        _set_task(result.task)
    st.session_state[NOTICE_KEY] = Notice(
        "success", f"Undid revision {result.undone_revision_id}: the clip is back in the editor."
    )


def _show_notice() -> None:
    notice = st.session_state.get(NOTICE_KEY)
    if not isinstance(notice, Notice):
        return
    show = {"success": st.success, "warning": st.warning, "error": st.error}[notice.level]
    show(_plain(notice.message))
    for detail in notice.details:
        st.warning(_plain(detail))
    if notice.quoted is not None:
        st.code(notice.quoted or "(empty)", language=None)


def _sidebar(project: Project, user_id: int) -> None:
    with st.sidebar:
        counters = annotator_counters(project, user_id)
        st.subheader("Your work")
        col_today, col_total = st.columns(2)
        col_today.metric("Last 24 h", counters.today)
        col_total.metric("All time", counters.total)
        col_time, col_left = st.columns(2)
        mean = f"{counters.mean_time_s:.1f} s" if counters.mean_time_s is not None else "-"
        col_time.metric("Time per clip", mean)
        col_left.metric("Queue", counters.queue_left)
        if counters.by_status:
            st.caption(" · ".join(f"{k}: {v}" for k, v in sorted(counters.by_status.items())))
        if st.button("Undo my last submit", key="voxcart_annotate_undo"):
            _undo(project, user_id)


def _check_flags(state: EditorState | None) -> tuple[OovFlag, ...] | None:
    value = st.session_state.get(CHECK_KEY)
    if state is None or not isinstance(value, tuple) or value[0] != state.seq:
        return None
    return tuple(value[1])


def render() -> None:
    """The annotate page."""
    user = require_role(*PAGE_ROLES["annotate"])
    project = get_project()
    handle_event(project, user.id, st.session_state.get(EDITOR_KEY))
    _sidebar(project, user.id)
    st.header("Annotate")
    with st.expander("Guidelines"):
        st.markdown(guidelines_text(project))
    item = current_item(project, user.id)
    _show_notice()
    if item is None:
        st.info("Nothing left to annotate: the queue is empty. Thank you!")
        return
    state = _state()
    if item.media is not None and item.media.truncated:
        st.warning("This clip is long: only its first minute is played.")
    args = editor_args(
        item,
        CONFIG,
        token=f"{item.task.task_id}:{state.seq if state else 0}",
        handled_nonce=st.session_state.get(NONCE_KEY),
        oov=_check_flags(state),
    )
    value = render_editor(args, key=EDITOR_KEY)
    # Normally the event is handled at the top of the next run; this catches a value that
    # arrived without one (handle_event ignores a nonce it has seen).
    if handle_event(project, user.id, value):
        st.rerun()
