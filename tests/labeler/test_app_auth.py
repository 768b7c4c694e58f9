"""The app's login, logout, navigation by role, and every page's own role check."""

from __future__ import annotations

import pytest

from tests.labeler.app_support import (
    PASSWORDS,
    app,
    make_accounts,
    page,
    texts,
)
from voxcart.datasets.store.schema import Role, User
from voxcart.labeler.app import context
from voxcart.labeler.app.context import PAGE_ROLES
from voxcart.labeler.app.main import pages_for


@pytest.fixture
def env(project, monkeypatch):
    monkeypatch.setenv("VOXCART_PROJECT", str(project.root))
    monkeypatch.delenv("VOXCART_DB", raising=False)
    # The wrong-password throttle lives for the server process: start each test with none.
    context._login_throttle.clear()
    return make_accounts(project)


def _login(at, username: str, password: str):
    at.text_input(key="voxcart_login_username").input(username)
    at.text_input(key="voxcart_login_password").input(password)
    next(b for b in at.button if b.label == "Log in").click()
    return at.run()


def test_login_succeeds_and_shows_home(env):
    at = app().run()
    assert "log in" in texts(at)
    at = _login(at, "lead", PASSWORDS[Role.LEAD])
    assert not at.exception
    assert at.session_state["voxcart_user_id"] == env.lead
    assert "Logged in as" in texts(at)


def test_wrong_password_is_refused(env):
    at = _login(app().run(), "lead", "not-the-password")
    assert "voxcart_user_id" not in at.session_state
    assert "unknown username or wrong password" in texts(at)


def test_unknown_user_is_refused_like_a_wrong_password(env):
    at = _login(app().run(), "nobody", PASSWORDS[Role.LEAD])
    assert "voxcart_user_id" not in at.session_state
    assert "unknown username or wrong password" in texts(at)


def test_deactivated_user_is_logged_out_at_next_run(env, project):
    at = app(env.annotator).run()
    assert "Logged in as" in texts(at)
    with project.session() as session:
        session.get(User, env.annotator).active = False
    at.run()
    assert "voxcart_user_id" not in at.session_state
    assert "log in" in texts(at)


def test_logout_forgets_the_user(env):
    at = app(env.reviewer).run()
    at.button(key="voxcart_logout").click().run()
    assert "voxcart_user_id" not in at.session_state
    assert "log in" in texts(at)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.ANNOTATOR, {"home", "annotate", "explore"}),
        (Role.REVIEWER, {"home", "review", "explore", "augment"}),
        (Role.LEAD, {"home", "annotate", "review", "explore", "augment", "rounds", "export"}),
    ],
)
def test_navigation_lists_only_the_roles_pages(env, role, expected):
    assert {p.url_path for p in pages_for(role)} == expected
    at = app(env.of(role)).run()
    assert not at.exception
    # The pages st.navigation registered for this session (what the menu and URLs offer).
    registered = {info.get("page_name") for info in at._registered_pages.values()}
    assert registered == {p.title for p in pages_for(role)}


def test_annotator_never_gets_review_rounds_or_export_by_url(env):
    from streamlit.util import calc_hash

    at = app(env.annotator).run()
    for url_path in ("review", "rounds", "export"):
        at._page_hash = calc_hash(url_path)  # what opening /review in the browser asks for
        at.run()
        shown = texts(at)
        assert "Not allowed" not in shown  # the page is not even run: home is shown
        assert "Your work" in shown


@pytest.mark.parametrize("module", sorted(PAGE_ROLES))
@pytest.mark.parametrize("role", list(Role))
def test_every_page_checks_the_role_itself(env, module, role):
    if module == "annotate":
        pytest.importorskip("voxcart.labeler.pages.annotate")
    at = page(module, env.of(role)).run()
    shown = texts(at)
    if role in PAGE_ROLES[module]:
        assert "Not allowed" not in shown, at.exception
    else:
        assert "Not allowed" in shown
        assert f"has role '{role.value}'" in shown


@pytest.mark.parametrize("module", sorted(PAGE_ROLES))
def test_every_page_asks_for_login_when_nobody_is_logged_in(env, module):
    if module == "annotate":
        pytest.importorskip("voxcart.labeler.pages.annotate")
    at = page(module).run()
    assert "log in" in texts(at)
    assert at.text_input(key="voxcart_login_password").value == ""


