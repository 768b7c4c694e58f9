"""Local accounts: usernames, argon2 password hashes, roles and the permission check.

Passwords are stored only as argon2id hashes (salted, memory-hard). Login runs the same
verification whether or not the username exists, so response time does not reveal which
accounts exist, and the comparison itself is constant-time inside argon2.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voxcart.datasets.store.schema import Role, User
from voxcart.labeler.accounts import login_sessions
from voxcart.labeler.errors import AccountError, InvalidCredentialsError, PermissionDeniedError

USERNAME_MAX = 64
"""Longest username (the users.username column)."""
PASSWORD_MIN = 8
PASSWORD_MAX = 1024
"""Longest password accepted; bounds the hashing work an attacker can ask for."""
_DUMMY_PASSWORD = "voxcart-timing-equalizer"


@dataclass(frozen=True)
class UserView:
    """An account as the app sees it (never carries the hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    created_at: datetime


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    # argon2-cffi's defaults follow RFC 9106's second recommended (low-memory) profile.
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash(_DUMMY_PASSWORD)


def validate_username(username: str) -> str:
    """Return `username` in NFC form if it is acceptable, else raise.

    A username is 1 to 64 characters with no whitespace, control, format or unassigned
    characters (so that it cannot hide in logs or look like another name padded with spaces).

    Raises:
        AccountError: the username breaks one of these rules; the message says which.
    """
    if not isinstance(username, str):
        raise AccountError(f"username must be text, got {type(username).__name__}")
    name = unicodedata.normalize("NFC", username)
    if not 1 <= len(name) <= USERNAME_MAX:
        raise AccountError(
            f"username {name[:80]!r} has {len(name)} characters; use 1 to {USERNAME_MAX}"
        )
    for ch in name:
        category = unicodedata.category(ch)
        if category[0] in ("C", "Z"):
            raise AccountError(
                f"username {name!r} contains {ch!r} (U+{ord(ch):04X}); spaces, control and "
                "invisible characters are not allowed: use letters, digits, '.', '-' or '_'"
            )
    return name


def validate_password(password: str) -> None:
    """Raise unless `password` has 8 to 1024 characters and no NUL character.

    Raises:
        AccountError: the password is too short, too long or contains NUL.
    """
    if not isinstance(password, str):
        raise AccountError(f"password must be text, got {type(password).__name__}")
    if len(password) < PASSWORD_MIN:
        raise AccountError(f"password has {len(password)} characters; use at least {PASSWORD_MIN}")
    if len(password) > PASSWORD_MAX:
        raise AccountError(f"password has {len(password)} characters; use at most {PASSWORD_MAX}")
    if "\x00" in password:
        raise AccountError("password contains a NUL character; remove it")


def parse_role(role: Role | str) -> Role:
    """The :class:`Role` named by `role` ("annotator", "reviewer" or "lead").

    Raises:
        AccountError: `role` names no role.
    """
    try:
        return Role(role)
    except ValueError as exc:
        allowed = ", ".join(r.value for r in Role)
        raise AccountError(f"role {role!r} is unknown; use one of: {allowed}") from exc


def hash_password(password: str) -> str:
    """The argon2id hash of a valid password (salted: two calls give different strings).

    Raises:
        AccountError: the password fails :func:`validate_password`.
    """
    validate_password(password)
    return _hasher().hash(password)


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role | str = Role.ANNOTATOR,
    display_name: str = "",
) -> UserView:
    """Add an account; the caller's session commits it.

    Raises:
        AccountError: invalid username, password or role, or the username is taken (compared
            case-insensitively, so "Ana" and "ana" cannot both exist).
    """
    name = validate_username(username)
    parsed = parse_role(role)
    if len(display_name) > 128:
        raise AccountError(f"display name has {len(display_name)} characters; use at most 128")
    taken = session.scalar(select(User.username).where(func.lower(User.username) == name.lower()))
    if taken is not None:
        raise AccountError(f"username {name!r} is taken (by {taken!r}); choose another")
    user = User(
        username=name,
        display_name=display_name or name,
        password_hash=hash_password(password),
        role=parsed,
        active=True,
    )
    session.add(user)
    session.flush()
    return _view(user)


def authenticate(session: Session, username: str, password: str) -> UserView:
    """The active account whose username and password match.

    The password is verified against a dummy hash when the user does not exist, so that both
    failures take the same time. A hash made with older parameters is upgraded in place.

    Raises:
        InvalidCredentialsError: unknown user, wrong password, or deactivated account.
    """
    user = None
    if isinstance(username, str) and 0 < len(username) <= USERNAME_MAX * 4:
        name = unicodedata.normalize("NFC", username)
        user = session.scalar(select(User).where(User.username == name))
    stored = user.password_hash if user is not None and user.password_hash else None
    ok = _verify(stored or _dummy_hash(), password)
    if user is None or stored is None or not ok or not user.active:
        raise InvalidCredentialsError("unknown username or wrong password")
    if _hasher().check_needs_rehash(stored):
        user.password_hash = _hasher().hash(password)
    return _view(user)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether `password` matches an argon2 hash (False for a malformed hash)."""
    return _verify(stored_hash, password)


def _verify(stored_hash: str, password: str) -> bool:
    if not isinstance(password, str) or len(password) > PASSWORD_MAX:
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def set_password(session: Session, user_id: int, password: str) -> None:
    """Replace a user's password and end every open login of the account.

    Raises:
        AccountError: the password is invalid or no user has this id.
    """
    user = session.get(User, user_id)
    if user is None:
        raise AccountError(f"user id {user_id} does not exist")
    user.password_hash = hash_password(password)
    login_sessions.end_all(session, user_id)


def set_active(session: Session, user_id: int, active: bool) -> None:
    """Activate or deactivate an account; deactivating ends every open login at once.

    Raises:
        AccountError: no user has this id.
    """
    user = session.get(User, user_id)
    if user is None:
        raise AccountError(f"user id {user_id} does not exist")
    user.active = active
    if not active:
        login_sessions.end_all(session, user_id)


def find_user(session: Session, username: str) -> UserView:
    """The account named `username` (exact, NFC).

    Raises:
        AccountError: no account has this name.
    """
    name = unicodedata.normalize("NFC", username) if isinstance(username, str) else ""
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        raise AccountError(f"no account named {username!r}; see `voxcart user list`")
    return _view(user)


def list_users(session: Session) -> list[UserView]:
    """Every account, by username."""
    return [_view(u) for u in session.scalars(select(User).order_by(User.username))]


def get_user(session: Session, user_id: int) -> UserView:
    """The account with this id.

    Raises:
        AccountError: no user has this id.
    """
    user = session.get(User, user_id)
    if user is None:
        raise AccountError(f"user id {user_id} does not exist")
    return _view(user)


def require_role(user: UserView, *roles: Role | str) -> None:
    """Raise unless `user` is active and holds one of `roles` (no role implies another).

    Raises:
        PermissionDeniedError: the account is deactivated or its role is not listed.
    """
    allowed = {parse_role(r) for r in roles}
    if not user.active:
        raise PermissionDeniedError(f"account {user.username!r} is deactivated; ask a lead")
    if user.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed)) or "(none)"
        raise PermissionDeniedError(
            f"user {user.username!r} has role {user.role.value!r}; this needs one of: {names}"
        )


def _view(user: User) -> UserView:
    return UserView(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        active=bool(user.active),
        created_at=user.created_at,
    )
