"""Throttling wrong passwords, per account and per client: a growing wait, then a lockout.

After FREE_FAILURES wrong passwords in a row for an account (or from one client), each further
attempt must wait twice as long as the one before (1 s, 2 s, 4 s... up to MAX_DELAY); after
LOCKOUT_FAILURES the account (or client) is locked for LOCKOUT. A right password clears the
account's and the client's count. Attempts made too early are refused without checking the
password, so guessing gains nothing from sending faster. Every refusal and lockout is logged
on the ``voxcart.auth`` logger.

The state lives in the app's process (one Streamlit server serves every browser); a restart
clears it, which only gives an attacker back the few free attempts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from voxcart.labeler.accounts import auth
from voxcart.labeler.errors import InvalidCredentialsError, LabelerError

FREE_FAILURES = 3
"""Wrong passwords allowed in a row before attempts are spaced out."""
BASE_DELAY_S = 1.0
MAX_DELAY_S = 60.0
LOCKOUT_FAILURES = 10
"""Wrong passwords in a row that lock the account (or client) for LOCKOUT_S."""
LOCKOUT_S = 15 * 60.0
_FORGET_S = 24 * 3600.0

log = logging.getLogger("voxcart.auth")


class LoginThrottledError(LabelerError):
    """Too many wrong passwords: the next attempt must wait (`retry_after_s`)."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass
class _Record:
    failures: int = 0
    last_failure: float = 0.0
    not_before: float = 0.0


class LoginThrottle:
    """Failure counts per account and per client, safe to share between threads.

    Args:
        clock: seconds, monotonic (tests pass a fake clock).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str], _Record] = {}

    def _keys(self, username: str, client: str | None) -> list[tuple[str, str]]:
        keys = [("account", str(username).strip().lower()[:256])]
        if client:
            keys.append(("client", client[:256]))
        return keys

    def check(self, username: str, client: str | None = None) -> None:
        """Refuse an attempt that comes before its account's or client's wait is over.

        Raises:
            LoginThrottledError: with the seconds left to wait.
        """
        now = self._clock()
        with self._lock:
            for kind, key in self._keys(username, client):
                record = self._records.get((kind, key))
                if record is None or record.not_before <= now:
                    continue
                wait = record.not_before - now
                locked = record.failures >= LOCKOUT_FAILURES
                log.warning(
                    "login refused for %s %r: %d failures, %.0f s left%s",
                    kind,
                    key,
                    record.failures,
                    wait,
                    " (locked)" if locked else "",
                )
                what = "this account" if kind == "account" else "this computer"
                state = "is locked after" if locked else "had"
                raise LoginThrottledError(
                    f"{what} {state} {record.failures} wrong passwords in a row; "
                    f"try again in {wait:.0f} s"
                    + (" or ask a lead to reset the password" if locked else ""),
                    wait,
                )

    def failure(self, username: str, client: str | None = None) -> None:
        """Count a wrong password against the account and the client."""
        now = self._clock()
        with self._lock:
            self._prune(now)
            for kind, key in self._keys(username, client):
                record = self._records.setdefault((kind, key), _Record())
                record.failures += 1
                record.last_failure = now
                if record.failures >= LOCKOUT_FAILURES:
                    record.not_before = now + LOCKOUT_S
                    log.warning("login locked for %s %r: %d failures", kind, key, record.failures)
                elif record.failures >= FREE_FAILURES:
                    delay = BASE_DELAY_S * 2 ** (record.failures - FREE_FAILURES)
                    record.not_before = now + min(delay, MAX_DELAY_S)
                    log.info("login delayed for %s %r: %d failures", kind, key, record.failures)

    def success(self, username: str, client: str | None = None) -> None:
        """A right password: forget the account's and the client's failures."""
        with self._lock:
            for key in self._keys(username, client):
                self._records.pop(key, None)

    def _prune(self, now: float) -> None:
        if len(self._records) < 10_000:
            return
        stale = [k for k, r in self._records.items() if now - r.last_failure > _FORGET_S]
        for key in stale:
            del self._records[key]


def authenticate(
    session: Session,
    throttle: LoginThrottle,
    username: str,
    password: str,
    client: str | None = None,
) -> auth.UserView:
    """:func:`voxcart.labeler.accounts.auth.authenticate` behind the throttle.

    Raises:
        LoginThrottledError: the account or client must wait before trying again.
        InvalidCredentialsError: unknown user, wrong password or deactivated account.
    """
    throttle.check(username, client)
    try:
        user = auth.authenticate(session, username, password)
    except InvalidCredentialsError:
        throttle.failure(username, client)
        raise
    throttle.success(username, client)
    return user
