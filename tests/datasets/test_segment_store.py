"""Segmenting recordings in a project: clip rows, lineage, idempotence, failures, nudges, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from tests.datasets.segment_sessions import SR, Session, add_recording, build_session
from voxcart.datasets.cli import segment_cmd
from voxcart.datasets.errors import SegmentationError
from voxcart.datasets.segment.cut import SegmentConfig
from voxcart.datasets.segment.store import (
    nudge_clip,
    recording_key,
    segment_recordings,
    select_recordings,
)
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import add_revision, current_transcripts
from voxcart.datasets.store.schema import Clip, Recording, RevisionStatus

ENERGY = SegmentConfig(method="energy")


@pytest.fixture
def long_recording(project: Project, tmp_path: Path) -> tuple[int, Session]:
    session = build_session(5, seed=21)
    return add_recording(project, tmp_path / "audio" / "long session.wav", session.audio), session


def _segment_clips(project: Project, recording_id: int) -> list[Clip]:
    with project.session() as session:
        return list(
            session.scalars(
                select(Clip)
                .where(Clip.recording_id == recording_id, Clip.origin == "segment")
                .order_by(Clip.offset_s)
            )
        )


def test_segments_become_offset_clips_with_lineage(
    project: Project, long_recording: tuple[int, Session]
) -> None:
    recording_id, truth = long_recording
    report = segment_recordings(project, [recording_id], ENERGY)
    assert (report.segmented, report.clips_created, report.failures) == (1, 5, ())
    clips = _segment_clips(project, recording_id)
    with project.session() as session:
        parent = session.scalars(select(Clip).where(Clip.uid == "long session-whole")).one()
        key = recording_key(session.get(Recording, recording_id))
    assert "segmented" in parent.tags
    for clip, utterance in zip(clips, truth.utterances, strict=True):
        assert (
            clip.offset_s <= utterance.start_s
            and utterance.end_s <= clip.offset_s + clip.duration_s
        )
        assert clip.parent_id == parent.id
        assert clip.session == "sess-1"
        assert clip.uid.startswith(key)
        assert clip.lineage["method"] == "energy"
        assert clip.lineage["parent_clip"] == parent.uid
        assert clip.lineage["params"]["pad_s"] == ENERGY.pad_s
        assert "overlap" not in clip.tags


def test_rerun_is_idempotent(project: Project, long_recording: tuple[int, Session]) -> None:
    recording_id, _ = long_recording
    segment_recordings(project, [recording_id], ENERGY)
    again = segment_recordings(project, [recording_id], ENERGY)
    assert (again.segmented, again.skipped, again.clips_created) == (0, 1, 0)
    assert len(_segment_clips(project, recording_id)) == 5


def test_a_bad_recording_is_reported_and_the_rest_are_segmented(
    project: Project, long_recording: tuple[int, Session], tmp_path: Path
) -> None:
    good_id, _ = long_recording
    bad_id = add_recording(project, tmp_path / "audio" / "broken.wav", np.zeros(SR, np.float32))
    (tmp_path / "audio" / "broken.wav").write_bytes(b"RIFF\x00\x00not audio at all")
    report = segment_recordings(project, [bad_id, good_id, 999], ENERGY)
    assert report.segmented == 1 and report.clips_created == 5
    failed = dict(report.failures)
    assert set(failed) == {bad_id, 999}
    assert "broken.wav" in failed[bad_id]
    assert "does not exist" in failed[999]


def test_nudge_creates_a_new_version_with_the_transcript(
    project: Project, long_recording: tuple[int, Session]
) -> None:
    recording_id, _ = long_recording
    segment_recordings(project, [recording_id], ENERGY)
    first = _segment_clips(project, recording_id)[0]
    with project.session() as session:
        add_revision(session, first.id, "where is my order", RevisionStatus.ACCEPTED)
    new_id = nudge_clip(project, first.id, first.offset_s + 0.05, first.duration_s - 0.1)
    with project.session() as session:
        new = session.get(Clip, new_id)
        old = session.get(Clip, first.id)
        assert new is not None and old is not None
        assert new.parent_id == old.id
        assert new.offset_s == pytest.approx(first.offset_s + 0.05)
        assert new.lineage["nudged_from"] == old.uid
        assert new.lineage["old"] == {"offset_s": old.offset_s, "duration_s": old.duration_s}
        assert "superseded" in old.tags and "superseded" not in new.tags
        assert current_transcripts(session, [new_id])[new_id].verbatim == "where is my order"
    # The old clip is superseded: a second nudge of it (even a concurrent one) is refused.
    with pytest.raises(SegmentationError, match="superseded"):
        nudge_clip(project, first.id, first.offset_s + 0.05, first.duration_s - 0.1)
    # Nudging the new version back to the boundaries it already has changes nothing.
    with pytest.raises(SegmentationError, match="already exists"):
        nudge_clip(project, new_id, first.offset_s + 0.05, first.duration_s - 0.1)


@pytest.mark.parametrize(("offset", "duration"), [(-1.0, 1.0), (1.0, 0.0), (1.0, 1e6)])
def test_nudge_outside_the_recording_is_refused(
    project: Project, long_recording: tuple[int, Session], offset: float, duration: float
) -> None:
    recording_id, _ = long_recording
    segment_recordings(project, [recording_id], ENERGY)
    clip = _segment_clips(project, recording_id)[0]
    with pytest.raises(SegmentationError, match="inside the recording"):
        nudge_clip(project, clip.id, offset, duration)


def test_where_selects_recordings(project: Project, tmp_path: Path) -> None:
    short = add_recording(project, tmp_path / "a" / "short.wav", np.zeros(SR, np.float32))
    long = add_recording(project, tmp_path / "b" / "long_1.wav", np.zeros(5 * SR, np.float32))
    assert select_recordings(project) == [short, long]
    assert select_recordings(project, ["duration_s>=2"]) == [long]
    assert select_recordings(project, ["path~*/b/long_?.wav"]) == [long]
    assert select_recordings(project, ["id != 1", "format=WAV"]) == [long]
    with pytest.raises(SegmentationError, match="FIELD OP VALUE"):
        select_recordings(project, ["speaker=bob"])
    with pytest.raises(SegmentationError, match="not a number"):
        select_recordings(project, ["duration_s>long"])


def _cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """voxcart"""

    segment_cmd.register(app)
    return app


def test_cli_segments_and_reports(project: Project, long_recording: tuple[int, Session]) -> None:
    runner = CliRunner()
    args = ["segment", "-p", str(project.root), "--method", "energy", "--where", "duration_s>=5"]
    result = runner.invoke(_cli(), args)
    assert result.exit_code == 0, result.output
    assert "into 5 clip(s)" in result.output
    result = runner.invoke(_cli(), args)
    assert "1 already segmented" in result.output


def test_cli_refuses_diarize_without_models(project: Project) -> None:
    result = CliRunner().invoke(_cli(), ["segment", "-p", str(project.root), "--diarize"])
    assert result.exit_code != 0
    assert isinstance(result.exception, SegmentationError)
    assert "--segmentation" in str(result.exception)


def test_cli_rejects_a_bad_speaker_map(project: Project, tmp_path: Path) -> None:
    bad = tmp_path / "map.json"
    bad.write_text(json.dumps({"x:SPEAKER_00": 3}), encoding="utf-8")
    result = CliRunner().invoke(
        _cli(), ["segment", "-p", str(project.root), "--speaker-map", str(bad)]
    )
    assert isinstance(result.exception, SegmentationError)
    assert "JSON object of strings" in str(result.exception)


def test_segments_and_nudged_versions_inherit_metadata(
    project: Project, long_recording: tuple[int, Session]
) -> None:
    recording_id, _ = long_recording
    with project.session() as session:
        whole = session.scalars(select(Clip).where(Clip.recording_id == recording_id)).one()
        whole.meta = {"condition": "far", "region": "EU"}
    segment_recordings(project, [recording_id], ENERGY)
    clips = _segment_clips(project, recording_id)
    assert [c.meta for c in clips] == [{"condition": "far", "region": "EU"}] * len(clips)
    new_id = nudge_clip(project, clips[0].id, clips[0].offset_s + 0.05, clips[0].duration_s - 0.1)
    with project.session() as session:
        new = session.get(Clip, new_id)
        assert new is not None and new.meta == {"condition": "far", "region": "EU"}
