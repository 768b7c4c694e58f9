"""Documented demo accounts ("annotator", "reviewer", "lead") for demo projects only.

Their passwords are public (``voxcart-<role>``), so they are created only in a project built
by ``voxcart demo``, recognised (marked) by its synthesized clips' hidden references. Once
audio that is not synthetic is imported into such a project, a demo account that still has its
public password stops working (:func:`demo_login_problem`): at its next login and at the next
click of any open session.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voxcart.datasets.demo.build import REFERENCE_SOURCE
from voxcart.datasets.errors import ProjectError
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip, ClipReference, Role, User
from voxcart.labeler.accounts import auth

DEMO_ACCOUNTS: tuple[tuple[str, Role, str], ...] = tuple(
    (role.value, role, f"voxcart-{role.value}") for role in Role
)
"""(username, role, password) of each demo account."""
SYNTHETIC_ORIGINS = ("demo", "augment")
"""Clip origins that add no real recording to a demo project."""


@lru_cache(maxsize=64)
def _still_public(password_hash: str, public_password: str) -> bool:
    # Cached by hash: a changed password has a new hash, so the answer never goes stale.
    return auth.verify_password(password_hash, public_password)


def is_demo_project(session: Session) -> bool:
    """Whether `voxcart demo` built this project (its clips carry the demo's references)."""
    return bool(
        session.scalar(
            select(ClipReference.clip_id).where(ClipReference.source == REFERENCE_SOURCE).limit(1)
        )
    )


def demo_login_problem(session: Session, user_id: int) -> str | None:
    """Why this account may not be used, or None.

    A demo account that still has its public password stops working once the demo project
    holds audio that `voxcart demo` did not make (an import, a segmentation of real audio).
    """
    user = session.get(User, user_id)
    public = {name: password for name, _role, password in DEMO_ACCOUNTS}
    if user is None or user.username not in public or not user.password_hash:
        return None
    if not _still_public(user.password_hash, public[user.username]):
        return None
    real = session.scalar(select(Clip.id).where(Clip.origin.not_in(SYNTHETIC_ORIGINS)).limit(1))
    if real is None or not is_demo_project(session):
        return None
    return (
        f"the demo account {user.username!r} has a public password and this project now holds "
        "real audio, so it no longer logs in; a lead sets a private password with "
        f"`voxcart user passwd {user.username}` or adds personal accounts with `voxcart user add`"
    )


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
