"""Annotate page: transcribe leased clips, one after another, without leaving the keyboard.

The page keeps a *line* of leased clips (the one on screen and the next ones, prefetched) and
sends them all to the editor component, which moves to the next clip the moment one is
submitted and sends its events one at a time in the background. The page handles each event's
nonce once with :func:`handle_event` (the submit service writes the revision at once), refills
the line, and reports a submit that failed so that the editor can go back to it with the text
that was typed. Session state keeps only leases, stale-edit bases, cursors and short messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st

from voxcart.datasets.errors import LeaseLostError, QueueError
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.queue import LeasedTask, renew
from voxcart.labeler.app.context import (
    PAGE_ROLES,
    get_project,
    guidelines_text,
    require_role,
)
from voxcart.labeler.app.media import cached_media
from voxcart.labeler.components.editor import editor_args, item_args, render_editor
from voxcart.labeler.errors import LabelerError, NothingToUndoError, StaleEditError
from voxcart.labeler.services.annotate import (
    AnnotateConfig,
    AnnotateItem,
    annotator_counters,
    lease_for,
    load_item,
    next_lease,
)
from voxcart.labeler.services.checks import TranscriptWarning
from voxcart.labeler.services.editor_events import (
    EditorAction,
    EditorEvent,
    apply_event,
    parse_event,
)
from voxcart.labeler.services.oov import OovFlag
from voxcart.labeler.services.undo import undo_last

EDITOR_KEY = "voxcart_annotate_editor"
STATE_KEY = "voxcart_annotate_state"
NONCE_KEY = "voxcart_annotate_nonce"
NOTICE_KEY = "voxcart_annotate_notice"
CHECK_KEY = "voxcart_annotate_check"
FAILURES_KEY = "voxcart_annotate_failures"
PREFETCH = 3
"""Clips the editor holds: the one on screen and two more, leased and loaded ahead."""
_FAILURES_KEPT = 5
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def annotate_config(project: Project) -> AnnotateConfig:
    """The page's thresholds, with the project's retype threshold."""
    return AnnotateConfig(retype_below=float(project.config.labeling.retype_below))


@dataclass(frozen=True)
class Held:
    """One leased clip of the line and the stale-edit base it was loaded with.

    Attributes:
        task: the lease.
        base_revision_id: the clip's newest revision when the editor first got it.
        base_known: False until the clip is first loaded (the base is read then).
        draft: text the editor starts from instead of the item's prefill (after an undo: what
            the annotator had typed).
    """

    task: LeasedTask
    base_revision_id: int | None = None
    base_known: bool = False
    draft: str | None = None


@dataclass(frozen=True)
class EditorState:
    """The line of clips the editor holds, in the order it shows them.

    Attributes:
        line: the leased clips, the page's current one first.
        focus: increases whenever the page moves the editor to the line's first clip (the
            first load, an undo); the editor otherwise keeps its own place in the line.
    """

    line: tuple[Held, ...]
    focus: int

    @property
    def task(self) -> LeasedTask:
        """The page's current clip (the line's first)."""
        return self.line[0].task


@dataclass(frozen=True)
class CheckState:
    """The latest checks of the text typed for one clip."""

    oov: tuple[OovFlag, ...]
    text: str
    warnings: tuple[TranscriptWarning, ...]


@dataclass(frozen=True)
class Notice:
    """What the page says below the editor after an event."""

    level: str
    """"success", "warning" or "error"."""
    message: str
    details: tuple[str, ...] = ()
    quoted: str | None = None
    """Text quoted as is (another annotator's transcript), shown in a code box."""


def _plain(text: str) -> str:
    # Messages quote user text; escape Markdown so that it shows as typed.
    return _MD_SPECIAL.sub(r"\\\1", text)


def _state() -> EditorState | None:
    value = st.session_state.get(STATE_KEY)
    return value if isinstance(value, EditorState) and value.line else None


def _save(line: tuple[Held, ...], focus: int) -> None:
    # Kept with an empty line too, so that the focus counter never goes back.
    st.session_state[STATE_KEY] = EditorState(line, focus)


def _focus() -> int:
    value = st.session_state.get(STATE_KEY)
    return value.focus if isinstance(value, EditorState) else 0


def _checks() -> dict[int, CheckState]:
    value = st.session_state.get(CHECK_KEY)
    if not isinstance(value, dict):
        value = st.session_state[CHECK_KEY] = {}
    return value


def _fail(event: EditorEvent, clip_uid: str, message: str) -> None:
    """Tell the editor that `event` saved nothing, so it can go back to the clip."""
    failures = list(st.session_state.get(FAILURES_KEY) or [])
    failures.append(
        {"nonce": event.nonce, "task_id": event.task_id, "clip_uid": clip_uid, "message": message}
    )
    st.session_state[FAILURES_KEY] = failures[-_FAILURES_KEPT:]


def fill_line(project: Project, user_id: int) -> EditorState | None:
    """Renew the line's leases, drop lost ones and lease more up to :data:`PREFETCH`."""
    state = _state()
    config = annotate_config(project)
    line: list[Held] = []
    # A lease is renewed once half of it has run (not on every rerun: a statement per held
    # clip per submit); only an expired lease can have gone to someone else.
    due = datetime.now(UTC) + timedelta(seconds=config.lease_s / 2)
    for held in state.line if state else ():
        if held.task.lease_expires_at > due:
            line.append(held)
            continue
        try:
            renewed = renew(project, held.task.task_id, user_id, config.lease_s)
        except LeaseLostError:
            st.session_state[NOTICE_KEY] = Notice(
                "warning", "Your lease on a clip expired and it went to someone else."
            )
            continue
        line.append(replace(held, task=renewed))
    while len(line) < PREFETCH:
        holding = {h.task.task_id for h in line}
        task = lease_for(project, user_id, config=config, holding=holding)
        if task is None:
            break
        line.append(Held(task))
    # A line started afresh (first load, or after the queue ran dry) moves the editor to its
    # first clip; otherwise the editor keeps its own place in the line.
    _save(tuple(line), state.focus if state else _focus() + 1)
    return _state()


def _load(project: Project, held: Held) -> AnnotateItem:
    return load_item(
        project,
        held.task,
        config=annotate_config(project),
        base_revision_id=held.base_revision_id,
        keep_base=held.base_known,
        media_loader=cached_media,
    )


def load_line(project: Project, state: EditorState) -> list[AnnotateItem]:
    """The editor's items for the line, recording each clip's stale-edit base on first load."""
    items, line = [], []
    for held in state.line:
        item = _load(project, held)
        items.append(item)
        line.append(
            held
            if held.base_known
            else replace(held, base_revision_id=item.base_revision_id, base_known=True)
        )
    _save(tuple(line), state.focus)
    return items


def _saved_notice(outcome_status: str, revision_id: int, wer: float | None) -> str:
    text = f"Saved revision {revision_id} ({outcome_status})."
    if wer is not None:
        text += f" The suggestion's word error rate against your text: {100 * wer:.0f}%."
    return text


def handle_event(project: Project, user_id: int, raw: Any) -> bool:
    """Act once on an editor event: save it, record a check, or undo; report what failed.

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
    st.session_state[NONCE_KEY] = event.nonce  # the editor sends its next event on this ack
    state = _state()
    held = next((h for h in state.line if h.task.task_id == event.task_id), None) if state else None
    if state is None or held is None:
        if event.action is not EditorAction.CHECK:
            _fail(event, "?", "the clip is no longer leased to you (the lease ended)")
        return True
    if event.action is EditorAction.UNDO:
        _undo(project, user_id, state)
        return True
    item = _load(project, held)
    try:
        # A save also leases the clip that refills the line, in the save's transaction.
        refill = next_lease(annotate_config(project), resume=False)
        outcome = apply_event(project, user_id, item, event, then_lease=refill)
    except StaleEditError as exc:
        line = tuple(
            replace(h, base_revision_id=exc.newer.revision_id) if h is held else h
            for h in state.line
        )
        _save(line, state.focus)
        _fail(
            event,
            item.clip_uid,
            "someone else saved this clip after you opened it; go back to compare their text "
            "with yours, then submit again to replace theirs",
        )
        st.session_state[NOTICE_KEY] = Notice(
            "warning", f"The other transcript of {item.clip_uid}:", quoted=exc.newer.verbatim
        )
        return True
    except (LabelerError, QueueError) as exc:
        _fail(event, item.clip_uid, str(exc))
        return True
    checks = _checks()
    if event.action is EditorAction.CHECK or outcome.held:
        # Warnings show under the editor, on the clip they are about; a held submit saved
        # nothing and keeps the clip in the line.
        previous = checks.get(held.task.task_id)
        oov = (
            outcome.oov
            if event.action is EditorAction.CHECK or previous is None
            else (previous.oov)
        )
        checks[held.task.task_id] = CheckState(oov, outcome.checked_text, outcome.warnings)
        if outcome.held:
            _fail(
                event,
                item.clip_uid,
                "; ".join(w.message for w in outcome.warnings)
                + " (back on it, Ctrl+Shift+Enter submits anyway)",
            )
        return True
    result = outcome.result
    if result is not None:
        status = outcome.status.value if outcome.status is not None else "saved"
        count = len(result.warnings)
        overridden = (
            f" You submitted it despite {count} warning{'s' if count > 1 else ''}." if count else ""
        )
        st.session_state[NOTICE_KEY] = Notice(
            "success",
            f"{item.clip_uid}: "
            + _saved_notice(status, result.revision_id, outcome.suggestion_wer)
            + overridden,
        )
    checks.pop(held.task.task_id, None)
    _save(_refilled(state.line, held, result.next_task if result else None), state.focus)
    return True


def _refilled(line: tuple[Held, ...], done: Held, leased: LeasedTask | None) -> tuple[Held, ...]:
    """The line without the clip just saved, plus the clip its submit leased (if any)."""
    rest = tuple(h for h in line if h is not done)
    if leased is None:
        return rest
    if any(h.task.task_id == leased.task_id for h in rest):
        # An expired lease of the line's own was taken again: keep it, with the new lease.
        return tuple(
            replace(h, task=leased) if h.task.task_id == leased.task_id else h for h in rest
        )
    return (*rest, Held(leased))


def _undo(project: Project, user_id: int, state: EditorState) -> None:
    try:
        result = undo_last(project, user_id, lease_s=annotate_config(project).lease_s)
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
    if result.task is not None:
        # The clip comes first, with the text the annotator had typed (a skip left none).
        rest = tuple(h for h in state.line if h.task.task_id != result.task.task_id)
        back = Held(result.task, draft=result.undone_text or None)
        _save((back, *rest), state.focus + 1)
        _checks().pop(result.task.task_id, None)
    st.session_state[NOTICE_KEY] = Notice(
        "success",
        f"Undid revision {result.undone_revision_id}: the clip is back in the editor with "
        "your text.",
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


def _confidence_caption(item: AnnotateItem) -> None:
    """Say what the word colours mean: calibrated probabilities, or uncalibrated raw scores."""
    suggestion = item.suggestion
    if suggestion is None or not suggestion.words:
        return
    if suggestion.calibrated:
        st.caption(
            f"Word colours: chance each word is right ({suggestion.model_name}, "
            f"{suggestion.calibration})."
        )
    else:
        st.caption(
            f"Word colours: {suggestion.model_name}'s raw confidence scores, UNCALIBRATED "
            "(not a probability; `voxcart model calibrate` fits it from dev labels)."
        )


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
        state = _state()
        if st.button("Undo my last submit (Alt+Z)", key="voxcart_annotate_undo") and state:
            _undo(project, user_id, state)


def render() -> None:
    """The annotate page."""
    user = require_role(*PAGE_ROLES["annotate"])
    project = get_project()
    handle_event(project, user.id, st.session_state.get(EDITOR_KEY))
    _sidebar(project, user.id)
    st.header("Annotate")
    with st.expander("Guidelines"):
        st.markdown(guidelines_text(project))
    state = fill_line(project, user.id)
    if state is None:
        _show_notice()
        st.info("Nothing left to annotate: the queue is empty. Thank you!")
        return
    config = annotate_config(project)
    checks = _checks()
    loaded = load_line(project, state)
    items = [
        item_args(
            item,
            token=f"{item.task.task_id}:{state.focus}",
            oov=checks[held.task.task_id].oov if held.task.task_id in checks else None,
            warnings=(
                (checks[held.task.task_id].text, checks[held.task.task_id].warnings)
                if held.task.task_id in checks
                else None
            ),
            prefill=held.draft,
        )
        for held, item in zip(state.line, loaded, strict=True)
    ]
    args = editor_args(
        items,
        config,
        focus=str(state.focus),
        vocabulary=loaded[0].vocabulary,
        handled_nonce=st.session_state.get(NONCE_KEY),
        failures=list(st.session_state.get(FAILURES_KEY) or []),
        keys=project.config.keys,
    )
    value = render_editor(args, key=EDITOR_KEY)
    _confidence_caption(loaded[0])
    _show_notice()  # below the editor, so that it never pushes the editor down
    # Normally the event is handled at the top of the next run; this catches a value that
    # arrived without one (handle_event ignores a nonce it has seen).
    if handle_event(project, user.id, value):
        st.rerun()