def test_missing_project_variable_gives_a_clear_error(monkeypatch):
    monkeypatch.delenv("VOXCART_PROJECT", raising=False)
    at = app().run()
    assert "VOXCART_PROJECT is not set" in texts(at)


def test_directory_that_is_not_a_project_gives_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("VOXCART_PROJECT", str(tmp_path))
    at = app().run()
    assert "is not a voxcart project" in texts(at)


def test_a_refresh_keeps_the_login_until_logout(env):
    at = _login(app().run(), "lead", PASSWORDS[Role.LEAD])
    token = at.query_params["session"]
    assert isinstance(token, str) and len(token) > 30
    # A browser refresh: a new script session, only the URL survives.
    again = app()
    again.query_params["session"] = token
    again.run()
    assert again.session_state["voxcart_user_id"] == env.lead
    assert "Logged in as" in texts(again)
    again.button(key="voxcart_logout").click().run()
    assert "session" not in again.query_params
    stale = app()
    stale.query_params["session"] = token  # the old URL after logging out
    stale.run()
    assert "voxcart_user_id" not in stale.session_state and "log in" in texts(stale)


def test_a_forged_token_logs_nobody_in(env):
    at = app()
    at.query_params["session"] = "forged-token"
    at.run()
    assert "voxcart_user_id" not in at.session_state and "log in" in texts(at)


def test_logout_in_one_tab_ends_the_other_at_its_next_click(env):
    first = _login(app().run(), "annotator", PASSWORDS[Role.ANNOTATOR])
    token = first.query_params["session"]
    second = app()  # another tab holding the same login (same URL)
    second.query_params["session"] = token
    second.run()
    assert "Logged in as" in texts(second)
    first.button(key="voxcart_logout").click().run()
    second.run()  # its next interaction
    assert "voxcart_user_id" not in second.session_state
    assert "session has ended" in texts(second)


@pytest.mark.parametrize("how", ["password", "deactivate", "expiry"])
def test_password_change_deactivation_and_expiry_end_open_sessions(env, project, how):
    from datetime import timedelta

    from sqlalchemy import update

    from voxcart.datasets.store.schema import LoginSession, utcnow
    from voxcart.labeler.accounts import auth

    at = _login(app().run(), "reviewer", PASSWORDS[Role.REVIEWER])
    assert "Logged in as" in texts(at)
    with project.session() as session:
        if how == "password":
            auth.set_password(session, env.reviewer, "a-brand-new-password")
        elif how == "deactivate":
            auth.set_active(session, env.reviewer, False)
        else:
            session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    at.run()
    assert "voxcart_user_id" not in at.session_state
    assert "session has ended" in texts(at)


def test_wrong_passwords_are_throttled_in_the_app(env):
    at = app().run()
    for _ in range(3):
        at = _login(at, "lead", "wrong-password")
        assert "unknown username or wrong password" in texts(at)
    at = _login(at, "lead", PASSWORDS[Role.LEAD])  # right password, but too soon
    assert "try again in" in texts(at)
    assert "voxcart_user_id" not in at.session_state


def test_open_demo_session_ends_when_real_audio_arrives(project, monkeypatch, tmp_path):
    from sqlalchemy import update

    from tests.conftest import write_audio
    from tests.labeler.helpers import make_clips
    from voxcart.datasets.ingest.engine import import_source
    from voxcart.datasets.store.schema import Clip, ClipReference
    from voxcart.labeler.accounts.demo_users import ensure_demo_users

    monkeypatch.setenv("VOXCART_PROJECT", str(project.root))
    monkeypatch.delenv("VOXCART_DB", raising=False)
    context._login_throttle.clear()
    (clip,) = make_clips(project, 1)
    with project.session() as session:
        session.execute(update(Clip).values(origin="demo"))
        session.add(ClipReference(clip_id=clip, text="sony tv", source="demo-tts"))
    ensure_demo_users(project)
    at = _login(app().run(), "annotator", "voxcart-annotator")
    assert "Logged in as" in texts(at)
    import_source(project, write_audio(tmp_path / "real.wav", seconds=0.5))
    at.run()
    assert "voxcart_user_id" not in at.session_state
    assert "public password" in texts(at)
    at = _login(app().run(), "annotator", "voxcart-annotator")
    assert "public password" in texts(at) and "voxcart_user_id" not in at.session_state
