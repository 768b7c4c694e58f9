"""Screenshots of every page of the labeling app, as a lead sees them, in headless Chromium.

Builds a small demo project (or uses --project), labels a few clips as the demo annotator so
that Review and Explore have something to show, serves the app with `voxcart app`, logs in as
the demo lead and saves one full-page PNG per page.

Run: .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--project DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import select

from voxcart.datasets.store.project import open_project
from voxcart.datasets.store.queue import lease_next
from voxcart.datasets.store.schema import ClipReference, Role, User
from voxcart.labeler.accounts.demo_users import DEMO_ACCOUNTS
from voxcart.labeler.services.submit import submit

PAGES = (
    ("home", "Home"),
    ("annotate", "Annotate"),
    ("review", "Review"),
    ("explore", "Explore"),
    ("augment", "Augmentation preview"),
    ("rounds", "Models & rounds"),
    ("export", "Export"),
)


def _voxcart(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "voxcart.labeler.cli", *args], check=True)


def _label_some(root: Path, count: int) -> None:
    """The demo annotator transcribes `count` queued clips with what was said."""
    project = open_project(root)
    try:
        with project.session() as session:
            annotator = session.scalar(select(User.id).where(User.username == "annotator"))
        for _ in range(count):
            task = lease_next(project, int(annotator), "annotate", 300.0)
            if task is None:
                break
            with project.session() as session:
                heard = session.get(ClipReference, task.clip_id)
            text = heard.text if heard else "show me headphones"
            submit(project, int(annotator), task.task_id, task.clip_id, text, "corrected")
    finally:
        project.close()


def main() -> None:
    """Build or open the project, serve it, and save the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--project", type=Path, default=None)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = args.project
        if root is None:
            root = Path(tmp) / "demo"
            _voxcart("demo", str(root), "--clips", "40")
            _voxcart("lm", "build", "-p", str(root))
            _voxcart("suggest", "-p", str(root), "--model", "sphinx-catalog")
            _voxcart("queue", "fill", "-p", str(root))
            _label_some(root, 6)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        app = [sys.executable, "-m", "voxcart.labeler.cli", "app", "-p", str(root)]
        server = subprocess.Popen([*app, "--port", str(port), "--headless"])
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                with contextlib.suppress(OSError), urllib.request.urlopen(base + "/_stcore/health"):
                    break
                time.sleep(0.3)
            args.out.mkdir(parents=True, exist_ok=True)
            user, password = next((u, p) for u, role, p in DEMO_ACCOUNTS if role == Role.LEAD)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.set_default_timeout(60_000)
                outside: list[str] = []
                page.on(
                    "request",
                    lambda r: (
                        outside.append(r.url)
                        if not r.url.startswith((base, "data:", "blob:"))
                        else None
                    ),
                )
                page.goto(base)
                page.get_by_label("Username").fill(user)
                page.get_by_role("textbox", name="Password").fill(password)
                page.get_by_role("button", name="Log in").click()
                page.get_by_text("Logged in as").wait_for()
                for slug, title in PAGES:
                    page.get_by_role("link", name=title, exact=True).click()
                    page.wait_for_load_state("networkidle")
                    if slug == "augment":
                        page.get_by_text("Sampled parameters").wait_for()
                    time.sleep(2.5)  # components and charts draw after the page settles
                    page.screenshot(path=str(args.out / f"{slug}.png"), full_page=True)
                    print(f"saved {args.out / f'{slug}.png'}")
                browser.close()
            print("requests that left the machine:", outside or "none")
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
