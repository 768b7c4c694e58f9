"""A stored clip's audio: the one lookup of its recording and span, decoded to 16 kHz mono."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from voxcart.datasets.audio import TARGET_SR, load_audio
from voxcart.datasets.errors import ClipNotFoundError
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip, Recording


def clip_audio(project: Project, clip_id: int, sr: int = TARGET_SR) -> np.ndarray:
    """The clip's audio as float32 mono at `sr` (16 kHz by default).

    Raises:
        ClipNotFoundError: no clip has this id.
        AudioError: the recording cannot be read.
    """
    with project.session() as session:
        found = session.execute(
            select(Recording.source_path, Clip.offset_s, Clip.duration_s)
            .join(Recording, Recording.id == Clip.recording_id)
            .where(Clip.id == clip_id)
        ).first()
    if found is None:
        raise ClipNotFoundError(
            f"clip_id={clip_id} does not exist in project {project.root}; pick a clip id "
            "from `voxcart stats` or the Explore page"
        )
    path, offset_s, duration_s = found
    return load_audio(path, offset_s, duration_s, sr=sr)
