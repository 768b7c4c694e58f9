"""Sessions in a real headless Chromium: a logout in one tab ends the other tab's session at its
next click, and wrong passwords are throttled. Skips where Chromium or Playwright is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.labeler.test_e2e_browser import CHROMIUM, CHROMIUM_ARGS, _free_port, _server
from voxcart.datasets.store.project import init_project
from voxcart.labeler.accounts.auth import create_user

pytestmark = pytest.mark.browser
PASSWORD = "reviewer-pass-1"


def _log_in(page, password: str) -> None:
    page.get_by_label("Username").fill("rita")
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_logout_in_one_tab_ends_the_other_and_wrong_passwords_wait(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    project = init_project(tmp_path / "proj")
    with project.session() as session:
        create_user(session, "rita", PASSWORD, "reviewer")
    try:
        with (
            _server(project, _free_port(), tmp_path / "server.log") as base,
            sync_api.sync_playwright() as pw,
        ):
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                first = browser.new_page()
                first.set_default_timeout(15_000)
                first.goto(base)
                _log_in(first, PASSWORD)
                first.get_by_text("Logged in as").wait_for()
                second = browser.new_context().new_page()  # another tab with the same URL
                second.set_default_timeout(15_000)
                second.goto(first.url)
                second.get_by_text("Logged in as").wait_for()
                first.get_by_role("button", name="Log out").click()
                first.get_by_role("button", name="Log in").wait_for()
                second.get_by_role("link", name="Explore").click()  # its next interaction
                second.get_by_text("Your session has ended").wait_for()
                sync_api.expect(second.get_by_text("Logged in as")).to_have_count(0)
                second.goto(base)
                _log_in(second, "wrong-password")
                second.get_by_text("unknown username or wrong password").wait_for()
                for _ in range(5):  # quick guesses: after three, each must wait longer
                    second.wait_for_timeout(600)
                    _log_in(second, "wrong-password")
                # One of them came before its wait was over (the exact timing is tested with a
                # fake clock in test_throttle.py).
                second.get_by_text("try again in").wait_for()
            finally:
                browser.close()
    finally:
        project.close()
