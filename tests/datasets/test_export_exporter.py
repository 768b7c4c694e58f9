"""export_dataset: versions, content hash, split locks, atomicity, bad audio, bad options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.datasets.export_helpers import add_clip, add_recording, labelled_project
from voxcart.datasets.errors import ExportError
from voxcart.datasets.export import exporter
from voxcart.datasets.export.exporter import ExportOptions, export_dataset
from voxcart.datasets.export.nemo import NemoWriter
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import Clip, DatasetVersion, RevisionStatus


def test_versions_recorded_with_hash_and_locks(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        clips = labelled_project(session, tmp_path / "audio")
    first = export_dataset(project, tmp_path / "out", "nemo")
    second = export_dataset(project, tmp_path / "out", "csv")
    assert (first.name, second.name) == ("v1-nemo", "v2-csv")
    # Same rows, other format: same content hash.
    assert first.content_hash == second.content_hash and len(first.content_hash) == 64
    with project.session() as session:
        version = session.get(DatasetVersion, first.dataset_version_id)
        assert version is not None
        assert (version.format, version.row_count, version.path) == ("nemo", 4, str(first.path))
        assert version.params["statuses"] == ["accepted", "corrected", "typed", "reviewed"]
        assert version.datasheet["splits"]["train"]["clips"] == 2
        locked = {u: lk for u, lk in session.execute(select(Clip.uid, Clip.split_locked))}
    assert locked == {"c1": True, "c2": True, "c3": True, "c4": True, "c5": False, "c6": False}
    with project.session() as session:
        add_revision(session, clips["c2"].id, "under sixty dollars", RevisionStatus.CORRECTED)
    third = export_dataset(project, tmp_path / "out", "nemo", ExportOptions(name="after-fix"))
    assert third.content_hash != first.content_hash
    assert json.loads(third.datasheet_path.read_text())["content_hash"] == third.content_hash


def test_existing_names_and_folders_are_never_overwritten(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
    export_dataset(project, tmp_path / "out", "nemo", ExportOptions(name="release"))
    before = (tmp_path / "out" / "release" / "train_manifest.jsonl").read_bytes()
    with pytest.raises(ExportError, match="already exists"):
        export_dataset(project, tmp_path / "out", "nemo", ExportOptions(name="release"))
    (tmp_path / "out" / "manual").mkdir()
    with pytest.raises(ExportError, match="never overwritten"):
        export_dataset(project, tmp_path / "out", "csv", ExportOptions(name="manual"))
    assert (tmp_path / "out" / "release" / "train_manifest.jsonl").read_bytes() == before
    # An automatic name steps over folders that are in the way.
    (tmp_path / "out" / "v2-nemo").mkdir()
    assert export_dataset(project, tmp_path / "out", "nemo").name == "v3-nemo"
    for bad in ("../up", ".hidden", "a/b", ""):
        with pytest.raises(ExportError, match="plain folder name"):
            export_dataset(project, tmp_path / "out", "nemo", ExportOptions(name=bad))


def test_crash_mid_export_leaves_nothing(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")

    class Crashing(NemoWriter):
        written = 0

        def write(self, row: object) -> None:
            super().write(row)
            Crashing.written += 1
            if Crashing.written == 3:
                raise KeyboardInterrupt

    monkeypatch.setitem(exporter.WRITERS, "nemo", Crashing)
    with pytest.raises(KeyboardInterrupt):
        export_dataset(project, tmp_path / "out", "nemo", ExportOptions(name="partial"))
    assert list((tmp_path / "out").iterdir()) == []  # no folder, no temporary leftovers
    with project.session() as session:
        assert session.scalar(select(DatasetVersion.id)) is None
        assert not any(session.scalars(select(Clip.split_locked)))


def test_unreadable_audio_skips_the_clip_not_the_export(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
        gone = add_recording(session, tmp_path / "audio" / "gone.wav", seed=21)
        add_clip(session, gone, "gone", "missing audio")
    (tmp_path / "audio" / "gone.wav").unlink()
    result = export_dataset(project, tmp_path / "out", "nemo", ExportOptions(copy_audio=True))
    assert result.rows == {"train": 2, "dev": 1, "test": 1}
    assert len(result.skipped) == 1 and "gone" in result.skipped[0]
    assert "file not found" in result.skipped[0]
    sheet = json.loads(result.datasheet_path.read_text())
    assert sheet["skipped"] == list(result.skipped)
    with project.session() as session:
        gone_clip = session.scalar(select(Clip).where(Clip.uid == "gone"))
        assert gone_clip is not None and not gone_clip.split_locked


def test_nothing_to_export_and_bad_options(project: Project, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no clips to export"):
        export_dataset(project, tmp_path / "out", "nemo")
    with pytest.raises(ExportError, match="format 'tsv' is not supported"):
        export_dataset(project, tmp_path / "out", "tsv")
    with pytest.raises(ExportError, match="not a revision status"):
        export_dataset(project, tmp_path / "out", "nemo", ExportOptions(statuses=["approved"]))
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_unsplit_clips_refused(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
        rec = add_recording(session, tmp_path / "audio" / "n.wav", seed=30)
        add_clip(session, rec, "new", "fresh clip", split=None)
    with pytest.raises(ExportError, match="run `voxcart split`"):
        export_dataset(project, tmp_path / "out", "nemo")
    result = export_dataset(
        project, tmp_path / "out", "nemo", ExportOptions(splits=["dev", "test"])
    )
    assert result.rows == {"dev": 1, "test": 1}


def test_derived_clip_locks_its_parent(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        clips = labelled_project(session, tmp_path / "audio")
        rec = add_recording(session, tmp_path / "audio" / "aug.wav", seed=31)
        add_clip(session, rec, "c5-aug", "augmented", parent=clips["c5"], split="train")
    export_dataset(project, tmp_path / "out", "nemo", ExportOptions(splits=["train"]))
    with project.session() as session:
        locked = {u: lk for u, lk in session.execute(select(Clip.uid, Clip.split_locked))}
    # c5 itself is not exported (skipped status), but its exported child pins its split.
    assert locked["c5-aug"] and locked["c5"]


def test_progress_reports_every_row(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
    seen: list[tuple[int, int]] = []
    export_dataset(project, tmp_path / "out", "csv", progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (4, 4)
