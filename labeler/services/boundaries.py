"""Boundary correction of a clip: its audio with context on each side, and nudges as new versions.

A nudge never edits a clip: :func:`voxcart.datasets.segment.store.nudge_clip` creates a new
version pointing at the old one (which is tagged ``superseded``) and copies its transcript.
Here the request is checked (role, span, minimum length, newest version) and the open queue
tasks of the old clip move to the new one, so that work continues on the corrected span.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select

from voxcart.datasets.audio import load_audio
from voxcart.datasets.errors import SegmentationError
from voxcart.datasets.segment.store import SUPERSEDED_TAG, nudge_clip
from voxcart.datasets.store import queue
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.queue import task_is_open
from voxcart.datasets.store.schema import Clip, Role, Task
from voxcart.labeler.accounts.auth import UserView, require_role
from voxcart.labeler.errors import LabelerError
from voxcart.labeler.services.clip_media import peaks

SAMPLE_RATE = 16_000
MIN_DURATION_S = 0.2
"""Shortest clip a nudge may leave."""
MAX_CONTEXT_CLIP_S = 120.0
"""Longest clip shown with context; longer ones (whole recordings) should be segmented first."""
NUDGE_ROLES = (Role.ANNOTATOR, Role.REVIEWER, Role.LEAD)
_EPS = 1e-3


class BoundaryError(LabelerError):
    """A boundary request is invalid: unknown clip, superseded clip, or a bad new span."""


@dataclass(frozen=True)
class ContextView:
    """A clip with context: the audio around it and where the clip lies in it.

    Attributes:
        clip_id: the clip shown.
        uid: its stable id.
        audio: 16 kHz mono float32 samples of the window (the clip plus context, cut to the
            recording).
        window_start_s: where the window starts in the recording.
        clip_start_s: where the clip starts, in seconds from the window's start.
        clip_end_s: where the clip ends, in seconds from the window's start.
        recording_duration_s: length of the whole recording.
        superseded: a nudge has replaced this clip with a newer version.
        superseded_by: the id of that newer version (None when not superseded, or unknown).
    """

    clip_id: int
    uid: str
    audio: np.ndarray = field(repr=False, compare=False)
    window_start_s: float
    clip_start_s: float
    clip_end_s: float
    recording_duration_s: float
    superseded: bool
    superseded_by: int | None

    @property
    def window_duration_s(self) -> float:
        """Seconds of audio in the window."""
        return self.audio.size / SAMPLE_RATE

    @property
    def offset_s(self) -> float:
        """The clip's start in the recording."""
        return self.window_start_s + self.clip_start_s

    @property
    def end_s(self) -> float:
        """The clip's end in the recording."""
        return self.window_start_s + self.clip_end_s


@dataclass(frozen=True)
class Waveform:
    """Peaks of a context window for drawing, and which columns a proposed span covers.

    Attributes:
        times_s: start of each column, in seconds from the window's start.
        peaks: peak amplitude of each column, in [0, 1].
        inside: whether each column lies inside the proposed clip span.
    """

    times_s: tuple[float, ...]
    peaks: tuple[float, ...]
    inside: tuple[bool, ...]


def _newer_version(session_clips: list[Clip], uid: str) -> int | None:
    newest = [c.id for c in session_clips if (c.lineage or {}).get("nudged_from") == uid]
    return max(newest) if newest else None


def clip_with_context(project: Project, clip_id: int, context_s: float = 1.0) -> ContextView:
    """Load a clip with `context_s` seconds of its recording on each side (cut at the edges).

    Raises:
        BoundaryError: no clip has this id, `context_s` is negative or not finite, or the clip
            is longer than :data:`MAX_CONTEXT_CLIP_S`.
        AudioError: the recording cannot be read.
    """
    if not (math.isfinite(context_s) and context_s >= 0):
        raise BoundaryError(f"context_s={context_s} must be a finite number of seconds >= 0")
    with project.session() as session:
        clip = session.get(Clip, clip_id)
        if clip is None:
            raise BoundaryError(f"clip id {clip_id} does not exist")
        path = clip.recording.source_path
        total = float(clip.recording.duration_s)
        offset, duration, uid = float(clip.offset_s), float(clip.duration_s), clip.uid
        superseded = SUPERSEDED_TAG in (clip.tags or [])
        children = list(session.scalars(select(Clip).where(Clip.parent_id == clip_id)))
        newer = _newer_version(children, uid) if superseded else None
    if duration > MAX_CONTEXT_CLIP_S:
        raise BoundaryError(
            f"clip {clip_id} ({uid}) lasts {duration:.1f} s, more than {MAX_CONTEXT_CLIP_S:.0f} s: "
            "boundaries are nudged on segment clips; run `voxcart segment` on its recording first"
        )
    start = max(0.0, offset - context_s)
    end = min(total, offset + duration + context_s)
    audio = load_audio(path, offset_s=start, duration_s=max(0.0, end - start), sr=SAMPLE_RATE)
    return ContextView(
        clip_id=clip_id,
        uid=uid,
        audio=audio,
        window_start_s=round(start, 6),
        clip_start_s=round(offset - start, 6),
        clip_end_s=round(offset + duration - start, 6),
        recording_duration_s=total,
        superseded=superseded,
        superseded_by=newer,
    )


