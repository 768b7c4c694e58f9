"""Loading active-learning candidates: unlabelled, not segmented, with the committee's texts."""

from __future__ import annotations

import logging

import pytest

from tests.factories import add_recording
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import Clip, ModelVersion, RevisionStatus, Suggestion
from voxcart.model.al.candidates import load_candidates
from voxcart.model.errors import ModelError

WORDS = [
    {"word": "sony", "start": 0.1, "end": 0.4, "confidence": 0.4},
    {"word": "tv", "start": 0.4, "end": 0.7, "confidence": 0.9},
]


def _setup(project: Project) -> tuple[int, int, dict[str, int]]:
    """Clips: open, labelled, segmented, superseded, unsuggested, malformed; two models."""
    with project.session() as s:
        rec = add_recording(s, "/a.wav", duration_s=9.0)
        a, b = ModelVersion(name="a", backend="sphinx"), ModelVersion(name="b", backend="sphinx")
        s.add_all([a, b])
        s.flush()
        ids: dict[str, int] = {}
        specs = [
            ("open", [], True),
            ("labelled", [], True),
            ("segmented", ["segmented"], True),
            ("superseded", ["superseded"], True),
            ("unsuggested", [], False),
            ("malformed", [], True),
        ]
        for i, (name, tags, suggested) in enumerate(specs):
            clip = Clip(
                uid=name, recording_id=rec.id, offset_s=i, duration_s=1.5, tags=tags, speaker="sp"
            )
            s.add(clip)
            s.flush()
            ids[name] = clip.id
            if suggested:
                words = [{"word": "sony"}] if name == "malformed" else WORDS
                s.add(
                    Suggestion(
                        clip_id=clip.id,
                        model_version_id=a.id,
                        text="sony tv",
                        words=words,
                        scores={"min_confidence": 0.4, "token_entropy": 0.5},
                        nbest=[{"text": "sony tv", "log_score": -1.0}],
                    )
                )
        s.add(Suggestion(clip_id=ids["open"], model_version_id=b.id, text="sunny tv"))
        s.add(Suggestion(clip_id=ids["unsuggested"], model_version_id=b.id, text="x"))
        add_revision(s, ids["labelled"], "sony tv", RevisionStatus.ACCEPTED)
        return a.id, b.id, ids


def test_loader_skips_labelled_segmented_and_unsuggested_clips(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    a, _, ids = _setup(project)
    with caplog.at_level(logging.WARNING):
        candidates = load_candidates(project, a)
    assert [c.clip_id for c in candidates] == [ids["open"]]
    assert "malformed" in caplog.text
    (open_clip,) = candidates
    assert open_clip.uid == "open" and open_clip.duration_s == 1.5 and open_clip.speaker == "sp"
    assert [(w.word, w.confidence) for w in open_clip.words] == [("sony", 0.4), ("tv", 0.9)]
    assert open_clip.score("token_entropy") == 0.5
    assert [n.text for n in open_clip.nbest] == ["sony tv"]
    assert open_clip.other_texts == ("sunny tv",)


def test_loader_can_include_labelled_clips_and_limit_the_committee(project: Project) -> None:
    a, b, ids = _setup(project)
    all_clips = load_candidates(project, a, where_unlabeled=False, committee=[])
    assert [c.clip_id for c in all_clips] == [ids["open"], ids["labelled"]]
    assert all(c.other_texts == () for c in all_clips)
    from_b = load_candidates(project, b)
    assert [c.clip_id for c in from_b] == [ids["open"], ids["unsuggested"]]
    assert from_b[0].other_texts == ("sony tv",)


def test_loader_rejects_an_unknown_model(project: Project) -> None:
    with pytest.raises(ModelError, match="model_version_id=99"):
        load_candidates(project, 99)
