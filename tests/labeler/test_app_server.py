"""`voxcart app` owns its Streamlit server: a signal stops both, a busy port fails up front."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from voxcart.datasets.store.project import Project

STARTUP_S = 60.0
_APP = (sys.executable, "-m", "voxcart.labeler.cli", "app")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    url = f"http://127.0.0.1:{port}/_stcore/health"
    with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
        return bool(response.status == 200)
    return False


def _voxcart_app(project: Project, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [*_APP, "-p", str(project.root), "--port", str(port), "--headless"]
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)


def _wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_to_voxcart_app_stops_streamlit_too(project, tmp_path, stop):
    port = _free_port()
    log = tmp_path / "app.log"
    app = _voxcart_app(project, port, log)
    try:
        assert _wait_until(lambda: _answers(port) or app.poll() is not None, STARTUP_S)
        assert app.poll() is None, log.read_text(errors="replace")
        assert _answers(port)
        app.send_signal(stop)
        assert app.wait(timeout=20) == 0
        # Nothing serves the project any more: the Streamlit child went with its parent.
        assert _wait_until(lambda: not _answers(port), 10)
        text = log.read_text(errors="replace")
        assert f"stopped ({stop.name})" in text
    finally:
        if app.poll() is None:
            app.kill()


def test_a_killed_voxcart_app_takes_its_server_with_it(project, tmp_path):
    port = _free_port()
    log = tmp_path / "app.log"
    app = _voxcart_app(project, port, log)
    try:
        assert _wait_until(lambda: _answers(port), STARTUP_S), log.read_text(errors="replace")
        os.kill(app.pid, signal.SIGKILL)
        app.wait(timeout=10)
        assert _wait_until(lambda: not _answers(port), 15)
    finally:
        if app.poll() is None:
            app.kill()


def test_a_busy_port_is_one_error_line_before_anything_claims_to_serve(project):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*_APP, "-p", str(project.root), "--port", str(port), "--headless"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert "serving" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("voxcart: error: --port") and "already in use" in lines[0]


def test_serving_beyond_this_machine_warns_on_one_line(project, tmp_path):
    port = _free_port()
    log = tmp_path / "app.log"
    command = [*_APP, "-p", str(project.root), "--port", str(port), "--headless"]
    with log.open("wb") as out:
        app = subprocess.Popen([*command, "--host", "0.0.0.0"], stdout=out, stderr=out)
    try:
        assert _wait_until(lambda: _answers(port), STARTUP_S), log.read_text(errors="replace")
        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=20) == 0
        text = log.read_text(errors="replace")
        assert "voxcart: warning: serving on 0.0.0.0: anyone who can reach" in text
    finally:
        if app.poll() is None:
            app.kill()
