"""A tiny labelled demo project for the training tests (oracle labels: tests only)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from voxcart.datasets.demo.build import build_demo
from voxcart.datasets.store.project import open_project
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import Clip, ClipReference, RevisionStatus, Split

# Shrinks the `small` preset to ~30k parameters so that a step takes a fraction of a second.
TINY_MODEL: dict[str, Any] = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "conv_dim": [16] * 7,
    "num_conv_pos_embeddings": 16,
    "num_conv_pos_embedding_groups": 4,
}
DEV_SPEAKERS = 1


def build_labelled_demo(root: Path, n_clips: int = 8) -> Path:
    """A demo project whose clips are all accepted with their hidden reference text (an
    oracle only tests may use) and whose first speaker's clips form the dev split."""
    build_demo(root, n_clips=n_clips, n_speakers=4)
    project = open_project(root)
    try:
        with project.session() as session:
            for ref in session.scalars(select(ClipReference).order_by(ClipReference.clip_id)):
                add_revision(
                    session, ref.clip_id, ref.text, RevisionStatus.ACCEPTED, source="test-oracle"
                )
            speakers = sorted({c.speaker for c in session.scalars(select(Clip)) if c.speaker})
            for clip in session.scalars(select(Clip)):
                dev = clip.speaker in speakers[:DEV_SPEAKERS]
                clip.split = Split.DEV if dev else Split.TRAIN
    finally:
        project.close()
    return root


def copy_project(source: Path, target: Path) -> Path:
    """An independent copy of a (closed) project directory."""
    shutil.copytree(source, target)
    return target


_BUILT: dict[Path, Path] = {}


def shared_labelled_demo(factory: Any) -> Path:
    """The labelled demo, built once per test session (treat it as read-only: copy it)."""
    base = Path(factory.getbasetemp())
    if base not in _BUILT:
        _BUILT[base] = build_labelled_demo(factory.mktemp("train-demo") / "proj")
    return _BUILT[base]
