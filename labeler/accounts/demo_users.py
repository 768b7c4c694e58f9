"""Documented demo accounts ("annotator", "reviewer", "lead") for demo projects only.

Their passwords are public (``voxcart-<role>``), so they are created only in a project built
by ``voxcart demo``, recognised by its synthesized clips' hidden references.
"""

from __future__ import annotations

from sqlalchemy import func, select

from voxcart.datasets.demo.build import REFERENCE_SOURCE
from voxcart.datasets.errors import ProjectError
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import ClipReference, Role, User
from voxcart.labeler.accounts import auth

DEMO_ACCOUNTS: tuple[tuple[str, Role, str], ...] = tuple(
    (role.value, role, f"voxcart-{role.value}") for role in Role
)
"""(username, role, password) of each demo account."""


def ensure_demo_users(project: Project) -> list[tuple[str, Role, str]]:
    """Create the demo accounts that do not exist yet; return all of them.

    An account that already exists (same username) is left unchanged, so a password changed
    after the demo was built stays changed.

    Raises:
        ProjectError: the project holds no demo clips (public passwords must never open a
            project with real data).
    """
    with project.session() as session:
        demo_refs = session.scalar(
            select(func.count())
            .select_from(ClipReference)
            .where(ClipReference.source == REFERENCE_SOURCE)
        )
        if not demo_refs:
            raise ProjectError(
                f"{project.root} holds no demo clips; demo accounts with public passwords are "
                "only made in demo projects. Add real accounts with `voxcart user add NAME`"
            )
        for username, role, password in DEMO_ACCOUNTS:
            exists = session.scalar(
                select(User.id).where(func.lower(User.username) == username.lower())
            )
            if exists is None:
                auth.create_user(
                    session, username, password, role, display_name=f"Demo {role.value}"
                )
    return list(DEMO_ACCOUNTS)
