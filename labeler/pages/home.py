"""Home page: project statistics and per-annotator counters."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from voxcart.datasets.store.schema import LABEL_STATUSES, Role
from voxcart.datasets.store.stats import project_stats
from voxcart.labeler.app.context import PAGE_ROLES, get_project, require_role
from voxcart.labeler.components.table import show_table
from voxcart.labeler.services.overview import annotator_activity
from voxcart.labeler.services.review import count_pending_reviews


def _counts_table(key: str, clips: Mapping[str, int], hours: Mapping[str, float]) -> None:
    """Clips and hours per value of `key` (status or split) as a table."""
    st.subheader(f"Clips by {key}")
    show_table(
        pd.DataFrame(
            {
                key: list(clips),
                "clips": list(clips.values()),
                "hours": [hours.get(k, 0.0) for k in clips],
            }
        ),
        key=f"voxcart_home_{key}",
    )


def render() -> None:
    """Show the project's size and progress, and who did how much."""
    user = require_role(*PAGE_ROLES["home"])
    project = get_project()
    st.title("voxcart")
    st.text(f"Project: {project.config.name}  ({project.root})")
    stats = project_stats(project)
    labelled = sum(stats.clips_by_status.get(s.value, 0) for s in LABEL_STATUSES)
    cols = st.columns(4)
    cols[0].metric("Clips", stats.clips)
    cols[1].metric("Hours", f"{stats.hours:.2f}")
    cols[2].metric("Labelled clips", labelled)
    cols[3].metric("Waiting for review", count_pending_reviews(project))

    activity = annotator_activity(project)
    mine = next((a for a in activity if a.user_id == user.id), None)
    st.subheader("Your work")
    mcols = st.columns(4)
    mcols[0].metric("Annotations", mine.annotations if mine else 0)
    mcols[1].metric("Last 24 h", mine.last_24h if mine else 0)
    mcols[2].metric("Audio hours", f"{mine.audio_hours:.3f}" if mine else "0.000")
    mcols[3].metric("Reviews", mine.reviews if mine else 0)

    if user.role in (Role.REVIEWER, Role.LEAD):
        st.subheader("Team")
        show_table(
            pd.DataFrame([a.__dict__ for a in activity]).drop(columns=["user_id"], errors="ignore"),
            key="voxcart_home_team",
        )

    _counts_table("status", stats.clips_by_status, stats.hours_by_status)
    _counts_table("split", stats.clips_by_split, stats.hours_by_split)
    st.text(
        f"Speakers: {stats.speakers}   vocabulary: {stats.vocabulary} words   "
        f"catalog coverage: {stats.catalog_coverage:.1%}"
    )
