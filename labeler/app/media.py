"""The editor's audio payloads, cached across reruns and pages of one app server.

Imported by the pages only: a Streamlit cache made outside a running app warns on stderr.
"""

from __future__ import annotations

import streamlit as st

from voxcart.datasets.store.project import Project
from voxcart.labeler.services.annotate import load_media
from voxcart.labeler.services.clip_media import ClipMedia


@st.cache_data(max_entries=64, show_spinner=False)
def _media(db_url: str, clip_id: int, _project: Project) -> ClipMedia:
    # Keyed by database and clip: a clip's audio never changes.
    return load_media(_project, clip_id)


def cached_media(project: Project, clip_id: int) -> ClipMedia:
    """A clip's audio payload for the editor.

    Raises:
        AudioError: the clip is unknown or its audio cannot be read.
    """
    return _media(project.db_url, clip_id, project)
