"""Logins that survive a browser refresh: a random token in the URL, its hash in the database.

Streamlit forgets its session state when the page is reloaded. :func:`start` issues a token
(256 random bits) that the app keeps in the URL's ``session`` parameter; only its SHA-256 is
stored, so a copy of the database cannot be used to log in. :func:`resume` maps a token back to
its account while it is unexpired, not ended and the account still active; :func:`end` (log
out) makes the token useless at once, and :func:`end_all` ends every login of an account (a
password change or a deactivation). The app calls :func:`resume` on every interaction, so an
ended login stops working at the next click in every browser that holds it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from voxcart.datasets.store.schema import LoginSession, User, utcnow

DEFAULT_TTL = timedelta(hours=12)
"""How long a login lasts (a working day), refreshes included."""
_TOKEN_BYTES = 32
_MAX_TOKEN_CHARS = 100


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored as UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=utcnow().tzinfo)


def start(
    session: Session, user_id: int, ttl: timedelta = DEFAULT_TTL, now: datetime | None = None
) -> str:
    """Open a login for `user_id` and return its token (shown to nobody but the browser)."""
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    moment = now or utcnow()
    session.add(
        LoginSession(
            token_hash=_digest(token), user_id=user_id, created_at=moment, expires_at=moment + ttl
        )
    )
    session.flush()
    return token


def resume(session: Session, token: str, now: datetime | None = None) -> int | None:
    """The account id of a live login token; None when it is unknown, expired, ended, or its
    account was deactivated (a malformed token is simply unknown)."""
    if not isinstance(token, str) or not 0 < len(token) <= _MAX_TOKEN_CHARS:
        return None
    row = session.execute(
        select(LoginSession, User.active)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == _digest(token))
    ).first()
    if row is None:
        return None
    login, active = row
    moment = now or utcnow()
    if login.ended_at is not None or _aware(login.expires_at) <= moment or not active:
        return None
    return int(login.user_id)


def end(session: Session, token: str, now: datetime | None = None) -> bool:
    """End a login (log out); True when a live one was ended."""
    if not isinstance(token, str) or not token:
        return False
    result = session.execute(
        update(LoginSession)
        .where(LoginSession.token_hash == _digest(token), LoginSession.ended_at.is_(None))
        .values(ended_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def end_all(session: Session, user_id: int, now: datetime | None = None) -> int:
    """End every live login of `user_id` (password changed, account deactivated); how many."""
    result = session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        .values(ended_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
