"""Augmentation preview: one clip before and after a preset, to hear and to see."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from voxcart.augment.presets import list_presets
from voxcart.augment.preview import HOP_S, Preview, preview
from voxcart.datasets.errors import VoxcartError
from voxcart.labeler.app.context import PAGE_ROLES, get_project, require_role
from voxcart.labeler.components.spectrogram import (
    parameter_rows,
    shared_scale,
    spectrogram_figure,
)
from voxcart.labeler.components.table import show_table
from voxcart.labeler.services.clip_picker import clip_choices

CLIP_CHOICES = 500
"""Clips offered in the picker (the first ones by id); type an id for any other."""


@st.cache_data(max_entries=8, show_spinner="Augmenting…")
def _preview(root: str, clip_id: int, preset: str, seed: int) -> Preview:
    # Keyed on the project root so that two projects in one process never share results.
    del root
    return preview(get_project(), clip_id, preset, seed=seed)


def render() -> None:
    """Pick a clip, a preset and a seed; hear and see the clip before and after."""
    require_role(*PAGE_ROLES["augment_preview"])
    project = get_project()
    st.title("Augmentation preview")
    clips = clip_choices(project, CLIP_CHOICES)
    if not clips:
        st.info("The project has no clips yet: import some audio first.")
        return
    presets = list_presets()
    uids = {c.id: c.uid for c in clips}
    c1, c2, c3 = st.columns(3)
    clip_id = c1.selectbox(
        "Clip", list(uids), format_func=lambda c: uids[c], key="voxcart_augment_clip"
    )
    names = [p.name for p in presets]
    preset = c2.selectbox("Preset", names, key="voxcart_augment_preset")
    seed = int(c3.number_input("Seed", min_value=0, value=0, step=1, key="voxcart_augment_seed"))
    info = next(p for p in presets if p.name == preset)
    st.text(info.description)
    try:
        result = _preview(str(project.root), int(clip_id), preset, seed)
    except VoxcartError as exc:
        st.error(f"Cannot preview clip {uids[clip_id]}: {exc}")
        return
    scale = shared_scale([result.before_spec, result.after_spec])
    before, after = st.columns(2)
    for column, title, audio, spec in (
        (before, "Before", result.before_audio, result.before_spec),
        (after, "After", result.after_audio, result.after_spec),
    ):
        with column:
            st.subheader(title)
            st.audio(audio, sample_rate=result.sr)
            st.pyplot(
                spectrogram_figure(spec, result.sr, HOP_S, f"{title}: log-mel spectrogram", scale)
            )
    st.subheader("Sampled parameters")
    rows = parameter_rows(result.params)
    show_table(pd.DataFrame(rows, columns=["parameter", "value"]), key="voxcart_augment_params")
    with st.expander("As JSON (lineage record)"):
        st.code(json.dumps(result.params, indent=2, sort_keys=True, default=str), language="json")
