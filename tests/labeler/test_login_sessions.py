"""Login tokens: live while unexpired, not ended and the account active; stored only hashed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.labeler.app_support import make_accounts
from voxcart.datasets.store.schema import LoginSession, User, utcnow
from voxcart.labeler.accounts import login_sessions


def test_token_lifecycle(project):
    accounts = make_accounts(project)
    now = utcnow()
    with project.session() as session:
        token = login_sessions.start(session, accounts.annotator, now=now)
        stored = session.scalars(select(LoginSession.token_hash)).one()
    assert token not in stored and len(stored) == 64  # only the hash is kept
    with project.session() as session:
        assert login_sessions.resume(session, token, now=now) == accounts.annotator
        later = now + login_sessions.DEFAULT_TTL + timedelta(seconds=1)
        assert login_sessions.resume(session, token, now=later) is None  # expired
        assert login_sessions.resume(session, token + "x", now=now) is None
        assert login_sessions.resume(session, "", now=now) is None
        assert login_sessions.resume(session, "a" * 5000, now=now) is None
    with project.session() as session:
        session.get(User, accounts.annotator).active = False
    with project.session() as session:
        assert login_sessions.resume(session, token, now=now) is None  # deactivated
        session.get(User, accounts.annotator).active = True
    with project.session() as session:
        assert login_sessions.end(session, token) is True
        assert login_sessions.end(session, token) is False
        assert login_sessions.resume(session, token, now=now) is None  # logged out


def test_password_change_and_deactivation_end_every_login(project):
    from voxcart.labeler.accounts import auth

    accounts = make_accounts(project)
    with project.session() as session:
        tokens = [login_sessions.start(session, accounts.lead) for _ in range(3)]
        other = login_sessions.start(session, accounts.reviewer)
    with project.session() as session:
        auth.set_password(session, accounts.lead, "another-password-1")
    with project.session() as session:
        assert all(login_sessions.resume(session, t) is None for t in tokens)
        assert login_sessions.resume(session, other) == accounts.reviewer
        auth.set_active(session, accounts.reviewer, False)
    with project.session() as session:
        auth.set_active(session, accounts.reviewer, True)
    with project.session() as session:
        assert login_sessions.resume(session, other) is None  # reactivating does not revive it
