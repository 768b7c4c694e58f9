"""The import engine: storing, deduplication, idempotent re-runs, transcripts, reports."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import soundfile as sf
from sqlalchemy import func, select

from tests.conftest import write_audio
from voxcart.datasets.errors import ManifestError
from voxcart.datasets.ingest import engine as ingest
from voxcart.datasets.ingest.engine import ImportItem, Rejection, import_items, import_source
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import current_transcripts
from voxcart.datasets.store.schema import Clip, Recording, Revision, RevisionStatus


def _count(project: Project, table: type) -> int:
    with project.session() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _clips(project: Project) -> list[Clip]:
    with project.session() as session:
        return list(session.scalars(select(Clip).order_by(Clip.id)))


def test_folder_import_is_idempotent(project: Project, tmp_path: Path) -> None:
    for i in range(3):
        write_audio(tmp_path / "src" / f"spk{i % 2}" / f"a{i}.wav", seconds=0.5, seed=i)
    first = import_source(project, tmp_path / "src", speaker_from="parent", tags=("batch1",))
    assert (first.imported, first.duplicates, first.rejected) == (3, 0, 0)
    assert first.report_path is None
    again = import_source(project, tmp_path / "src")
    assert (again.imported, again.duplicates, again.rejected) == (0, 3, 0)
    assert _count(project, Recording) == 3 and _count(project, Clip) == 3
    clips = _clips(project)
    assert [c.speaker for c in clips] == ["spk0", "spk0", "spk1"]  # sorted walk
    assert all(c.tags == ["batch1"] and c.origin == "import" for c in clips)
    assert clips[0].uid.startswith("a0-") and len(clips[0].uid) == len("a0-") + 10


def test_same_audio_elsewhere_reuses_the_recording(project: Project, tmp_path: Path) -> None:
    wav = write_audio(tmp_path / "a.wav", seconds=0.5)
    pcm, sr = sf.read(wav, dtype="int16")
    (tmp_path / "b").mkdir()
    sf.write(tmp_path / "b" / "copy.flac", pcm, sr)
    report = import_source(project, tmp_path)
    assert (report.imported, report.duplicates) == (1, 1)
    assert _count(project, Recording) == 1


def test_csv_transcripts_become_accepted_revisions(project: Project, tmp_path: Path) -> None:
    write_audio(tmp_path / "x.wav", seconds=0.5, seed=1)
    write_audio(tmp_path / "y.wav", seconds=0.5, seed=2)
    (tmp_path / "m.csv").write_text("path,text\nx.wav,sony earbuds under $50\ny.wav,\n")
    report = import_source(project, tmp_path / "m.csv")
    assert (report.imported, report.transcribed) == (2, 1)
    with project.session() as session:
        clip_ids = [c.id for c in session.scalars(select(Clip).order_by(Clip.id))]
        views = current_transcripts(session, clip_ids)
    assert list(views) == [clip_ids[0]]
    view = views[clip_ids[0]]
    assert view.verbatim == "sony earbuds under $50"
    assert (view.status, view.source, view.is_human) == (
        RevisionStatus.ACCEPTED,
        "import:csv",
        True,
    )
    assert view.normalized == "sony earbuds under fifty dollars"


def test_transcript_added_to_existing_clip_once(project: Project, tmp_path: Path) -> None:
    write_audio(tmp_path / "x.wav", seconds=0.5)
    import_source(project, tmp_path / "x.wav")
    (tmp_path / "m.csv").write_text("path,text\nx.wav,first\nx.wav,second\n")
    report = import_source(project, tmp_path / "m.csv")
    assert (report.imported, report.duplicates, report.transcribed) == (0, 2, 1)
    again = import_source(project, tmp_path / "m.csv")
    assert again.transcribed == 0
    assert _count(project, Revision) == 1


def test_no_transcripts_flag(project: Project, tmp_path: Path) -> None:
    write_audio(tmp_path / "x.wav", seconds=0.5)
    (tmp_path / "m.csv").write_text("path,text\nx.wav,hello\n")
    report = import_source(project, tmp_path / "m.csv", transcripts=False)
    assert (report.imported, report.transcribed) == (1, 0)
    assert _count(project, Revision) == 0


def test_segments_and_uid_collisions(project: Project, tmp_path: Path) -> None:
    write_audio(tmp_path / "long.wav", seconds=1.0, seed=3)
    write_audio(tmp_path / "other.wav", seconds=0.5, seed=4)
    rows = [
        {"path": "long.wav", "offset": "0", "duration": "0.5", "id": "utt"},
        {"path": "long.wav", "offset": "0.5", "duration": "0.5", "id": ""},
        {"path": "other.wav", "offset": "", "duration": "", "id": "utt"},
        {"path": "long.wav", "offset": "0.5", "duration": "0.5", "id": "dup-row"},
    ]
    with (tmp_path / "m.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = import_source(project, tmp_path / "m.csv")
    assert (report.imported, report.duplicates) == (3, 1)
    clips = _clips(project)
    assert clips[0].uid == "utt" and clips[2].uid == "utt-2"
    assert clips[1].uid.startswith("long-") and clips[1].uid.endswith("-500")
    assert (clips[1].offset_s, clips[1].duration_s) == (0.5, 0.5)
    assert clips[0].recording_id == clips[1].recording_id != clips[2].recording_id


def test_report_file_holds_every_rejection(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "MAX_KEPT_REJECTIONS", 2)
    items = [ImportItem(path=tmp_path / f"missing{i}.wav") for i in range(5)]
    report = import_items(project, items)
    assert report.rejected == 5 and len(report.rejections) == 2
    assert report.reasons == (("missing", 5),)
    assert report.report_path is not None and report.report_path.parent == project.root / "reports"
    lines = [json.loads(x) for x in report.report_path.read_text().splitlines()]
    assert len(lines) == 5 and lines[0]["code"] == "missing"
    assert "missing" in report.summary() and str(report.report_path) in report.summary()


def test_batches_commit_before_a_source_failure(project: Project, tmp_path: Path) -> None:
    paths = [write_audio(tmp_path / f"f{i}.wav", seconds=0.3, seed=i) for i in range(5)]

    def stream() -> Iterator[ImportItem | Rejection]:
        for path in paths[:3]:
            yield ImportItem(path=path)
        raise ManifestError("manifest broke at line 4")

    with pytest.raises(ManifestError, match="3 clip\\(s\\) imported before"):
        import_items(project, stream(), batch_size=2)
    assert _count(project, Clip) == 3
    resumed = import_items(project, [ImportItem(path=p) for p in paths], batch_size=2)
    assert (resumed.imported, resumed.duplicates) == (2, 3)


def test_items_from_builders_keep_lineage_origin_and_progress(
    project: Project, tmp_path: Path
) -> None:
    path = write_audio(tmp_path / "s.wav", seconds=1.0)
    seen: list[tuple[int, int | None]] = []
    items = [
        ImportItem(
            path=path,
            offset_s=0.0,
            duration_s=0.4,
            uid="seg-a",
            lineage={"vad": "x"},
            tags=("segmented",),
            transcript="hi",
            source_format="segment",
        ),
        ImportItem(
            path=path, offset_s=0.4, duration_s=0.4, uid="seg-b", speaker="s", locale="de-DE"
        ),
    ]
    report = import_items(
        project, items, origin="segment", progress=lambda d, t: seen.append((d, t)), total=2
    )
    assert report.imported == 2 and seen == [(1, 2), (2, 2)]
    first, second = _clips(project)
    assert (first.origin, first.lineage, first.tags) == ("segment", {"vad": "x"}, ["segmented"])
    assert (second.locale, second.speaker) == ("de-DE", "s")
    with project.session() as session:
        assert session.scalar(select(Revision.source)) == "import:segment"


def test_speaker_option_fills_only_missing_speakers(project: Project, tmp_path: Path) -> None:
    write_audio(tmp_path / "x.wav", seconds=0.5, seed=1)
    write_audio(tmp_path / "y.wav", seconds=0.5, seed=2)
    (tmp_path / "m.csv").write_text("path,speaker\nx.wav,ann\ny.wav,\n")
    import_source(project, tmp_path / "m.csv", speaker="bob")
    assert [c.speaker for c in _clips(project)] == ["ann", "bob"]
    with pytest.raises(ManifestError, match="speaker_from"):
        import_source(project, tmp_path / "m.csv", speaker_from="grandparent")


def test_shared_real_speech_folder_and_manifest(project: Project, shared_data: Path) -> None:
    speech = shared_data / "speech"
    folder = import_source(project, speech)
    assert folder.rejected == 0 and folder.imported == len(list(speech.glob("*.wav")))
    manifest = shared_data / "MANIFEST.csv"
    if not manifest.is_file():
        pytest.skip("MANIFEST.csv absent")
    report = import_source(project, manifest)
    # speech rows are the same audio (duplicates, transcripts added); noise/rir rows are new
    assert report.duplicates == folder.imported and report.transcribed == folder.imported
    with project.session() as session:
        texts = {r.verbatim for r in session.scalars(select(Revision))}
    assert "go forward ten meters" in texts
