"""Annotator time in a real browser: submit -> next clip ready to type, keyboard only.

Builds a demo project (synthesized queries, the catalog LM's suggestions, the queue filled like
`scripts/demo.sh`), serves the app, and drives Debian's Chromium through Playwright as an expert
annotator: for each clip, type what was said (the demo's gold reference), submit with
Ctrl+Enter (Ctrl+Shift+Enter where the checks warn) and go on. The editor records, in the page,
the time from each submit until the next clip is ready (its audio can play, the text box has
focus) and, as the baseline measured in the same run, the page's round trip for each saved
event: what every submit cost before the editor prefetched clips (the next clip could only
appear once the page had saved the last one and rerun).

Run: .venv/bin/python bench/bench_annotate_browser.py [--clips 50] [--think 1.0]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select

from voxcart.datasets.store.project import open_project
from voxcart.datasets.store.schema import Clip, ClipReference, Role
from voxcart.labeler.accounts.auth import create_user

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "bench-annotator-1"


def _run(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "voxcart.labeler.cli", *args], check=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _app(project_dir: Path, port: int, log: Path) -> Iterator[str]:
    command = [sys.executable, "-m", "voxcart.labeler.cli", "app", "-p", str(project_dir)]
    command += ["--port", str(port), "--headless"]
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=out, env=dict(os.environ))
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), urllib.request.urlopen(url + "/_stcore/health"):
                break
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")
    )


def _ceiling(p95_ms: float) -> float:
    """Modelled clips per annotator-hour: 3 s clips heard once, 80% needing at most one word
    fixed (half none: 1 s to confirm; half one word: 3 s), 20% retyped (8 s), plus the wait."""
    work_s = 3.0 + 0.4 * 1.0 + 0.4 * 3.0 + 0.2 * 8.0
    return 3600.0 / (work_s + p95_ms / 1000.0)


def _review_ceiling(p95_ms: float) -> float:
    """Modelled reviewed clips per hour: 3 s clips heard once, 90% approved with one key
    (0.5 s), 10% rejected or edited (4 s), plus the wait."""
    return 3600.0 / (3.0 + 0.9 * 0.5 + 0.1 * 4.0 + p95_ms / 1000.0)


def _login(browser: Any, base: str, username: str, link: str) -> tuple[Any, Any]:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.set_default_timeout(60_000)
    page.goto(base)
    page.get_by_label("Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Logged in as").wait_for()
    page.get_by_role("link", name=link, exact=True).click()
    return page, page.frame_locator('iframe[title*="voxcart_editor"]')


def _timings(editor: Any) -> tuple[list[float], list[float]]:
    body = editor.locator("body")
    return body.evaluate("() => window.__voxcartTimings"), body.evaluate(
        "() => window.__voxcartAcks"
    )


def _annotate(
    browser: Any, base: str, heard: dict[str, str], args: argparse.Namespace
) -> tuple[list[float], list[float], float]:
    """Type what was said for each clip and submit; returns swaps, acks and seconds."""
    from playwright.sync_api import expect

    page, editor = _login(browser, base, "bench", "Annotate")
    box, clip = editor.locator("#edit"), editor.locator("#clip")
    held: list[str] = []
    expect(box).to_be_editable()
    start = time.perf_counter()
    for _ in range(args.clips):
        uid = clip.inner_text()
        time.sleep(args.think)
        box.fill(heard[uid])
        box.press("Control+Enter")
        if "Ctrl+Shift+Enter" in editor.locator("#state").inner_text():
            box.press("Control+Shift+Enter")
        expect(clip).not_to_have_text(uid)
        expect(box).to_be_editable()
        failure = editor.locator("#failure")
        if failure.is_visible():  # a submit the checks held: back to it, submit anyway
            held.append(failure.inner_text())
            back = clip.inner_text()
            box.press("Alt+b")
            expect(clip).not_to_have_text(back)
            box.press("Control+Shift+Enter")
            expect(box).to_be_editable()
    elapsed = time.perf_counter() - start
    time.sleep(3)  # let the last saves land before reading the page's confirmations
    if held:
        print(f"annotate: {len(held)} submit(s) held by the checks, e.g. {held[0]!r}")
    swaps, acks = _timings(editor)
    page.close()
    return swaps, acks, elapsed


def _review(
    browser: Any, base: str, args: argparse.Namespace
) -> tuple[list[float], list[float], float]:
    """Approve each annotated clip with Alt+A; returns swaps, acks and seconds."""
    from playwright.sync_api import expect

    page, editor = _login(browser, base, "bench-reviewer", "Review")
    box, clip = editor.locator("#edit"), editor.locator("#clip")
    expect(box).to_be_editable()
    waiting = page.get_by_text("clip(s) wait for your review").inner_text()
    pending = int(waiting.split()[0])
    start = time.perf_counter()
    for _ in range(pending - 1):  # the last one has no next clip to move to
        uid = clip.inner_text()
        time.sleep(args.think)
        box.press("Alt+a")
        expect(clip).not_to_have_text(uid)
        expect(box).to_be_editable()
    elapsed = time.perf_counter() - start
    time.sleep(3)
    swaps, acks = _timings(editor)
    page.close()
    return swaps, acks, elapsed


def main() -> None:
    """Build, serve, annotate, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=50)
    parser.add_argument("--think", type=float, default=1.0, help="seconds listening per clip")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "demo"
        _run("demo", str(root), "--clips", str(args.clips + 10))
        _run("lm", "build", "-p", str(root))
        _run("suggest", "-p", str(root), "--model", "sphinx-catalog")
        _run("queue", "fill", "-p", str(root))
        project = open_project(root)
        with project.session() as session:
            create_user(session, "bench", PASSWORD)
            create_user(session, "bench-reviewer", PASSWORD, role=Role.REVIEWER)
            heard = dict(
                session.execute(
                    select(Clip.uid, ClipReference.text).join(
                        ClipReference, ClipReference.clip_id == Clip.id
                    )
                ).all()
            )
        project.close()
        with (
            _app(root, _free_port(), Path(tmp) / "app.log") as base,
            sync_playwright() as pw,
        ):
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            annotate = _annotate(browser, base, heard, args)
            review = _review(browser, base, args)
            browser.close()
    for name, (swaps, acks, elapsed), ceiling in (
        ("annotate", annotate, _ceiling),
        ("review", review, _review_ceiling),
    ):
        p50, p95 = _pct(swaps, 0.5), _pct(swaps, 0.95)
        b50, b95 = _pct(acks, 0.5), _pct(acks, 0.95)
        print(f"{name}: {len(swaps)} clips, think {args.think:.1f} s, {elapsed:.0f} s in all")
        print(f"  {'submit -> next clip ready':40} p50 {p50:7.0f} ms   p95 {p95:7.0f} ms")
        print(f"  {'page round trip per save (baseline)':40} p50 {b50:7.0f} ms   p95 {b95:7.0f} ms")
        print(f"  ratio p95 (prefetched / baseline): {p95 / b95:.3f}")
        print(f"  modelled ceiling: {ceiling(p95):.0f} clips per hour")


if __name__ == "__main__":
    main()
