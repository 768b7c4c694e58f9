"""What every page of the labeling app shares: the project it serves, the logged-in user, roles.

The project directory comes from ``VOXCART_PROJECT`` (set by ``voxcart app``), the optional
database URL from ``VOXCART_DB``. Session state keeps only the user's id and login token; the
token is checked against the database on every run, so a logout (in any tab), an expired login,
a deactivation or a password change ends the session at its next click.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import streamlit as st

from voxcart.datasets.errors import VoxcartError
from voxcart.datasets.store.config import CONFIG_NAME
from voxcart.datasets.store.project import Project, open_project
from voxcart.datasets.store.schema import Role
from voxcart.labeler.accounts import auth, demo_users, login_sessions, throttle
from voxcart.labeler.errors import AccountError, InvalidCredentialsError, PermissionDeniedError
from voxcart.labeler.services.annotate import release_leases
from voxcart.labeler.services.diff import render_html, word_diff

PROJECT_ENV = "VOXCART_PROJECT"
"""Environment variable naming the project directory the app serves."""
DB_ENV = "VOXCART_DB"
"""Optional environment variable overriding the project's database URL."""
USER_KEY = "voxcart_user_id"
"""Session-state key holding the logged-in user's id (the only account data kept there)."""
TOKEN_KEY = "voxcart_login_token"
ENDED_KEY = "voxcart_login_ended"
SESSION_PARAM = "session"
"""The URL query parameter that carries the login token across a browser refresh."""
SESSION_ENDED = (
    "Your session has ended (logged out elsewhere, expired, password changed or account "
    "deactivated). Log in again."
)
PAGE_ROLES: dict[str, tuple[Role, ...]] = {
    "home": (Role.ANNOTATOR, Role.REVIEWER, Role.LEAD),
    "annotate": (Role.ANNOTATOR, Role.LEAD),
    "review": (Role.REVIEWER, Role.LEAD),
    "explore": (Role.ANNOTATOR, Role.REVIEWER, Role.LEAD),
    "augment_preview": (Role.REVIEWER, Role.LEAD),
    "rounds": (Role.LEAD,),
    "export": (Role.LEAD,),
}
"""Who may open each page (keyed by the module name in ``voxcart.labeler.pages``).

The navigation shows a user only their pages, and every page checks again with
``require_role(*PAGE_ROLES[name])`` when it renders."""
GUIDELINES_NAME = "guidelines.md"
GUIDELINES_MAX_BYTES = 256 * 1024
DEFAULT_GUIDELINES = """\
### Transcription guidelines

- Write **exactly what is said**, in lower case, without final punctuation.
- Write brand and model names as the catalog spells them (``sony wh-1000xm5``).
- Write numbers as spoken words (``under fifty dollars``); the exporter makes written forms.
- Mark hesitations (``um``, ``uh``) only when they are clearly audible.
- Skip a clip (with a reason) when it holds no speech, another language, several speakers,
  only noise, is cut off, or contains personal data (names, addresses, card numbers).
- When unsure of a word, type your best guess and flag the clip.

*A lead can replace this text by writing ``guidelines.md`` in the project folder.*
"""


DIFF_CSS = (
    "<style>.vx-diff del{color:#b42318;text-decoration:line-through}"
    ".vx-diff ins{color:#067647;text-decoration:underline}</style>"
)
"""Styles of :func:`voxcart.labeler.services.diff.render_html`'s classes (a constant, no data)."""


class PageStoppedError(VoxcartError):
    """A page ended its run early (no project, nobody logged in, role not allowed).

    Inside a Streamlit run ``st.stop()`` ends the script first; this is raised only where a
    page function is called outside one (a plain Python call), so that it still cannot go on.
    """


def halt(message: str = "page stopped") -> NoReturn:
    """End the script run here (``st.stop()``), and raise where no run is active."""
    st.stop()
    raise PageStoppedError(message)


def _stop_with_error(message: str) -> NoReturn:
    st.error(message)
    halt(message)


def project_path() -> Path:
    """The project directory the app serves, from ``VOXCART_PROJECT``.

    Renders an error page and stops the run when the variable is unset or the directory holds
    no ``voxcart.toml``.
    """
    raw = os.environ.get(PROJECT_ENV, "").strip()
    if not raw:
        _stop_with_error(
            f"No project: the environment variable {PROJECT_ENV} is not set. "
            "Start the app with `voxcart app -p PROJECT_DIR`."
        )
    path = Path(raw).expanduser().resolve()
    if not (path / CONFIG_NAME).is_file():
        _stop_with_error(
            f"{path} is not a voxcart project (it holds no {CONFIG_NAME}). "
            "Create one with `voxcart init` or `voxcart demo`, then run `voxcart app -p DIR`."
        )
    return path


@st.cache_resource(show_spinner=False)
def _open_cached(path: str, db_url: str | None) -> Project:
    return open_project(path, db_url)


def get_project() -> Project:
    """The open project (one per process and path/database, shared by all sessions).

    Renders an error page and stops the run when the project cannot be opened.
    """
    path = project_path()
    db_url = os.environ.get(DB_ENV, "").strip() or None
    try:
        return _open_cached(str(path), db_url)
    except VoxcartError as exc:
        _stop_with_error(f"Cannot open project {path}: {exc}")


def _token_from_url() -> str | None:
    value = st.query_params.get(SESSION_PARAM)
    return value if isinstance(value, str) and value else None


