"""Wrong-password throttling: free attempts, a doubling wait, a lockout, per account and client."""

from __future__ import annotations

import logging

import pytest

from tests.labeler.app_support import PASSWORDS, make_accounts
from voxcart.datasets.store.schema import Role
from voxcart.labeler.accounts import throttle
from voxcart.labeler.errors import InvalidCredentialsError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _try(project, gate, username, password, client="10.0.0.1"):
    with project.session() as session:
        return throttle.authenticate(session, gate, username, password, client)


def test_delay_grows_then_locks_and_success_resets(project, caplog):
    make_accounts(project)
    clock = Clock()
    gate = throttle.LoginThrottle(clock)
    for _ in range(throttle.FREE_FAILURES):
        with pytest.raises(InvalidCredentialsError):
            _try(project, gate, "lead", "wrong-password")
    waits = []
    for _ in range(throttle.LOCKOUT_FAILURES - throttle.FREE_FAILURES):
        with pytest.raises(throttle.LoginThrottledError) as refused:
            _try(project, gate, "lead", PASSWORDS[Role.LEAD])  # even the right one waits
        waits.append(refused.value.retry_after_s)
        clock.now += refused.value.retry_after_s
        with pytest.raises(InvalidCredentialsError):
            _try(project, gate, "lead", "wrong-password")
    assert waits == sorted(waits) and waits[1] == 2 * waits[0]
    with (
        caplog.at_level(logging.WARNING, logger="voxcart.auth"),
        pytest.raises(throttle.LoginThrottledError, match="locked") as locked,
    ):
        _try(project, gate, "lead", PASSWORDS[Role.LEAD])
    assert locked.value.retry_after_s == pytest.approx(throttle.LOCKOUT_S)
    assert any("lead" in record.getMessage() for record in caplog.records)
    clock.now += throttle.LOCKOUT_S
    assert _try(project, gate, "lead", PASSWORDS[Role.LEAD]).username == "lead"
    with pytest.raises(InvalidCredentialsError):  # counting starts again from zero
        _try(project, gate, "lead", "wrong-password")


def test_one_client_guessing_many_accounts_is_throttled(project):
    make_accounts(project)
    gate = throttle.LoginThrottle(Clock())
    for name in ("a1", "a2", "a3"):
        with pytest.raises(InvalidCredentialsError):
            _try(project, gate, name, "guess-guess", client="6.6.6.6")
    with pytest.raises(throttle.LoginThrottledError, match="this computer"):
        _try(project, gate, "annotator", PASSWORDS[Role.ANNOTATOR], client="6.6.6.6")
    # Another client logs in to the same account at once: the account itself has no failures.
    assert _try(project, gate, "annotator", PASSWORDS[Role.ANNOTATOR], client="1.2.3.4")
