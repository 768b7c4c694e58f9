"""Clip metadata in the Explore page's service: names, values and the filter, on SQLite and
PostgreSQL (JSON key queries differ between them)."""

from __future__ import annotations

import pytest

from tests.factories import add_clip, add_recording
from voxcart.datasets.store.project import Project
from voxcart.labeler.services import browse

METAS = ({"condition": "far", "région": "EU"}, {"condition": "near"}, {}, {"condition": "far"})


def _check(project: Project) -> None:
    with project.session() as session:
        rec = add_recording(session, "/a.wav", duration_s=8.0)
        for i, meta in enumerate(METAS):
            add_clip(session, rec, f"c{i}", offset_s=i, duration_s=1.0, meta=meta)
    assert browse.metadata_names(project) == ["condition", "région"]
    assert browse.metadata_values(project, "condition") == ["far", "near"]
    assert browse.metadata_values(project, "région") == ["EU"]
    rows = browse.list_clips(project, browse.ClipQuery(meta_name="condition", meta_values=("far",)))
    assert [r.uid for r in rows] == ["c0", "c3"]
    assert rows[0].meta == {"condition": "far", "région": "EU"}
    every = browse.list_clips(project)
    assert browse.meta_columns(every) == ["condition", "région"]


def test_metadata_in_browse_on_sqlite(project: Project) -> None:
    _check(project)


def test_metadata_in_browse_on_postgresql(pg_project: Project) -> None:
    _check(pg_project)


def test_bad_metadata_queries_are_named() -> None:
    with pytest.raises(browse.BrowseError, match="without meta_name"):
        browse.ClipQuery(meta_values=("far",))
    with pytest.raises(browse.BrowseError, match="may not contain"):
        browse.ClipQuery(meta_name="a=b", meta_values=("x",))
    with pytest.raises(browse.BrowseError, match=r"meta\.NAME"):
        browse.wer_by([], "colour")
