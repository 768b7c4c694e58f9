"""Helpers of the app tests: a project with accounts, clips with real audio, an AppTest runner."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import insert, select
from streamlit.testing.v1 import AppTest

from tests.conftest import write_audio
from tests.factories import add_recording_file
from voxcart.datasets.store.project import Project, open_project
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import Clip, RevisionStatus, Role, Split
from voxcart.labeler.accounts import auth, login_sessions
from voxcart.labeler.cli.app_cmd import APP_SCRIPT

PASSWORDS = {role: f"pw-{role.value}-12345" for role in Role}
TIMEOUT_S = 30


@dataclass(frozen=True)
class Accounts:
    """Ids of one account per role (username = role name)."""

    annotator: int
    reviewer: int
    lead: int

    def of(self, role: Role) -> int:
        return {Role.ANNOTATOR: self.annotator, Role.REVIEWER: self.reviewer, Role.LEAD: self.lead}[
            role
        ]


def make_accounts(project: Project) -> Accounts:
    """One account per role, with the passwords of :data:`PASSWORDS`."""
    with project.session() as session:
        ids = {
            role: auth.create_user(session, role.value, PASSWORDS[role], role).id for role in Role
        }
    return Accounts(ids[Role.ANNOTATOR], ids[Role.REVIEWER], ids[Role.LEAD])


def make_audio_clips(
    project: Project, n: int, speakers: tuple[str, ...] = ("spk1", "spk2")
) -> list[int]:
    """`n` one-second clips of one real generated WAV, alternating speakers, all in train."""
    wav = write_audio(project.root / "media" / "tone.wav", seconds=float(n), seed=3)
    with project.session() as session:
        rec = add_recording_file(session, wav)
        session.execute(
            insert(Clip),
            [
                {
                    "uid": f"clip-{i:03d}",
                    "recording_id": rec.id,
                    "offset_s": float(i),
                    "duration_s": 1.0,
                    "speaker": speakers[i % len(speakers)],
                    "split": Split.TRAIN,
                }
                for i in range(n)
            ],
        )
        return list(session.scalars(select(Clip.id).order_by(Clip.id)))


def annotate(
    project: Project, clip_id: int, user_id: int, text: str, suggestion_id: int | None = None
) -> int:
    """A human revision as the annotate page writes it; returns its id."""
    with project.session() as session:
        return add_revision(
            session,
            clip_id,
            text,
            RevisionStatus.CORRECTED,
            source="human",
            user_id=user_id,
            suggestion_id=suggestion_id,
        ).id


def log_in(at: AppTest, user_id: int) -> str:
    """Put a live login of `user_id` into the AppTest's session (as the login form does)."""
    project = open_project(os.environ["VOXCART_PROJECT"], os.environ.get("VOXCART_DB") or None)
    try:
        with project.session() as session:
            token = login_sessions.start(session, user_id)
    finally:
        project.close()
    at.session_state["voxcart_user_id"] = user_id
    at.session_state["voxcart_login_token"] = token
    return token


def app(user_id: int | None = None) -> AppTest:
    """The whole app (navigation included), optionally already logged in."""
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S)
    if user_id is not None:
        log_in(at, user_id)
    return at


def _render_page(module: str) -> None:
    import importlib

    importlib.import_module(f"voxcart.labeler.pages.{module}").render()


def page(module: str, user_id: int | None = None) -> AppTest:
    """One page rendered directly (no navigation), optionally logged in."""
    at = AppTest.from_function(_render_page, args=(module,), default_timeout=TIMEOUT_S)
    if user_id is not None:
        log_in(at, user_id)
    return at


def texts(at: AppTest) -> str:
    """Every text-like element's value, joined (for assertions on what the page shows)."""
    parts: list[str] = []
    for kind in ("title", "subheader", "text", "markdown", "caption", "success", "error",
                 "warning", "info", "code"):  # fmt: skip
        parts.extend(str(e.value) for e in getattr(at, kind))
    return "\n".join(parts)
