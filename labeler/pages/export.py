"""Export page (lead): the CLI's exporter with its options, and the result as a zip download."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from voxcart.datasets.errors import VoxcartError
from voxcart.datasets.export.exporter import FORMATS, ExportOptions
from voxcart.datasets.export.rows import DEFAULT_STATUSES
from voxcart.datasets.store.schema import RevisionStatus, Split
from voxcart.labeler.app.context import PAGE_ROLES, get_project, require_role
from voxcart.labeler.services.export_bundle import export_zip

_ZIP_KEY = "voxcart_export_zip"


def _form() -> None:
    project = get_project()
    with st.form("voxcart_export_form"):
        c1, c2 = st.columns(2)
        fmt = c1.selectbox("Format", FORMATS, key="voxcart_export_format")
        text = c2.radio(
            "Text", ["normalized", "verbatim"], horizontal=True, key="voxcart_export_text"
        )
        statuses = st.multiselect(
            "Statuses of the current transcript",
            [s.value for s in RevisionStatus],
            default=[s.value for s in DEFAULT_STATUSES],
            key="voxcart_export_statuses",
        )
        splits = st.multiselect(
            "Splits (none: all, and every clip must have one)",
            [s.value for s in Split],
            key="voxcart_export_splits",
        )
        c3, c4, c5 = st.columns(3)
        include_pseudo = c3.checkbox("Include pseudo-labels", key="voxcart_export_pseudo")
        copy_audio = c4.checkbox("Copy audio (16 kHz WAV)", key="voxcart_export_copy")
        provenance = c5.checkbox("Provenance columns", key="voxcart_export_provenance")
        name = st.text_input("Version name (empty: automatic)", key="voxcart_export_name")
        submitted = st.form_submit_button("Export")
    if not submitted:
        return
    try:
        with st.spinner("Exporting…"):
            options = ExportOptions(
                text="verbatim" if text == "verbatim" else "normalized",
                statuses=statuses,
                include_pseudo=include_pseudo,
                copy_audio=copy_audio,
                provenance=provenance,
                splits=splits or None,
                name=name.strip() or None,
            )
            bundle = export_zip(project, fmt, options)
    except VoxcartError as exc:
        st.error(str(exc))
        return
    st.session_state[_ZIP_KEY] = str(bundle.zip_path)
    rows = ", ".join(f"{k} {v}" for k, v in sorted(bundle.result.rows.items()))
    st.success(f"Exported {bundle.result.total_rows} clips ({rows}), {bundle.result.hours:.3f} h.")
    if bundle.result.skipped:
        st.warning(
            f"{len(bundle.result.skipped)} clip(s) left out; first: {bundle.result.skipped[0]}"
        )


def _download() -> None:
    stored = st.session_state.get(_ZIP_KEY)
    if not isinstance(stored, str):
        return
    path = Path(stored)
    exports = get_project().exports_dir.resolve()
    if path.resolve().parent != exports or not path.is_file():
        st.session_state.pop(_ZIP_KEY, None)
        return
    st.text(f"Export folder: {path.with_suffix('')}")
    st.download_button(
        f"Download {path.name}",
        data=path.read_bytes(),
        file_name=path.name,
        mime="application/zip",
        key="voxcart_export_download",
    )


def render() -> None:
    """Export options, the export itself, and the zip download."""
    require_role(*PAGE_ROLES["export"])
    st.title("Export")
    st.caption(
        "The same exporter as `voxcart export`; each export is recorded as a dataset version."
    )
    _form()
    _download()
