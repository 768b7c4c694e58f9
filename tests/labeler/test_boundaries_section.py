"""The Explore page's "Boundaries" section under AppTest: play with context, nudge, save, reset,
refuse a span outside the recording, and point a superseded clip at its newer version."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tests.labeler.app_support import TIMEOUT_S, log_in, make_accounts, make_audio_clips, texts
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip


def _render_boundaries(clip_id: int) -> None:
    from voxcart.labeler.pages.boundaries_section import render_boundaries

    render_boundaries(clip_id)


def _section(clip_id: int, user_id: int) -> AppTest:
    at = AppTest.from_function(_render_boundaries, args=(clip_id,), default_timeout=TIMEOUT_S)
    log_in(at, user_id)  # a real login token: every run re-checks the session
    return at.run()


def _button(at: AppTest, clip_id: int, edge: str, step: int):
    return at.button(key=f"voxcart_boundaries_{edge}_{clip_id}_{step}")


@pytest.fixture
def env(project: Project, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VOXCART_PROJECT", str(project.root))
    monkeypatch.delenv("VOXCART_DB", raising=False)
    return make_accounts(project), make_audio_clips(project, 4)


def test_nudge_and_save_as_a_new_version(env, project: Project) -> None:
    accounts, clips = env
    clip_id = clips[1]  # 1.0-2.0 s of a 4 s recording: context on both sides
    at = _section(clip_id, accounts.annotator)
    assert not at.exception, at.exception
    shown = texts(at)
    assert "Clip 1.000-2.000 s of a 4.0 s recording" in shown
    assert "the clip starts at 1.000 s and ends at 2.000 s" in shown
    assert len(at.get("audio")) == 2  # the clip with context, and the new span's preview
    assert "New span: 1.000-2.000 s (1.000 s)" in shown
    _button(at, clip_id, "start", -250).click().run()
    _button(at, clip_id, "end", 50).click().run()
    shown = texts(at)
    assert "**Start** -250 ms" in shown and "**End** +50 ms" in shown
    assert "New span: 0.750-2.050 s (1.300 s)" in shown
    next(b for b in at.button if b.label == "Save as new version").click().run()
    assert not at.exception, at.exception
    with project.session() as session:
        newest = session.scalars(select(Clip).order_by(Clip.id.desc())).first()
        assert newest is not None and newest.parent_id == clip_id
        assert (newest.offset_s, newest.duration_s) == (0.75, 1.3)
    assert f"Saved as new clip version {newest.id} (clip {clip_id} is now superseded)" in texts(at)
    # The section now shows the old clip as superseded, with nothing left to save.
    assert f"This clip was superseded by clip {newest.id}" in texts(at)
    assert not [b for b in at.button if b.label == "Save as new version"]
    new = _section(newest.id, accounts.annotator)
    assert "Clip 0.750-2.050 s of a 4.0 s recording" in texts(new)
    assert "**Start** +0 ms" in texts(new) and "New span: 0.750-2.050 s (1.300 s)" in texts(new)


def test_reset_and_a_span_outside_the_recording(env, project: Project) -> None:
    accounts, clips = env
    first = clips[0]  # starts at 0 s: it cannot start earlier
    at = _section(first, accounts.reviewer)
    _button(at, first, "end", 250).click().run()
    assert "New span: 0.000-1.250 s (1.250 s)" in texts(at)
    at.button(key=f"voxcart_boundaries_reset_{first}").click().run()
    assert "New span: 0.000-1.000 s (1.000 s)" in texts(at)
    _button(at, first, "start", -50).click().run()
    next(b for b in at.button if b.label == "Save as new version").click().run()
    assert [e.value for e in at.error] == [
        "new span -0.050-1.000 s leaves the recording (0 to 4.000 s); move the boundaries less"
    ]
    with project.session() as session:
        assert len(session.scalars(select(Clip)).all()) == 4  # nothing was written


def test_unknown_clip_shows_why_it_cannot_be_shown(env) -> None:
    accounts, _ = env
    at = _section(999, accounts.lead)
    assert not at.exception
    assert next(w.value for w in at.warning).startswith("Boundaries cannot be shown:")
