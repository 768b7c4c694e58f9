"""The Explore page's "Boundaries" section: hear a clip with context and save nudged boundaries.

Rendering only: the audio, context window and the nudge itself come from
:mod:`voxcart.labeler.services.boundaries`. Session state holds only the pending start/end deltas.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from voxcart.datasets.errors import AudioError, VoxcartError
from voxcart.labeler.app.context import get_project, require_role
from voxcart.labeler.services import boundaries
from voxcart.labeler.services.clip_media import wav_bytes

STEPS_MS = (-250, -50, 50, 250)
_SAVED_KEY = "voxcart_boundaries_saved"


def _delta_key(clip_id: int, edge: str) -> str:
    return f"voxcart_boundaries_{edge}_{clip_id}"


def _shift(key: str, step_ms: int) -> None:
    st.session_state[key] = round(st.session_state.get(key, 0.0) + step_ms / 1000, 3)


def _reset(clip_id: int) -> None:
    for edge in ("start", "end"):
        st.session_state[_delta_key(clip_id, edge)] = 0.0


def _controls(clip_id: int, edge: str, label: str) -> float:
    key = _delta_key(clip_id, edge)
    st.session_state.setdefault(key, 0.0)
    cols = st.columns(len(STEPS_MS) + 1)
    cols[0].markdown(f"**{label}** {st.session_state[key] * 1000:+.0f} ms")
    for col, step in zip(cols[1:], STEPS_MS, strict=True):
        col.button(
            f"{step:+d} ms",
            key=f"{key}_{step}",
            on_click=_shift,
            args=(key, step),
            help=f"Move the {edge} {abs(step)} ms {'earlier' if step < 0 else 'later'}",
        )
    return float(st.session_state[key])


def render_boundaries(clip_id: int) -> None:
    """Play the clip with 1 s of context, move its start/end, and save a new clip version."""
    saved = st.session_state.pop(_SAVED_KEY, None)
    if saved is not None:
        st.success(f"Saved as new clip version {saved[1]} (clip {saved[0]} is now superseded).")
    try:
        view = boundaries.clip_with_context(get_project(), clip_id)
    except (VoxcartError, AudioError) as exc:
        st.warning(f"Boundaries cannot be shown: {exc}")
        return
    st.caption(
        f"Clip {view.offset_s:.3f}-{view.end_s:.3f} s of a {view.recording_duration_s:.1f} s "
        f"recording; the player adds up to 1 s of context on each side "
        f"(the clip starts at {view.clip_start_s:.3f} s and ends at {view.clip_end_s:.3f} s)."
    )
    st.audio(wav_bytes(view.audio), format="audio/wav")
    if view.superseded:
        newer = f"clip {view.superseded_by}" if view.superseded_by is not None else "a newer clip"
        st.info(f"This clip was superseded by {newer}; nudge that version instead.")
        return
    start_delta = _controls(clip_id, "start", "Start")
    end_delta = _controls(clip_id, "end", "End")
    new_start = view.clip_start_s + start_delta
    new_end = view.clip_end_s + end_delta
    st.text(
        f"New span: {view.offset_s + start_delta:.3f}-{view.end_s + end_delta:.3f} s "
        f"({new_end - new_start:.3f} s)"
    )
    wave = boundaries.waveform(view, new_start, new_end)
    st.line_chart(
        pd.DataFrame(
            {
                "time_s": wave.times_s,
                "new span": [
                    p if i else None for p, i in zip(wave.peaks, wave.inside, strict=True)
                ],
                "context": [None if i else p for p, i in zip(wave.peaks, wave.inside, strict=True)],
            }
        ).set_index("time_s"),
        height=160,
    )
    preview = boundaries.span_audio(view, new_start, new_end)
    if preview.size:
        st.caption("Preview of the new span (within the context window)")
        st.audio(wav_bytes(preview), format="audio/wav")
    c1, c2 = st.columns(2)
    c1.button("Reset", key=f"voxcart_boundaries_reset_{clip_id}", on_click=_reset, args=(clip_id,))
    if c2.button("Save as new version", key=f"voxcart_boundaries_save_{clip_id}", type="primary"):
        user = require_role(*boundaries.NUDGE_ROLES)
        try:
            new_id = boundaries.nudge(get_project(), user, clip_id, start_delta, end_delta)
        except VoxcartError as exc:
            st.error(str(exc))
            return
        _reset(clip_id)
        st.session_state[_SAVED_KEY] = (clip_id, new_id)
        st.rerun()
