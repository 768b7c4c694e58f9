"""Augmentation preview: one clip before and after a preset, to hear and to see."""

from __future__ import annotations

import json

import numpy as np
import streamlit as st

from voxcart.augment.presets import list_presets
from voxcart.augment.preview import Preview, preview
from voxcart.datasets.errors import VoxcartError
from voxcart.labeler.app.context import PAGE_ROLES, get_project, require_role
from voxcart.labeler.services.clip_picker import clip_choices

CLIP_CHOICES = 500
"""Clips offered in the picker (the first ones by id); type an id for any other."""


def spectrogram_image(spec: np.ndarray, floor_db: float = 80.0) -> np.ndarray:
    """A log-mel spectrogram (dB) as an 8-bit grey image, low frequencies at the bottom."""
    top = float(np.max(spec)) if spec.size else 0.0
    scaled = np.clip((spec - (top - floor_db)) / floor_db, 0.0, 1.0)
    return np.ascontiguousarray((scaled[::-1] * 255).astype(np.uint8))


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
    before, after = st.columns(2)
    with before:
        st.subheader("Before")
        st.audio(result.before_audio, sample_rate=result.sr)
        st.image(spectrogram_image(result.before_spec), caption="log-mel spectrogram")
    with after:
        st.subheader("After")
        st.audio(result.after_audio, sample_rate=result.sr)
        st.image(spectrogram_image(result.after_spec), caption="log-mel spectrogram")
    st.caption("Sampled parameters")
    st.code(json.dumps(result.params, indent=2, sort_keys=True, default=str), language="json")