def waveform(view: ContextView, start_s: float, end_s: float, columns: int = 300) -> Waveform:
    """Peaks of `view`'s window, marking columns inside [start_s, end_s) (window seconds)."""
    values = peaks(view.audio, columns)
    step = view.window_duration_s / max(len(values), 1)
    times = tuple(round(i * step, 4) for i in range(len(values)))
    inside = tuple(start_s <= t + step / 2 < end_s for t in times)
    return Waveform(times, values, inside)


def nudge(
    project: Project, user: UserView, clip_id: int, start_delta_s: float, end_delta_s: float
) -> int:
    """Move a clip's start and end by the given seconds, as a new clip version.

    The new version keeps the old clip's transcript (copied as a revision by `user`) and
    takes over its open queue tasks with the same priority and round; the old clip's tasks
    are cancelled.

    Args:
        project: the open project.
        user: who nudges (annotator, reviewer or lead).
        clip_id: the clip to correct; it must be the newest version.
        start_delta_s: seconds to move the start (negative: earlier).
        end_delta_s: seconds to move the end (negative: earlier).

    Returns:
        The new clip's id.

    Raises:
        PermissionDeniedError: the user's role may not nudge, or the account is deactivated.
        BoundaryError: unknown or superseded clip, no change, or the new span leaves the
            recording or is shorter than :data:`MIN_DURATION_S`.
    """
    require_role(user, *NUDGE_ROLES)
    for name, value in (("start_delta_s", start_delta_s), ("end_delta_s", end_delta_s)):
        if not math.isfinite(value):
            raise BoundaryError(f"{name}={value} must be a finite number of seconds")
    if abs(start_delta_s) < _EPS and abs(end_delta_s) < _EPS:
        raise BoundaryError("start_delta_s and end_delta_s are both 0: nothing to change")
    with project.session() as session:
        clip = session.get(Clip, clip_id)
        if clip is None:
            raise BoundaryError(f"clip id {clip_id} does not exist")
        if SUPERSEDED_TAG in (clip.tags or []):
            children = list(session.scalars(select(Clip).where(Clip.parent_id == clip_id)))
            newer = _newer_version(children, clip.uid)
            where = f"clip {newer}" if newer is not None else "a newer version"
            raise BoundaryError(
                f"clip {clip_id} ({clip.uid}) was superseded by {where}; nudge that one instead"
            )
        total = float(clip.recording.duration_s)
        start = round(clip.offset_s + start_delta_s, 3)
        end = round(clip.offset_s + clip.duration_s + end_delta_s, 3)
    if start < -_EPS or end > total + _EPS:
        raise BoundaryError(
            f"new span {start:.3f}-{end:.3f} s leaves the recording (0 to {total:.3f} s); "
            "move the boundaries less"
        )
    start, end = max(0.0, start), min(total, end)
    if end - start < MIN_DURATION_S - _EPS:
        raise BoundaryError(
            f"new span {start:.3f}-{end:.3f} s lasts {end - start:.3f} s; a clip needs at least "
            f"{MIN_DURATION_S} s: move the boundaries less"
        )
    try:
        new_id = nudge_clip(project, clip_id, start, end - start, user_id=user.id)
    except SegmentationError as exc:
        raise BoundaryError(str(exc)) from exc
    _move_tasks(project, clip_id, new_id)
    return new_id


def _move_tasks(project: Project, old_id: int, new_id: int) -> None:
    """Cancel the old clip's open tasks and queue the new clip the same way."""
    with project.session() as session:
        tasks = list(
            session.scalars(
                select(Task).where(
                    Task.clip_id == old_id,
                    task_is_open(),
                )
            )
        )
        for task in tasks:
            kind, priority, round_id = task.kind, task.priority, task.round_id
            queue.cancel(session, [old_id], kind=kind)
            queue.enqueue(session, [new_id], priority, kind=kind, round_id=round_id)


def span_audio(view: ContextView, start_s: float, end_s: float) -> np.ndarray:
    """The samples of `view`'s window between `start_s` and `end_s` (window seconds, clamped)."""
    first = max(0, round(start_s * SAMPLE_RATE))
    last = min(view.audio.size, round(end_s * SAMPLE_RATE))
    return view.audio[first : max(first, last)]
