"""Explore page: filter and sort clips (by clip metadata too), play one, read its revision
history; progress charts."""

from __future__ import annotations

from dataclasses import fields

import pandas as pd
import streamlit as st

from voxcart.datasets.clip_audio import clip_audio
from voxcart.datasets.errors import AudioError
from voxcart.datasets.store.clip_meta import META_PREFIX
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import RevisionStatus, Split
from voxcart.datasets.store.stats import UNLABELED
from voxcart.labeler.app.context import PAGE_ROLES, get_project, render_diff, require_role
from voxcart.labeler.components.table import show_table
from voxcart.labeler.pages.boundaries_section import render_boundaries
from voxcart.labeler.services import browse

_CLIP_KEY = "voxcart_explore_clip"
_TABLE_COLUMNS = [
    "clip_id", "uid", "duration_s", "split", "speaker", "status", "text", "flags",
    "confidence", "wer",
]  # fmt: skip


def _query() -> browse.ClipQuery | None:
    project = get_project()
    with st.expander("Filters", expanded=True):
        c1, c2, c3 = st.columns(3)
        statuses = c1.multiselect(
            "Status",
            [s.value for s in RevisionStatus] + [UNLABELED],
            key="voxcart_explore_status",
        )
        splits = c2.multiselect(
            "Split", [s.value for s in Split] + ["unassigned"], key="voxcart_explore_split"
        )
        speakers = c3.multiselect(
            "Speaker", browse.speakers(project), key="voxcart_explore_speaker"
        )
        c4, c5, c6, c7 = st.columns(4)
        min_conf = c4.number_input(
            "Min confidence", 0.0, 1.0, value=None, key="voxcart_explore_min_conf"
        )
        max_conf = c5.number_input(
            "Max confidence", 0.0, 1.0, value=None, key="voxcart_explore_max_conf"
        )
        min_wer = c6.number_input("Min WER", 0.0, value=None, key="voxcart_explore_min_wer")
        max_wer = c7.number_input("Max WER", 0.0, value=None, key="voxcart_explore_max_wer")
        c8, c9, c10, c11 = st.columns(4)
        flag = c8.text_input("Flag contains", key="voxcart_explore_flag")
        text = c9.text_input("Transcript contains", key="voxcart_explore_text")
        sort_by = c10.selectbox("Sort by", browse.SORT_KEYS, key="voxcart_explore_sort")
        descending = c11.checkbox("Descending", key="voxcart_explore_desc")
        meta_name, meta_values = _meta_filter(project)
    try:
        return browse.ClipQuery(
            statuses=tuple(statuses),
            splits=tuple(splits),
            speakers=tuple(speakers),
            min_confidence=min_conf,
            max_confidence=max_conf,
            min_wer=min_wer,
            max_wer=max_wer,
            flag=flag,
            text=text,
            sort_by=sort_by,
            descending=descending,
            meta_name=meta_name,
            meta_values=meta_values,
        )
    except browse.BrowseError as exc:
        st.error(str(exc))
        return None


def _meta_filter(project: Project) -> tuple[str, tuple[str, ...]]:
    """A metadata name and the values to keep; shown only where clips have metadata."""
    names = browse.metadata_names(project)
    if not names:
        return "", ()
    c1, c2 = st.columns([1, 2])
    name = c1.selectbox(
        "Metadata field", ["", *names], key="voxcart_explore_meta_name", help=_META_HELP
    )
    if not name:
        return "", ()
    values = c2.multiselect(
        f"{name} is one of",
        browse.metadata_values(project, name),
        key=f"voxcart_explore_meta_values_{name}",
    )
    return name, tuple(values)


_META_HELP = (
    "Manifest columns voxcart kept at import (a recording condition, a device...). The same "
    "filter on the command line: `voxcart suggest --where meta.NAME=VALUE`."
)


