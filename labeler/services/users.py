"""Account administration for ``voxcart user``: add an account or list them, each call in its
own transaction."""

from __future__ import annotations

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Role
from voxcart.labeler.accounts.auth import UserView, create_user, list_users


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
