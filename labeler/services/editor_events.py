"""The editor's events (submit, accept, skip, check) and what each one writes.

The editor component returns an event dict; :func:`parse_event` validates it into an
:class:`EditorEvent` and :func:`apply_event` carries it out for the clip on screen: one
revision through the submit service, or out-of-catalog flags for a check.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.queue import LeaseRequest
from voxcart.datasets.store.schema import RevisionStatus
from voxcart.labeler.errors import SubmitError
from voxcart.labeler.services.annotate import AnnotateItem, SuggestionView, finite_float
from voxcart.labeler.services.checks import TranscriptWarning, check_transcript
from voxcart.labeler.services.diff import word_diff
from voxcart.labeler.services.oov import KnownWords, OovFlag, known_words, oov_flags
from voxcart.labeler.services.submit import SubmitResult, clean_text, skip, submit

UNSURE_FLAG = "unsure"
"""The flag the editor's flag key adds (a flagged clip goes to review)."""


class EditorAction(enum.StrEnum):
    """What the annotator asked the editor to do."""

    SUBMIT = "submit"
    ACCEPT = "accept"
    SKIP = "skip"
    CHECK = "check"
    """Ask for out-of-catalog flags and warnings of the current text (writes nothing)."""
    UNDO = "undo"
    """Undo the annotator's last submit and bring that clip back with their text."""


@dataclass(frozen=True)
class EditorEvent:
    """One event sent by the editor component.

    Attributes:
        action: what to do.
        nonce: unique per event; the page handles each nonce once.
        task_id: the task the editor showed (an event for another task is ignored).
        text: the textarea's text.
        flags: flags the annotator set (e.g. "unsure"); any flag makes the revision `flagged`.
        reason: the skip reason (a :class:`SkipReason` value) for a skip.
        time_spent_s: seconds since the clip was shown.
        suggestion_shown: whether the annotator saw the suggestion (False in retype mode until
            they reveal it); None when the editor did not say (older front ends).
        confirm: submit even though the checks warn (the annotator saw the warnings).
    """

    action: EditorAction
    nonce: str
    task_id: int
    text: str = ""
    flags: tuple[str, ...] = ()
    reason: str | None = None
    time_spent_s: float | None = None
    suggestion_shown: bool | None = None
    confirm: bool = False


@dataclass(frozen=True)
class EventOutcome:
    """What handling an editor event did."""

    result: SubmitResult | None
    """The saved revision (None for a check)."""
    suggestion_wer: float | None
    """How wrong the suggestion was against the saved text (server-side WER), if both exist."""
    status: RevisionStatus | None = None
    """The saved revision's status."""
    oov: tuple[OovFlag, ...] = ()
    checked_text: str = ""
    warnings: tuple[TranscriptWarning, ...] = ()
    """The checks' warnings on the text (a check, or a submit held back by them)."""
    held: bool = False
    """True when a submit was not saved because of warnings: the clip stays in the editor."""


def parse_event(value: Any) -> EditorEvent | None:
    """The component's value as an :class:`EditorEvent`; None when it is not an event.

    Raises:
        SubmitError: the value is an event with an unknown action or malformed fields.
    """
    if not isinstance(value, Mapping) or "nonce" not in value:
        return None
    try:
        action = EditorAction(str(value.get("action")))
    except ValueError as exc:
        allowed = ", ".join(a.value for a in EditorAction)
        raise SubmitError(
            f"editor action {value.get('action')!r} is unknown; use {allowed}"
        ) from exc
    flags = value.get("flags") or ()
    if not isinstance(flags, list | tuple) or not all(isinstance(f, str) for f in flags):
        raise SubmitError(f"editor flags {flags!r} must be a list of strings")
    task_id = value.get("task_id")
    if not isinstance(task_id, int) or isinstance(task_id, bool):
        raise SubmitError(f"editor event task_id={task_id!r} must be an integer")
    text = value.get("text", "")
    if not isinstance(text, str):
        raise SubmitError(f"editor text must be a string, got {type(text).__name__}")
    spent = value.get("time_spent_s")
    time_spent = finite_float(spent, -1.0) if spent is not None else None
    reason = value.get("reason")
    shown = value.get("suggestion_shown")
    if shown is not None and not isinstance(shown, bool):
        raise SubmitError(f"editor suggestion_shown={shown!r} must be true or false")
    confirm = value.get("confirm", False)
    if not isinstance(confirm, bool):
        raise SubmitError(f"editor confirm={confirm!r} must be true or false")
    return EditorEvent(
        action=action,
        nonce=str(value["nonce"])[:64],
        task_id=task_id,
        text=text,
        flags=tuple(flags),
        reason=str(reason) if reason is not None else None,
        time_spent_s=time_spent if time_spent is None or time_spent >= 0 else None,
        suggestion_shown=shown,
        confirm=confirm,
    )