def _clip_detail(rows: list[browse.ClipRow]) -> None:
    ids = [r.clip_id for r in rows]
    chosen = st.session_state.get(_CLIP_KEY)
    by_id = {r.clip_id: r for r in rows}
    clip_id = st.selectbox(
        "Clip",
        ids,
        index=ids.index(chosen) if chosen in ids else 0,
        format_func=lambda c: by_id[c].uid,
        key="voxcart_explore_pick",
    )
    st.session_state[_CLIP_KEY] = clip_id
    row = by_id[clip_id]
    project = get_project()
    try:
        st.audio(clip_audio(project, clip_id), sample_rate=16_000)
    except AudioError as exc:
        st.warning(f"Audio cannot be played: {exc}")
    boundary_box = st.expander("Boundaries", key="voxcart_explore_boundaries", on_change="rerun")
    if boundary_box.open:  # loads the context window only when opened
        with boundary_box:
            render_boundaries(clip_id)
    st.caption("Current transcript")
    st.text(row.text or "(none)")
    if row.suggestion is not None and row.text:
        st.caption("Diff: suggestion → transcript")
        render_diff(row.suggestion, row.text)
    st.caption("Revision history (oldest first)")
    history = browse.clip_history(project, clip_id)
    show_table(
        pd.DataFrame(
            [
                {
                    "revision": h.revision_id,
                    "at": h.created_at,
                    "status": h.status,
                    "source": h.source,
                    "by": h.username,
                    "text": h.verbatim,
                    "flags": ", ".join(h.flags),
                    "note": h.note,
                }
                for h in history
            ]
        ),
        key="voxcart_explore_history",
    )


def _charts(rows: list[browse.ClipRow]) -> None:
    st.subheader("Charts")
    hours = browse.labelled_hours_by_day(get_project())
    st.caption("Hours labelled over time (cumulative)")
    if len(hours) == 1:  # one point draws no line: show the day as a bar
        st.bar_chart(pd.DataFrame(hours, columns=["day", "hours"]).set_index("day"))
    elif hours:
        st.line_chart(pd.DataFrame(hours, columns=["day", "hours"]).set_index("day"))
    else:
        st.text("No human transcripts yet.")
    st.caption("Suggestion confidence (clips shown above)")
    hist = browse.confidence_histogram(rows)
    st.bar_chart(pd.DataFrame(hist, columns=["confidence", "clips"]).set_index("confidence"))
    slice_keys = [*browse.SLICE_KEYS, *(META_PREFIX + n for n in browse.meta_columns(rows))]
    key = st.selectbox("WER by", slice_keys, key="voxcart_explore_slice")
    slices = browse.wer_by(rows, key)
    if slices:
        st.bar_chart(pd.DataFrame(slices, columns=[key, "wer", "clips"]).set_index(key)["wer"])
    else:
        st.text("No clip has both a suggestion and a human transcript yet.")


def render() -> None:
    """Filterable clip table, clip player with history, and charts."""
    require_role(*PAGE_ROLES["explore"])
    st.title("Explore")
    query = _query()
    if query is None:
        return
    rows = browse.list_clips(get_project(), query)
    st.text(
        f"{len(rows)} clip(s) match" + (" (limit reached)" if len(rows) >= browse.MAX_ROWS else "")
    )
    frame = pd.DataFrame(
        [r.__dict__ for r in rows], columns=[f.name for f in fields(browse.ClipRow)]
    )
    frame["flags"] = frame["flags"].map(lambda f: ", ".join(f))
    columns = list(_TABLE_COLUMNS)
    for name in browse.meta_columns(rows):
        # Metadata columns come from the rows already loaded: no extra query.
        frame[META_PREFIX + name] = [r.meta.get(name) for r in rows]
        columns.append(META_PREFIX + name)
    show_table(
        frame[columns],
        key="voxcart_explore_table",
        percent=["wer"],
        seconds=["duration_s"],
    )
    if rows:
        _clip_detail(rows)
    _charts(rows)
