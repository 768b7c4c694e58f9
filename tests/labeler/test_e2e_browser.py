"""End to end in a real headless Chromium: log in, listen, correct a suggestion, submit by key.

Starts the app with ``streamlit run`` on a free port against a tiny demo project, drives it
with Playwright, and checks the database for the new revision. Skips where Chromium or
Playwright is missing.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import REPO_ROOT
from voxcart.datasets.demo.build import build_demo
from voxcart.datasets.store.project import Project, open_project
from voxcart.datasets.store.queue import enqueue
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import Clip, Revision, RevisionStatus, Role, Suggestion, User
from voxcart.labeler.accounts.auth import create_user
from voxcart.model.versions import ensure_generic_model

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
APP_FILE = REPO_ROOT / "streamlit_app.py"
SCREENSHOT = REPO_ROOT / "artifacts" / "annotate.png"
PASSWORD = "annotator-pass-1"
SUGGESTION = [("show", 0.9), ("me", 0.85), ("sony", 0.45), ("head", 0.5), ("phones", 0.8)]
CORRECTION = "show me sony headphones"
STARTUP_S = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the app exited early:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"the app did not answer within {STARTUP_S} s:\n{log.read_text()}")


@contextlib.contextmanager
def _server(project: Project, port: int, log: Path) -> Iterator[str]:
    env = dict(os.environ, VOXCART_PROJECT=str(project.root))
    env.pop("VOXCART_DB", None)
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP_FILE),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=out, stderr=out)
        try:
            _wait_ready(port, server, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


def _demo(root: Path, suggestion: list[tuple[str, float]] = SUGGESTION) -> tuple[Project, int]:
    """A four-clip demo, every clip queued with `suggestion`; returns the first clip id."""
    build_demo(root, n_clips=4, n_speakers=2)
    project = open_project(root)
    with project.session() as session:
        create_user(session, "ann", PASSWORD)
        clip_ids = list(session.scalars(select(Clip.id).order_by(Clip.id)))
        model = ensure_generic_model(session)
        for clip_id in clip_ids:
            session.add(
                Suggestion(
                    clip_id=clip_id,
                    model_version_id=model.id,
                    text=" ".join(w for w, _ in suggestion),
                    words=[
                        {"word": w, "start": 0.3 * i, "end": 0.3 * i + 0.3, "confidence": c}
                        for i, (w, c) in enumerate(suggestion)
                    ],
                    scores={"mean_confidence": sum(c for _, c in suggestion) / len(suggestion)},
                )
            )
        priorities = {clip_id: float(len(clip_ids) - i) for i, clip_id in enumerate(clip_ids)}
        enqueue(session, clip_ids, priorities)
    return project, clip_ids[0]


def _wait_for_revision(project: Project, clip_id: int, timeout_s: float = 15.0) -> Revision:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with project.session() as session:
            row = session.scalar(
                select(Revision).where(Revision.clip_id == clip_id, Revision.verbatim == CORRECTION)
            )
            if row is not None:
                return row
        time.sleep(0.2)
    raise AssertionError(f"no revision {CORRECTION!r} for clip {clip_id} after {timeout_s} s")


def test_annotate_a_clip_with_the_keyboard_in_chromium(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect.set_options(timeout=20_000)  # a loaded CI machine reruns slowly
    SCREENSHOT.unlink(missing_ok=True)
    project, clip_id = _demo(tmp_path / "demo")
    try:
        with (
            _server(project, _free_port(), tmp_path / "server.log") as base,
            sync_api.sync_playwright() as pw,
        ):
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.set_default_timeout(30_000)
                page.goto(base)
                page.get_by_label("Username").fill("ann")
                page.get_by_role("textbox", name="Password").fill(PASSWORD)
                page.get_by_role("button", name="Log in").click()
                page.get_by_text("Logged in as").wait_for()
                page.reload()  # a refresh keeps the login (the token in the URL)
                page.get_by_text("Logged in as").wait_for()
                page.get_by_role("link", name="Annotate").click()
                editor = page.frame_locator('iframe[title*="voxcart_editor"]')
                box = editor.locator("#edit")
                sync_api.expect(box).to_have_value("show me sony head phones")
                first_uid = editor.locator("#clip").inner_text()
                audio = editor.locator("#audio")
                if audio.evaluate("a => a.paused"):
                    editor.locator("#play").click()  # autoplay was blocked: a user gesture
                audio.evaluate(
                    "a => new Promise((ok, no) => { const t = setTimeout(() => no('silent'), 8000);"
                    " const f = () => { if (a.currentTime > 0) { clearTimeout(t); ok(); }"
                    " else requestAnimationFrame(f); }; f(); })"
                )
                box.click()
                selection = "t => t.value.slice(t.selectionStart, t.selectionEnd)"
                box.press("Alt+j")  # the low-confidence words: "sony" (0.45), then "head" (0.5)
                assert box.evaluate(selection) == "sony"
                box.press("Alt+j")
                assert box.evaluate(selection) == "head"
                box.press("Alt+Period")
                sync_api.expect(editor.locator("#rate")).to_have_text("1.25×")
                box.press("Control+a")
                box.press_sequentially(CORRECTION)
                sync_api.expect(editor.locator("#wer")).to_contain_text("WER")
                sync_api.expect(editor.locator("#diff ins")).to_have_text("headphones")
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOT), full_page=True)
                box.press("Control+Enter")
                revision = _wait_for_revision(project, clip_id)
                assert revision.status is RevisionStatus.CORRECTED
                assert revision.user_id is not None and revision.suggestion_id is not None
                assert revision.time_spent_s is not None and revision.time_spent_s > 0
                page.get_by_text("Saved revision").wait_for()
                sync_api.expect(editor.locator("#clip")).not_to_have_text(first_uid)  # next clip
                sync_api.expect(box).to_have_value("show me sony head phones")
                second_uid = editor.locator("#clip").inner_text()
                box.press("Alt+s")  # the skip picker: 1 = no speech
                sync_api.expect(editor.locator("#skip")).to_be_visible()
                box.press("1")
                sync_api.expect(editor.locator("#clip")).not_to_have_text(second_uid)
                # The editor moved on at once; the page saves the skip in the background.
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    with project.session() as session:
                        if session.scalar(
                            select(Revision).where(Revision.status == RevisionStatus.SKIPPED)
                        ):
                            break
                    time.sleep(0.2)
            finally:
                browser.close()
        with project.session() as session:
            skipped = session.scalars(
                select(Revision).where(Revision.status == RevisionStatus.SKIPPED)
            ).all()
            assert [(r.clip_id != clip_id, r.flags) for r in skipped] == [(True, ["no_speech"])]
    finally:
        project.close()
    assert SCREENSHOT.is_file() and SCREENSHOT.stat().st_size > 10_000


HIDDEN = [("show", 0.3), ("me", 0.2), ("sony", 0.1), ("headphones", 0.3)]
"""A suggestion below the retype threshold (mean 0.225 < 0.4): the editor hides it."""


def _playwright() -> Any:
    """Playwright's sync API, or a skip where Chromium or Playwright is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect.set_options(timeout=20_000)  # a loaded CI machine reruns slowly
    return sync_api


