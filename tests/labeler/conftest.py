"""Labeler test fixtures: argon2 with light parameters, so that account tests stay fast.

The production parameters are checked once, in test_auth.py.
"""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from voxcart.labeler.accounts import auth

_LIGHT = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def light_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash with minimal argon2id cost in tests (same algorithm and code paths)."""
    monkeypatch.setattr(auth, "_hasher", lambda: _LIGHT)
    monkeypatch.setattr(auth, "_dummy_hash", lambda: _LIGHT.hash("dummy password"))
