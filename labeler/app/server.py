"""Serving the labeling app: one Streamlit server process owned by the `voxcart app` process.

The port is checked before anything claims to be serving. SIGTERM, SIGINT and SIGHUP sent to
`voxcart app` stop Streamlit too, and on Linux the server also dies with its parent when the
parent is killed outright, so no orphaned server keeps serving a project.
"""

from __future__ import annotations

import ctypes
import errno
import ipaddress
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from voxcart.datasets.errors import ProjectError

APP_SCRIPT = Path(__file__).resolve().parent.parent / "app_script" / "voxcart_app.py"
"""The script Streamlit runs (package data, so that a wheel install has it too)."""
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_STOP_GRACE_S = 10.0
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class ServeResult:
    """How the server ended.

    Attributes:
        returncode: the Streamlit process's exit status.
        stopped_by: the signal `voxcart app` received and forwarded, or None when the server
            ended by itself.
    """

    returncode: int
    stopped_by: signal.Signals | None


def streamlit_command(host: str, port: int, headless: bool) -> list[str]:
    """The ``python -m streamlit run`` command line that serves the app.

    Streamlit's toolbar is reduced to what an annotator needs (no Deploy button, no developer
    menu), and no usage statistics are sent.

    Raises:
        ProjectError: the port is outside 1..65535.
    """
    if not 1 <= port <= 65535:
        raise ProjectError(f"--port {port} is not a TCP port; use 1 to 65535 (default 8501)")
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_SCRIPT),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true" if headless else "false",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]


def is_loopback(host: str) -> bool:
    """Whether `host` serves this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port_free(host: str, port: int) -> None:
    """Fail before serving when another process already listens on (host, port).

    Raises:
        ProjectError: the address is in use or cannot be bound here.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # Like Tornado: a socket of a server that just stopped (TIME_WAIT) does not block us.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ProjectError(
                    f"--port {port}: {host}:{port} is already in use (another app or server "
                    "listens there); stop it or pick a free port with --port"
                ) from exc
            raise ProjectError(
                f"--host {host} --port {port}: cannot serve there ({exc.strerror}); use an "
                f"address of this machine, e.g. {DEFAULT_HOST}"
            ) from exc


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the parent dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def serve(
    command: Sequence[str],
    env: Mapping[str, str],
    on_started: Callable[[int], None] | None = None,
) -> ServeResult:
    """Run the server until it exits or this process is asked to stop, then stop it too.

    Args:
        command: the server's command line (see :func:`streamlit_command`).
        env: its environment.
        on_started: called with the server's process id once it runs.

    Returns:
        How the server ended.
    """
    received: list[signal.Signals] = []
    preexec = _die_with_parent if sys.platform.startswith("linux") else None
    child = subprocess.Popen(list(command), env=dict(env), preexec_fn=preexec)

    def forward(signum: int, _frame: FrameType | None) -> None:
        received.append(signal.Signals(signum))
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in STOP_SIGNALS}
    try:
        if on_started is not None:
            on_started(child.pid)
        returncode = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=_STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    return ServeResult(returncode, received[0] if received else None)