def current_user() -> auth.UserView | None:
    """The logged-in, active account, re-checked against the database on every run; None when
    nobody is.

    The login token (from session state, or from the URL after a browser refresh, see
    :mod:`voxcart.labeler.accounts.login_sessions`) must still be live at every run: a logout
    in another tab, the token's expiry, a deactivation or a password change ends this session
    at its next interaction. The token is put back into the URL on every run, because Streamlit
    drops query parameters when the user switches pages.
    """
    token = st.session_state.get(TOKEN_KEY) or _token_from_url()
    if not isinstance(token, str):
        st.session_state.pop(USER_KEY, None)
        return None
    with get_project().session() as session:
        user_id = login_sessions.resume(session, token)
        try:
            user = auth.get_user(session, user_id) if user_id is not None else None
        except AccountError:
            user = None
        problem = demo_users.demo_login_problem(session, user.id) if user is not None else None
        if problem is not None:
            login_sessions.end(session, token)
            user = None
    if user is None or not user.active:
        had_session = USER_KEY in st.session_state
        _forget_login()
        if had_session:
            st.session_state[ENDED_KEY] = (
                f"Your session has ended: {problem}" if problem else SESSION_ENDED
            )
        return None
    st.session_state[USER_KEY] = user.id
    st.session_state[TOKEN_KEY] = token
    if st.query_params.get(SESSION_PARAM) != token:
        st.query_params[SESSION_PARAM] = token
    return user


def _forget_login() -> None:
    if SESSION_PARAM in st.query_params:
        del st.query_params[SESSION_PARAM]
    for key in list(st.session_state.keys()):
        del st.session_state[key]


@st.cache_resource(show_spinner=False)
def _login_throttle() -> throttle.LoginThrottle:
    # One per server process, shared by every browser session.
    return throttle.LoginThrottle()


def _client_address() -> str | None:
    try:
        address = st.context.ip_address
    except (AttributeError, RuntimeError):
        return None
    return address if isinstance(address, str) and address else None


def login(username: str, password: str) -> auth.UserView:
    """Check credentials (behind the wrong-password throttle) and remember the user's id.

    Raises:
        InvalidCredentialsError: unknown user, wrong password or deactivated account.
        LoginThrottledError: too many wrong passwords for this account or from this client.
        PermissionDeniedError: a demo account with its public password, in a demo project
            that now holds real audio.
    """
    with get_project().session() as session:
        user = throttle.authenticate(
            session, _login_throttle(), username, password, _client_address()
        )
        problem = demo_users.demo_login_problem(session, user.id)
        if problem is not None:
            raise PermissionDeniedError(problem)
        token = login_sessions.start(session, user.id)
    st.session_state.pop(ENDED_KEY, None)
    st.session_state[USER_KEY] = user.id
    st.session_state[TOKEN_KEY] = token
    st.query_params[SESSION_PARAM] = token
    return user


def logout() -> None:
    """End the login (its URL token stops working) and forget everything this session cached."""
    token = st.session_state.get(TOKEN_KEY) or _token_from_url()
    if isinstance(token, str):
        with get_project().session() as session:
            login_sessions.end(session, token)
    user_id = st.session_state.get(USER_KEY)
    if isinstance(user_id, int):
        # The clips prefetched for this user go back to the queue for the others.
        release_leases(get_project(), user_id)
    _forget_login()


def render_login_form() -> None:
    """The login form; on success the script reruns as the logged-in user."""
    st.title("voxcart: log in")
    ended = st.session_state.get(ENDED_KEY)
    if isinstance(ended, str):
        st.warning(ended)
    with st.form("voxcart_login"):
        username = st.text_input("Username", key="voxcart_login_username")
        password = st.text_input("Password", type="password", key="voxcart_login_password")
        submitted = st.form_submit_button("Log in")
    if submitted:
        try:
            login(username, password)
        except (
            InvalidCredentialsError,
            PermissionDeniedError,
            throttle.LoginThrottledError,
        ) as exc:
            st.error(str(exc))
            return
        st.rerun()


def require_role(*roles: Role) -> auth.UserView:
    """The logged-in user if their role is one of `roles`; otherwise the run stops.

    Nobody logged in: the login form is shown. Wrong role: a "not allowed" message is shown.
    Every page calls this itself, so hiding a page from the navigation is not the only guard.
    """
    user = current_user()
    if user is None:
        render_login_form()
        halt("nobody is logged in")
    try:
        auth.require_role(user, *roles)
    except PermissionDeniedError as exc:
        _stop_with_error(f"Not allowed: {exc}")
    return user


def guidelines_text(project: Project) -> str:
    """The project's annotation guidelines (``guidelines.md``), or a default text when absent.

    The file is read as UTF-8 (undecodable bytes replaced) and cut at 256 KiB.
    """
    path = project.root / GUIDELINES_NAME
    try:
        with path.open("rb") as handle:
            raw = handle.read(GUIDELINES_MAX_BYTES)
    except OSError:
        return DEFAULT_GUIDELINES
    text = raw.decode("utf-8", errors="replace").strip()
    return text or DEFAULT_GUIDELINES


def render_diff(suggestion: str, edit: str) -> None:
    """Show the word diff from `suggestion` to `edit` (every word HTML-escaped by the differ)."""
    diff = word_diff(suggestion, edit, normalized=False)
    st.markdown(DIFF_CSS + render_html(diff), unsafe_allow_html=True)
    wer = "undefined (empty text)" if diff.wer is None else f"{diff.wer:.1%}"
    st.caption(f"WER of the suggestion against this text: {wer}")
