"""Local accounts: hashing, login, username rules and roles."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Role, User
from voxcart.labeler.accounts import auth
from voxcart.labeler.accounts.auth import (
    authenticate,
    create_user,
    list_users,
    require_role,
    set_password,
)
from voxcart.labeler.errors import AccountError, InvalidCredentialsError, PermissionDenied


def test_password_is_hashed_and_verified(project: Project) -> None:
    with project.session() as s:
        user = create_user(s, "ana", "correct horse", Role.REVIEWER)
    with project.session() as s:
        stored = s.scalar(select(User.password_hash).where(User.id == user.id))
        assert stored is not None and "correct horse" not in stored
        assert stored.startswith("$argon2id$")
        assert authenticate(s, "ana", "correct horse").id == user.id
        with pytest.raises(InvalidCredentialsError):
            authenticate(s, "ana", "correct horsE")
        with pytest.raises(InvalidCredentialsError):
            authenticate(s, "nobody", "correct horse")
        with pytest.raises(InvalidCredentialsError):
            authenticate(s, "ana", "x" * 5000)


def test_same_password_gets_different_salted_hashes(project: Project) -> None:
    with project.session() as s:
        create_user(s, "a1", "same password")
        create_user(s, "a2", "same password")
        hashes = list(s.scalars(select(User.password_hash)))
    assert len(set(hashes)) == 2


def test_set_password_and_deactivated_accounts(project: Project) -> None:
    with project.session() as s:
        user = create_user(s, "bo", "first password")
        set_password(s, user.id, "second password")
    with project.session() as s:
        with pytest.raises(InvalidCredentialsError):
            authenticate(s, "bo", "first password")
        assert authenticate(s, "bo", "second password").username == "bo"
        row = s.get(User, user.id)
        assert row is not None
        row.active = False
    with project.session() as s, pytest.raises(InvalidCredentialsError):
        authenticate(s, "bo", "second password")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "characters"),
        ("x" * 65, "characters"),
        ("bad name", "U\\+0020"),
        ("tab\there", "U\\+0009"),
        ("bell\x07", "U\\+0007"),
        ("zero\u200bwidth", "U\\+200B"),
        ("rtl\u202eevil", "U\\+202E"),
    ],
)
def test_usernames_are_validated(project: Project, name: str, why: str) -> None:
    with pytest.raises(AccountError, match=why), project.session() as s:
        create_user(s, name, "long enough")


def test_duplicates_weak_passwords_and_roles_rejected(project: Project) -> None:
    with project.session() as s:
        create_user(s, "Ana", "long enough")
    with pytest.raises(AccountError, match="taken"), project.session() as s:
        create_user(s, "ana", "long enough")
    with pytest.raises(AccountError, match="at least 8"), project.session() as s:
        create_user(s, "cy", "short")
    with pytest.raises(AccountError, match="role 'admin'"), project.session() as s:
        create_user(s, "cy", "long enough", "admin")
    with project.session() as s:
        assert [u.username for u in list_users(s)] == ["Ana"]


def test_require_role(project: Project) -> None:
    with project.session() as s:
        annotator = create_user(s, "an", "long enough", "annotator")
        lead = create_user(s, "le", "long enough", "lead")
    require_role(lead, Role.LEAD)
    require_role(annotator, Role.ANNOTATOR, Role.REVIEWER)
    with pytest.raises(PermissionDenied, match=r"'annotator'.*lead, reviewer"):
        require_role(annotator, Role.REVIEWER, Role.LEAD)
    with pytest.raises(PermissionDenied):
        require_role(lead, "reviewer")  # no role implies another


def test_production_parameters_are_strong_and_old_hashes_upgrade(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # the real hasher, not the light one of conftest
    strong = auth._hasher()
    # OWASP's minimum for argon2id is 19 MiB with two passes.
    assert strong.memory_cost >= 19 * 1024 and strong.time_cost >= 2
    with project.session() as s:
        light = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        s.add(User(username="old", password_hash=light.hash("old password")))
    with project.session() as s:
        assert authenticate(s, "old", "old password").username == "old"
    with project.session() as s:
        upgraded = s.scalar(select(User.password_hash).where(User.username == "old"))
        assert upgraded is not None and not strong.check_needs_rehash(upgraded)
        assert authenticate(s, "old", "old password").username == "old"