@contextlib.contextmanager
def _editor_page(
    sync_api: Any, project: Project, tmp_path: Path, username: str, link: str
) -> Iterator[tuple[Any, Any]]:
    """The app served for `project`, `username` logged in and on page `link`: (page, editor)."""
    with (
        _server(project, _free_port(), tmp_path / "server.log") as base,
        sync_api.sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(base)
            page.get_by_label("Username").fill(username)
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.get_by_text("Logged in as").wait_for()
            page.get_by_role("link", name=link, exact=True).click()
            yield page, page.frame_locator('iframe[title*="voxcart_editor"]')
        finally:
            browser.close()


def _newest(project: Project, clip_id: int, timeout_s: float = 15.0) -> Revision:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with project.session() as session:
            row = session.scalar(
                select(Revision).where(Revision.clip_id == clip_id).order_by(Revision.id.desc())
            )
            if row is not None:
                return row
        time.sleep(0.2)
    raise AssertionError(f"clip {clip_id} has no revision after {timeout_s} s")


def test_retype_mode_hides_reveals_and_records_what_was_seen(tmp_path: Path) -> None:
    sync_api = _playwright()
    project, first = _demo(tmp_path / "demo", HIDDEN)
    try:
        with _editor_page(sync_api, project, tmp_path, "ann", "Annotate") as (_page, editor):
            box = editor.locator("#edit")
            # Hidden: an empty box, no coloured words, a note that says why and how to see it.
            sync_api.expect(editor.locator("#retype")).to_contain_text("Alt+V")
            sync_api.expect(box).to_have_value("")
            sync_api.expect(editor.locator("#strip span")).to_have_count(0)
            box.click()
            box.press("Alt+a")  # accepting a hidden suggestion is refused
            sync_api.expect(editor.locator("#state")).to_contain_text("hidden")
            box.press("Alt+v")
            sync_api.expect(box).to_have_value("show me sony headphones")
            sync_api.expect(editor.locator("#strip span")).to_have_count(4)
            first_uid = editor.locator("#clip").inner_text()
            box.press("Alt+a")
            assert _newest(project, first).status is RevisionStatus.ACCEPTED
            sync_api.expect(editor.locator("#clip")).not_to_have_text(first_uid)
            # The next clip: type exactly the hidden text without revealing it.
            sync_api.expect(box).to_have_value("")
            box.press_sequentially("show me sony headphones")
            box.press("Control+Enter")
            deadline = time.monotonic() + 15
            typed = None
            while time.monotonic() < deadline and typed is None:
                with project.session() as session:
                    typed = session.scalar(
                        select(Revision).where(
                            Revision.clip_id != first,
                            Revision.status == RevisionStatus.TYPED,
                        )
                    )
                time.sleep(0.2)
            assert typed is not None and typed.verbatim == "show me sony headphones"
            assert typed.suggestion_id is not None
    finally:
        project.close()


def test_warnings_before_leaving_failed_submit_recovery_and_undo_by_key(tmp_path: Path) -> None:
    sync_api = _playwright()
    project, first = _demo(tmp_path / "demo")
    typed = "buy 2 sony headphones"
    try:
        with _editor_page(sync_api, project, tmp_path, "ann", "Annotate") as (_page, editor):
            box = editor.locator("#edit")
            clip = editor.locator("#clip")
            warnings = editor.locator("#warnings")
            sync_api.expect(box).to_have_value("show me sony head phones")
            first_uid = clip.inner_text()
            # 1. A pause in typing checks the text: the warnings show before leaving.
            box.click()
            box.press("Control+a")
            box.press_sequentially(typed)
            sync_api.expect(warnings).to_contain_text("spoken form")
            box.press("Control+Enter")  # held here: the way out is named, nothing saved
            sync_api.expect(editor.locator("#state")).to_contain_text("Ctrl+Shift+Enter")
            sync_api.expect(clip).to_have_text(first_uid)
            with project.session() as session:
                assert session.scalar(select(Revision).where(Revision.clip_id == first)) is None
            box.press("Control+Shift+Enter")  # submit anyway: saved, next clip at once
            sync_api.expect(clip).not_to_have_text(first_uid)
            assert _newest(project, first).verbatim == typed
            sync_api.expect(warnings).to_be_hidden()
            # 2. Submitted before the check came back: the editor moves on at once, the
            # page holds the submit, and the clip can be reopened with its text.
            second_uid = clip.inner_text()
            box.fill("sony 4k tv")  # one input event, then submit before any check
            box.press("Control+Enter")
            sync_api.expect(clip).not_to_have_text(second_uid)
            failure = editor.locator("#failure")
            sync_api.expect(failure).to_contain_text(second_uid)
            box.press("Alt+b")
            sync_api.expect(clip).to_have_text(second_uid)
            sync_api.expect(box).to_have_value("sony 4k tv")
            sync_api.expect(warnings).to_contain_text("spoken form")
            box.press("Control+Shift+Enter")
            sync_api.expect(clip).not_to_have_text(second_uid)
            # 3. Undo by key: the last saved clip comes back with what was typed.
            box.press("Alt+z")
            sync_api.expect(clip).to_have_text(second_uid)
            sync_api.expect(box).to_have_value("sony 4k tv")
    finally:
        project.close()


def test_review_by_keyboard_approve_reject_and_edit(tmp_path: Path) -> None:
    sync_api = _playwright()
    project, _first = _demo(tmp_path / "demo")
    with project.session() as session:
        create_user(session, "rev", PASSWORD, role=Role.REVIEWER)
        annotator = session.scalar(select(User.id).where(User.username == "ann"))
        clips = list(session.scalars(select(Clip.id).order_by(Clip.id)))[:3]
        for clip_id in clips:
            add_revision(
                session, clip_id, "show me sony headphones", RevisionStatus.CORRECTED,
                user_id=annotator,
            )  # fmt: skip
    try:
        with _editor_page(sync_api, project, tmp_path, "rev", "Review") as (_page, editor):
            box, clip = editor.locator("#edit"), editor.locator("#clip")
            sync_api.expect(box).to_have_value("show me sony headphones")
            sync_api.expect(editor.locator("#btn-accept")).to_have_text("Approve (Alt+A)")
            box.click()
            uid = clip.inner_text()
            box.press("Alt+a")  # approve
            sync_api.expect(clip).not_to_have_text(uid)
            uid = clip.inner_text()
            box.press("Alt+s")  # reject: 2 = wrong words
            sync_api.expect(editor.locator("#skip")).to_contain_text("wrong words")
            box.press("2")
            sync_api.expect(clip).not_to_have_text(uid)
            box.press("Control+a")
            box.press_sequentially("show me sony earbuds")
            box.press("Control+Enter")  # changed text: saved as the reviewer's edit
            deadline = time.monotonic() + 20
            newest: list[Revision] = []
            while time.monotonic() < deadline:
                newest = [_newest(project, c) for c in clips]
                if all(r.source.startswith("review:") for r in newest):
                    break
                time.sleep(0.3)
            assert [(r.source, r.status) for r in newest] == [
                ("review:approve", RevisionStatus.REVIEWED),
                ("review:reject", RevisionStatus.FLAGGED),
                ("review:edit", RevisionStatus.REVIEWED),
            ]
            assert newest[1].flags == ["rejected:wrong words"]
            assert newest[2].verbatim == "show me sony earbuds"
    finally:
        project.close()
