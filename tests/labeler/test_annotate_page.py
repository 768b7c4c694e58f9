"""The annotate page under AppTest: the editor's arguments, event handling, undo, empty queue.

AppTest cannot run the component's JavaScript; the editor's event is injected as the
component's value in session state, exactly as the browser would set it.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
import soundfile as sf
from sqlalchemy import Engine, event, select
from streamlit.testing.v1 import AppTest

from tests.labeler.annotate_support import add_catalog, add_suggestion, queue
from tests.labeler.app_support import make_accounts, make_audio_clips, page, texts
from tests.labeler.helpers import make_user
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import Revision, RevisionStatus, Role, Task, TaskState, User
from voxcart.labeler.pages import annotate as annotate_page

GOOD = [("show", 0.95), ("me", 0.9), ("sony", 0.4), ("headphones", 0.85)]


@pytest.fixture
def ready(project: Project, monkeypatch: pytest.MonkeyPatch) -> tuple[Project, int, list[int]]:
    """Two queued clips with suggestions, a catalog, an annotator; the app serves the project."""
    monkeypatch.setenv("VOXCART_PROJECT", str(project.root))
    user = make_accounts(project).annotator
    clips = make_audio_clips(project, 2)
    add_catalog(project, [("brand", "sony"), ("product_type", "headphones")])
    for clip in clips:
        add_suggestion(project, clip, GOOD)
    queue(project, clips, [2.0, 1.0])
    return project, user, clips


def _editor_args(at: AppTest) -> dict[str, Any]:
    [component] = at.get("component_instance")
    args: dict[str, Any] = json.loads(component.proto.json_args)
    return args


def _revisions(project: Project) -> list[Revision]:
    with project.session() as session:
        return list(session.scalars(select(Revision).order_by(Revision.id)))


def _send(at: AppTest, args: dict[str, Any], nonce: str, **fields: Any) -> None:
    event = {"action": "submit", "nonce": nonce, "task_id": args["task_id"], "flags": []}
    event.update(fields)
    at.session_state[annotate_page.EDITOR_KEY] = event
    at.run()
    assert not at.exception, at.exception


def test_page_renders_the_editor_for_the_leased_clip(ready) -> None:
    project, user, clips = ready
    at = page("annotate", user).run()
    assert not at.exception, at.exception
    args = _editor_args(at)
    with project.session() as session:
        task = session.get(Task, args["task_id"])
        assert task is not None and task.clip_id == clips[0]
        assert task.state is TaskState.LEASED and task.leased_by == user
    assert args["clip_uid"] == "clip-000"
    assert args["prefill"] == "show me sony headphones" and not args["retype"]
    assert args["suggestion_text"] == "show me sony headphones"
    assert [(w["word"], w["confidence"]) for w in args["words"]] == GOOD
    assert args["vocabulary"] == ["headphones", "sony"]
    assert "no_speech" in args["skip_reasons"] and args["autoplay"] is True
    header, payload = args["audio_url"].split(",", 1)
    assert header == "data:audio/wav;base64"
    audio, sr = sf.read(io.BytesIO(base64.b64decode(payload)))
    assert sr == 16_000 and len(audio) == 16_000
    assert args["spectrogram_url"].startswith("data:image/png;base64,")
    assert len(args["peaks"]) > 100
    assert "Last 24 h" in [m.label for m in at.metric]


def test_an_event_writes_exactly_one_revision_and_leases_the_next_clip(ready) -> None:
    project, user, clips = ready
    at = page("annotate", user).run()
    first = _editor_args(at)
    _send(at, first, "n-1", text="show me sony headphones now", time_spent_s=3.0)
    [rev] = _revisions(project)
    assert (rev.clip_id, rev.verbatim, rev.status) == (
        clips[0],
        "show me sony headphones now",
        RevisionStatus.CORRECTED,
    )
    second = _editor_args(at)
    assert second["task_id"] != first["task_id"] and second["clip_uid"] == "clip-001"
    assert second["token"] != first["token"] and second["handled_nonce"] == "n-1"
    assert "Saved revision" in texts(at) and "20%" in texts(at)
    at.run()  # a rerun still carries the same component value: it must not save twice
    assert len(_revisions(project)) == 1
    assert _editor_args(at)["task_id"] == second["task_id"]


def test_a_submit_refills_the_line_in_its_own_transaction(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The line holds PREFETCH clips; saving one leases the next inside the save's transaction,
    # and fresh leases are not renewed on every rerun: the rerun updates tasks twice (complete
    # the saved one, lease the refill), not once per held clip.
    monkeypatch.setenv("VOXCART_PROJECT", str(project.root))
    user = make_accounts(project).annotator
    clips = make_audio_clips(project, annotate_page.PREFETCH + 2)
    queue(project, clips, [float(10 - i) for i in range(len(clips))])
    at = page("annotate", user).run()
    first = _editor_args(at)
    updates: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE TASKS"):
            updates.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        _send(at, first, "n-1", text="show me sony headphones", time_spent_s=2.0)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert len(updates) == 2, updates
    with project.session() as session:
        leased = session.scalars(
            select(Task.clip_id).where(Task.state == TaskState.LEASED, Task.leased_by == user)
        ).all()
    assert sorted(leased) == clips[1 : annotate_page.PREFETCH + 1]
    assert _editor_args(at)["clip_uid"] == "clip-001"


def test_warnings_show_under_the_editor_before_the_clip_is_left(ready) -> None:
    project, user, _clips = ready
    at = page("annotate", user).run()
    args = _editor_args(at)
    _send(at, args, "n-1", text="buy 2 sony headphones")
    assert _revisions(project) == []  # held: nothing saved, the same clip stays
    held = _editor_args(at)
    assert held["token"] == args["token"] and held["handled_nonce"] == "n-1"
    assert held["warnings_text"] == "buy 2 sony headphones"
    assert any("spoken form" in w for w in held["warnings"])
    _send(at, held, "n-2", text="buy 2 sony headphones", confirm=True)  # submit anyway
    assert [r.verbatim for r in _revisions(project)] == ["buy 2 sony headphones"]
    assert "submitted it despite 1 warning." in texts(at).replace("\\", "")
    assert _editor_args(at)["warnings"] == []  # the next clip starts clean


def test_undo_by_key_brings_back_the_clip_with_the_annotators_own_text(ready) -> None:
    _project, user, _clips = ready
    at = page("annotate", user).run()
    _send(at, _editor_args(at), "n-1", text="show me sony headphone cases")
    assert _editor_args(at)["clip_uid"] == "clip-001"
    _send(at, _editor_args(at), "n-2", action="undo")
    args = _editor_args(at)
    assert args["clip_uid"] == "clip-000"
    assert args["prefill"] == "show me sony headphone cases"  # not the suggestion
    assert "with your text" in texts(at)


def test_a_stale_edit_shows_the_other_text_and_keeps_the_clip(ready) -> None:
    project, user, clips = ready
    at = page("annotate", user).run()
    args = _editor_args(at)
    with project.session() as session:
        other = make_user(session, "other")
        add_revision(
            session, clips[0], "their <b>text</b>", RevisionStatus.CORRECTED, user_id=other
        )
    _send(at, args, "n-1", text="my text")
    assert [r.verbatim for r in _revisions(project)] == ["their <b>text</b>"]
    assert "their <b>text</b>" in [c.value for c in at.code]
    kept = _editor_args(at)
    assert kept["token"] == args["token"] and kept["handled_nonce"] == "n-1"
    _send(at, kept, "n-2", text="my text")  # submitting again, knowingly, replaces theirs
    assert [r.verbatim for r in _revisions(project)] == ["their <b>text</b>", "my text"]


def test_skip_and_undo_bring_the_clip_back(ready) -> None:
    project, user, clips = ready
    at = page("annotate", user).run()
    _send(at, _editor_args(at), "n-1", action="skip", reason="noise")
    assert [(r.status, r.flags) for r in _revisions(project)] == [
        (RevisionStatus.SKIPPED, ["noise"])
    ]
    assert _editor_args(at)["clip_uid"] == "clip-001"
    at.button(key="voxcart_annotate_undo").click().run()
    assert not at.exception, at.exception
    args = _editor_args(at)
    assert args["clip_uid"] == "clip-000" and args["prefill"] == "show me sony headphones"
    assert "Undid revision" in texts(at)
    with project.session() as session:
        held = session.scalars(select(Task).where(Task.state == TaskState.LEASED)).all()
        # The undone clip and the prefetched one: both leased to this annotator.
        assert sorted(t.clip_id for t in held) == sorted(clips)
        assert {t.leased_by for t in held} == {user}


def test_empty_queue_says_so(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXCART_PROJECT", str(project.root))
    user = make_accounts(project).annotator
    at = page("annotate", user).run()
    assert not at.exception, at.exception
    assert "queue is empty" in texts(at) and not at.get("component_instance")


def test_reviewers_may_not_annotate(ready) -> None:
    project, _user, _clips = ready
    with project.session() as session:
        reviewer = session.scalar(select(User.id).where(User.role == Role.REVIEWER))
    at = page("annotate", reviewer).run()
    assert "Not allowed" in texts(at) and not at.get("component_instance")


def test_the_projects_keys_reach_the_editor() -> None:
    from voxcart.datasets.store.config import KeysConfig
    from voxcart.labeler.components.editor import editor_args
    from voxcart.labeler.services.annotate import AnnotateConfig

    args = editor_args([], AnnotateConfig(), focus="1", keys=KeysConfig(accept="y"))
    assert args["keys"]["accept"] == {"code": "KeyY", "label": "Alt+Y"}
    assert args["keys"]["skip"] == {"code": "KeyS", "label": "Alt+S"}
    assert editor_args([], AnnotateConfig(), focus="1")["keys"]["loop"]["code"] == "KeyO"
