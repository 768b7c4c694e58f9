"""Rounds page (lead): model versions and their metrics, AL rounds, background suggest/LM jobs."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import streamlit as st

from voxcart.labeler import jobs
from voxcart.labeler.app_context import PAGE_ROLES, get_project, require_role
from voxcart.labeler.overview import al_rounds, model_versions
from voxcart.model.versions import CATALOG_MODEL

POLL_S = 2.0


def _metrics(metrics: dict[str, object]) -> str:
    return json.dumps(metrics, sort_keys=True, default=str) if metrics else ""


@st.fragment(run_every=timedelta(seconds=POLL_S))
def _job_panel() -> None:
    status = jobs.current_job(get_project())
    if status is None:
        st.text("No job has run since the app started.")
        return
    label = f"Job {status.job_id} ({status.kind}): {status.state.value}"
    if status.state is jobs.JobState.RUNNING:
        fraction = status.fraction
        st.progress(fraction if fraction is not None else 0.0, text=label)
        if status.total:
            st.text(f"{status.done} of {status.total} done")
    elif status.state is jobs.JobState.DONE:
        st.success(label)
        st.text(status.summary)
    else:
        st.error(label)
        st.text(status.summary)


def _start_controls(model_names: list[str]) -> None:
    project = get_project()
    choices = list(dict.fromkeys([CATALOG_MODEL, *model_names]))
    c1, c2 = st.columns(2)
    with c1:
        model = st.selectbox("Model for suggestions", choices, key="voxcart_rounds_model")
        limit = st.number_input(
            "At most this many clips (0: all)", min_value=0, value=0, key="voxcart_rounds_limit"
        )
        if st.button("Start suggest", key="voxcart_rounds_suggest"):
            try:
                jobs.start_suggest(project, model, limit=int(limit) or None)
                st.toast("Suggest started")
            except jobs.JobBusyError as exc:
                st.warning(str(exc))
    with c2:
        st.text("Rebuild the catalog LM from the catalog\nand the accepted transcripts.")
        if st.button("Build LM", key="voxcart_rounds_lm"):
            try:
                jobs.start_lm_build(project)
                st.toast("LM build started")
            except jobs.JobBusyError as exc:
                st.warning(str(exc))


def render() -> None:
    """Model versions, active-learning rounds and the background job controls."""
    require_role(*PAGE_ROLES["rounds"])
    project = get_project()
    st.title("Models & rounds")
    versions = model_versions(project)
    st.subheader("Model versions")
    if versions:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "name": v.name,
                        "backend": v.backend,
                        "parent": v.parent or "",
                        "metrics": _metrics(v.metrics),
                        "created": v.created_at,
                    }
                    for v in versions
                ]
            ),
            hide_index=True,
            key="voxcart_rounds_models",
        )
    else:
        st.text("No model registered yet: build the LM or run suggest.")
    st.subheader("Active-learning rounds")
    rounds = al_rounds(project)
    if rounds:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "round": r.number,
                        "strategy": r.strategy,
                        "budget": r.budget,
                        "status": r.status,
                        "model": r.model or "",
                        "metrics": _metrics(r.metrics),
                        "created": r.created_at,
                    }
                    for r in rounds
                ]
            ),
            hide_index=True,
            key="voxcart_rounds_rounds",
        )
    else:
        st.text("No active-learning round yet.")
    st.subheader("Background jobs")
    _start_controls([v.name for v in versions])
    _job_panel()
