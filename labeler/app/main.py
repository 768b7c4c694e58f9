"""The labeling app's routing: the logged-in user gets the pages their role allows.

``voxcart app`` runs ``app_script/voxcart_app.py`` with ``streamlit run``, and
``streamlit_app.py`` at the repository root is the same three lines: both call :func:`main`.
Routing only: every page renders itself and checks its role.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from voxcart.datasets.store.schema import Role
from voxcart.labeler.app import context as app_context

PAGES_PACKAGE = "voxcart.labeler.pages"
FAVICON = Path(__file__).resolve().parent / "favicon.png"
"""The tab icon, shipped with the package: an icon name or emoji would be fetched from a CDN."""


@dataclass(frozen=True)
class PageSpec:
    """One page of the app: the module under ``voxcart.labeler.pages`` and how it is listed."""

    module: str
    title: str
    url_path: str
    icon: str

    @property
    def roles(self) -> tuple[Role, ...]:
        """Roles that see (and may open) the page."""
        return app_context.PAGE_ROLES[self.module]


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", "Home", "home", ":material/home:"),
    PageSpec("annotate", "Annotate", "annotate", ":material/edit_note:"),
    PageSpec("review", "Review", "review", ":material/fact_check:"),
    PageSpec("explore", "Explore", "explore", ":material/search:"),
    PageSpec("augment_preview", "Augmentation preview", "augment", ":material/graphic_eq:"),
    PageSpec("rounds", "Models & rounds", "rounds", ":material/model_training:"),
    PageSpec("export", "Export", "export", ":material/download:"),
)


def pages_for(role: Role) -> list[PageSpec]:
    """The pages a user with `role` sees, in menu order."""
    return [page for page in PAGES if role in page.roles]


def load_page(module: str) -> Callable[[], None]:
    """The ``render`` function of a page module, imported when the page is first shown.

    A page module that is not installed yet shows a placeholder instead of breaking the app.
    """

    def render() -> None:
        try:
            page = importlib.import_module(f"{PAGES_PACKAGE}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{PAGES_PACKAGE}.{module}":
                raise
            app_context.require_role(*app_context.PAGE_ROLES[module])
            st.info(f"The {module} page is not available in this version of voxcart.")
            return
        page.render()

    render.__name__ = f"page_{module}"
    return render


def _login_page() -> None:
    app_context.render_login_form()


def _sidebar(user_name: str, role: Role) -> None:
    with st.sidebar:
        st.caption(f"Logged in as **{user_name}** ({role.value})")
        if st.button("Log out", key="voxcart_logout"):
            app_context.logout()
            st.rerun()


def main() -> None:
    """Build the navigation for the current user and run the selected page."""
    st.set_page_config(page_title="voxcart", page_icon=str(FAVICON), layout="wide")
    app_context.get_project()
    user = app_context.current_user()
    if user is None:
        nav = st.navigation([st.Page(_login_page, title="Log in", url_path="login", default=True)])
    else:
        _sidebar(user.username, user.role)
        nav = st.navigation(
            [
                st.Page(
                    load_page(spec.module),
                    title=spec.title,
                    url_path=spec.url_path,
                    icon=spec.icon,
                    default=spec.module == "home",
                )
                for spec in pages_for(user.role)
            ]
        )
    nav.run()