def suggestion_was_shown(item: AnnotateItem, event: EditorEvent) -> bool:
    """Whether the annotator saw the suggestion before saving (the editor says; else retype)."""
    if item.suggestion is None:
        return False
    if event.suggestion_shown is not None:
        return event.suggestion_shown
    return not item.retype


def _status(
    text: str, flags: Sequence[str], suggestion: SuggestionView | None, shown: bool
) -> RevisionStatus:
    if flags:
        return RevisionStatus.FLAGGED
    if suggestion is not None and not shown:
        # Equal to a suggestion nobody saw is a coincidence, not an acceptance.
        return RevisionStatus.TYPED
    if suggestion is not None and clean_text(suggestion.text) == text:
        return RevisionStatus.ACCEPTED
    return RevisionStatus.CORRECTED


def apply_event(
    project: Project,
    user_id: int,
    item: AnnotateItem,
    event: EditorEvent,
    *,
    known: KnownWords | None = None,
    then_lease: LeaseRequest | None = None,
) -> EventOutcome:
    """Carry out one editor event for the clip of `item`: one revision, or a check.

    A submit or accept whose text draws warnings (see :mod:`~voxcart.labeler.services.checks`)
    is held back, nothing saved, unless the event confirms it.
    Submit saves the text as `accepted` when it equals the suggestion the annotator saw,
    `corrected` when they changed it, `typed` when the suggestion was hidden (retype mode) and
    not revealed, `flagged` when the annotator set a flag. Accept saves the suggestion
    unchanged, and only a suggestion that was shown. Skip saves a `skipped` revision with the
    reason. Check only computes out-of-catalog flags. With `then_lease`, a submit, accept or
    skip that saves also leases the next task in its transaction (``outcome.result.next_task``).

    Raises:
        SubmitError: the event is for another task, accept has no suggestion, a bad skip
            reason, or text the submit service refuses.
        StaleEditError: someone saved a newer revision of the clip since it was loaded.
    """
    if event.task_id != item.task.task_id:
        raise SubmitError(
            f"the editor event is for task {event.task_id}, but task {item.task.task_id} is "
            "open; reload the page"
        )
    if event.action is EditorAction.UNDO:
        raise SubmitError("undo is handled by the page (undo_last), not as a clip event")
    if event.action is EditorAction.CHECK:
        lookup = known if known is not None else known_words(item.vocabulary)
        warnings = check_transcript(event.text, item.duration_s)
        return EventOutcome(
            None, None, None, oov_flags(event.text, lookup), event.text, warnings=warnings
        )
    task, sid = item.task, item.suggestion.id if item.suggestion else None
    if event.action is EditorAction.SKIP:
        result = skip(
            project,
            user_id,
            task.task_id,
            task.clip_id,
            event.reason or "",
            base_revision_id=item.base_revision_id,
            time_spent_s=event.time_spent_s,
            then_lease=then_lease,
        )
        return EventOutcome(result, None, RevisionStatus.SKIPPED)
    if event.action is EditorAction.ACCEPT:
        if item.suggestion is None:
            raise SubmitError("there is no suggestion to accept; type the transcript and submit")
        if not suggestion_was_shown(item, event):
            raise SubmitError(
                "the suggestion is hidden (retype mode): reveal it first (Alt+V) or type the "
                "transcript and submit"
            )
        text = clean_text(item.suggestion.text)
        status = RevisionStatus.FLAGGED if event.flags else RevisionStatus.ACCEPTED
    else:
        text = clean_text(event.text)
        status = _status(text, event.flags, item.suggestion, suggestion_was_shown(item, event))
    warnings = check_transcript(text, item.duration_s)
    if warnings and not event.confirm:
        # Warn before the clip is left, not on the next one: nothing is saved yet.
        return EventOutcome(None, None, None, checked_text=text, warnings=warnings, held=True)
    result = submit(
        project,
        user_id,
        task.task_id,
        task.clip_id,
        text,
        status,
        flags=event.flags,
        time_spent_s=event.time_spent_s,
        suggestion_id=sid,
        base_revision_id=item.base_revision_id,
        then_lease=then_lease,
    )
    wer = word_diff(item.suggestion.text, text).wer if item.suggestion is not None else None
    return EventOutcome(result, wer, status)
