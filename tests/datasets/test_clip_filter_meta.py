"""``--where meta.NAME=VALUE``: clip metadata in the filter that suggest and queue fill share,
run on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import add_clip, add_recording
from voxcart.datasets.errors import ClipFilterError
from voxcart.datasets.store.clip_filter import clip_query, parse_where
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip

METAS = (
    {"condition": "far", "région": "EU"},
    {"condition": "near", "région": "EU"},
    {"condition": "far"},
    {},
)


def _fill(project: Project) -> dict[str, int]:
    with project.session() as session:
        rec = add_recording(session, "/a.wav", duration_s=8.0)
        clips = [
            add_clip(session, rec, f"c{i}", offset_s=i, duration_s=1.0, meta=meta)
            for i, meta in enumerate(METAS)
        ]
        return {c.uid: c.id for c in clips}


def _uids(project: Project, *conditions: str) -> list[str]:
    ids = select(clip_query(parse_where(conditions)).subquery().c.id)
    with project.session() as session:
        return list(session.scalars(select(Clip.uid).where(Clip.id.in_(ids)).order_by(Clip.id)))


def _check(project: Project) -> None:
    _fill(project)
    assert _uids(project, "meta.condition=far") == ["c0", "c2"]
    assert _uids(project, "META.Condition=far", "meta.région=EU") == ["c0"]
    assert _uids(project, "meta.région=none") == ["c2", "c3"]
    assert _uids(project, "meta.condition=FAR") == []  # values match exactly
    assert _uids(project, "meta.missing=x") == []


def test_meta_conditions_on_sqlite(project: Project) -> None:
    _check(project)


def test_meta_conditions_on_postgresql(pg_project: Project) -> None:
    _check(pg_project)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("meta.=x", "name is empty"),
        ("meta.a,b=x", "may not contain"),
        ("meta.a=x", "twice"),
        ("meta." + "n" * 65 + "=x", "over the 64 allowed"),
        ("meta.a", "FIELD=VALUE"),
    ],
)
def test_bad_meta_conditions_name_the_fix(condition: str, message: str) -> None:
    conditions = ["meta.a=y", condition] if message == "twice" else [condition]
    with pytest.raises(ClipFilterError, match=message):
        parse_where(conditions)
