"""Account administration for ``voxcart user``: add an account or list them, each call in its
own transaction."""

from __future__ import annotations

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Role
from voxcart.labeler.accounts.auth import (
    UserView,
    create_user,
    find_user,
    list_users,
    set_active,
    set_password,
)


def add_account(
    project: Project, username: str, password: str, role: Role | str, display_name: str = ""
) -> UserView:
    """Create an account and commit it.

    Raises:
        AccountError: invalid username, password or role, or the username is taken.
    """
    with project.session() as session:
        return create_user(session, username, password, role, display_name)


def accounts(project: Project) -> list[UserView]:
    """Every account, by username."""
    with project.session() as session:
        return list_users(session)


def change_password(project: Project, username: str, password: str) -> UserView:
    """Give `username` a new password; every open login of the account ends.

    Raises:
        AccountError: no such account, or the password is too weak.
    """
    with project.session() as session:
        user = find_user(session, username)
        set_password(session, user.id, password)
        return user


def set_account_active(project: Project, username: str, active: bool) -> UserView:
    """Let `username` log in again, or stop it (its open logins end at their next click).

    Raises:
        AccountError: no such account.
    """
    with project.session() as session:
        user = find_user(session, username)
        set_active(session, user.id, active)
        return user
