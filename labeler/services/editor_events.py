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
from voxcart.datasets.store.schema import RevisionStatus
from voxcart.labeler.errors import SubmitError
from voxcart.labeler.services.annotate import AnnotateItem, SuggestionView, finite_float
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
    """Ask for out-of-catalog flags of the current text (writes nothing)."""


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
    """

    action: EditorAction
    nonce: str
    task_id: int
    text: str = ""
    flags: tuple[str, ...] = ()
    reason: str | None = None
    time_spent_s: float | None = None


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
    return EditorEvent(
        action=action,
        nonce=str(value["nonce"])[:64],
        task_id=task_id,
        text=text,
        flags=tuple(flags),
        reason=str(reason) if reason is not None else None,
        time_spent_s=time_spent if time_spent is None or time_spent >= 0 else None,
    )


def _status(text: str, flags: Sequence[str], suggestion: SuggestionView | None) -> RevisionStatus:
    if flags:
        return RevisionStatus.FLAGGED
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
) -> EventOutcome:
    """Carry out one editor event for the clip of `item`: one revision, or a check.

    Submit saves the text as `accepted` when it equals the suggestion, `corrected` otherwise,
    `flagged` when the annotator set a flag. Accept saves the suggestion unchanged. Skip
    saves a `skipped` revision with the reason. Check only computes out-of-catalog flags.

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
    if event.action is EditorAction.CHECK:
        lookup = known if known is not None else known_words(item.vocabulary)
        return EventOutcome(None, None, None, oov_flags(event.text, lookup), event.text)
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
        )
        return EventOutcome(result, None, RevisionStatus.SKIPPED)
    if event.action is EditorAction.ACCEPT:
        if item.suggestion is None:
            raise SubmitError("there is no suggestion to accept; type the transcript and submit")
        text = clean_text(item.suggestion.text)
        status = RevisionStatus.FLAGGED if event.flags else RevisionStatus.ACCEPTED
    else:
        text = clean_text(event.text)
        status = _status(text, event.flags, item.suggestion)
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
    )
    wer = word_diff(item.suggestion.text, text).wer if item.suggestion is not None else None
    return EventOutcome(result, wer, status)
