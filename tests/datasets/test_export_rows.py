"""Which rows an export takes: newest revision, statuses, pseudo-labels, splits, provenance."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.datasets.export_helpers import add_clip, add_recording, labelled_project
from voxcart.datasets.errors import ExportError
from voxcart.datasets.export.rows import RowFilter, count_rows, iter_rows, require_splits
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import ModelVersion, RevisionStatus, Suggestion, User


def _uids(project: Project, flt: RowFilter, **kwargs: object) -> list[str]:
    with project.session() as session:
        return [row.uid for row in iter_rows(session, flt, **kwargs)]


def test_default_takes_human_accepted_and_corrected_in_clip_order(
    project: Project, tmp_path: Path
) -> None:
    with project.session() as session:
        clips = labelled_project(session, tmp_path / "audio")
        # c1's newest revision is a flag: out, although an older revision was accepted.
        add_revision(session, clips["c1"].id, "x", RevisionStatus.FLAGGED)
        # c5 was skipped, then corrected: in.
        add_revision(session, clips["c5"].id, "sony tv", RevisionStatus.CORRECTED)
    assert _uids(project, RowFilter()) == ["c2", "c3", "c4", "c5"]


def test_pseudo_labels_and_other_statuses_on_request(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
    assert "c6" not in _uids(project, RowFilter())
    assert "c6" in _uids(project, RowFilter(include_pseudo=True))
    skipped = _uids(project, RowFilter(statuses=(RevisionStatus.SKIPPED,)))
    assert skipped == ["c5"]


def test_text_modes(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
        verbatim = {r.uid: r.text for r in iter_rows(session, RowFilter(text="verbatim"))}
        normalized = {r.uid: r.text for r in iter_rows(session, RowFilter())}
    assert verbatim["c2"] == "under $50"
    assert normalized["c2"] == "under fifty dollars"
    with pytest.raises(ExportError, match="text mode"):
        RowFilter(text="spoken")


def test_clips_without_split_refused_unless_filtered_out(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
        rec = add_recording(session, tmp_path / "audio" / "r9.wav", seed=9)
        add_clip(session, rec, "nosplit", "hello", split=None)
        count = count_rows(session, RowFilter())
    assert (count.total, count.unsplit, count.unsplit_example) == (5, 1, "nosplit")
    with pytest.raises(ExportError, match="voxcart split"):
        require_splits(count, RowFilter())
    require_splits(count, RowFilter(splits=("train",)))  # filtered: allowed
    assert _uids(project, RowFilter(splits=("train", "test"))) == ["c1", "c2", "c4"]
    with pytest.raises(ExportError, match="not a split"):
        RowFilter(splits=("validation",))


def test_derived_clip_follows_parent_split(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        clips = labelled_project(session, tmp_path / "audio")
        rec = add_recording(session, tmp_path / "audio" / "aug.wav", seed=11)
        # A stale split on the derived clip must not leak a dev utterance into train.
        add_clip(session, rec, "c3-aug", "noisy copy", split="train", parent=clips["c3"])
        rows = {r.uid: r.split for r in iter_rows(session, RowFilter())}
    assert rows["c3-aug"] == "dev"


def test_provenance_fields_and_suggestion_wer(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        rec = add_recording(session, tmp_path / "audio" / "p.wav", seed=5)
        user = User(username="ann")
        model = ModelVersion(name="whisper-tiny@1", backend="whisper")
        session.add_all([user, model])
        session.flush()
        clip = add_clip(session, rec, "p1", None)
        sug = Suggestion(clip_id=clip.id, model_version_id=model.id, text="Sony head phones")
        session.add(sug)
        session.flush()
        add_revision(
            session,
            clip.id,
            "sony headphones",
            RevisionStatus.CORRECTED,
            user_id=user.id,
            suggestion_id=sug.id,
            source="app",
        )
        add_clip(session, rec, "p2", "no suggestion here", offset=0.2, duration=0.5)
        rows = {r.uid: r for r in iter_rows(session, RowFilter(), provenance=True)}
        plain = next(iter_rows(session, RowFilter()))
    prov = rows["p1"].provenance
    assert prov is not None
    assert (prov.annotator, prov.revision_source, prov.model_version) == (
        "ann",
        "app",
        "whisper-tiny@1",
    )
    assert prov.suggestion_text == "Sony head phones"
    # reference "sony headphones" vs "sony head phones": one substitution, one insertion.
    assert prov.suggestion_wer == pytest.approx(1.0)
    assert rows["p2"].provenance is not None
    assert rows["p2"].provenance.suggestion_wer is None
    assert plain.provenance is None


def test_rows_stream_in_batches(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        rec = add_recording(session, tmp_path / "audio" / "b.wav", 3.0, seed=6)
        for i in range(25):
            add_clip(session, rec, f"b{i:02d}", f"word {i}", offset=i * 0.1, duration=0.1)
        uids = [r.uid for r in iter_rows(session, RowFilter(), batch_rows=4)]
    assert uids == [f"b{i:02d}" for i in range(25)]
