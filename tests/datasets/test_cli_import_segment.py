"""`voxcart import LONG_AUDIO --segment ...` cuts the new recording into query clips."""

from __future__ import annotations

from pathlib import Path

import soundfile as sf
from sqlalchemy import select
from typer.testing import CliRunner

from tests.datasets.segment_sessions import SR, build_session
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip
from voxcart.labeler.cli.root import build_app

runner = CliRunner()


def test_import_with_segment_creates_one_clip_per_query(project: Project, tmp_path: Path) -> None:
    session = build_session(4, seed=3)
    path = tmp_path / "session.wav"
    sf.write(path, session.audio, SR)
    args = ["import", str(path), "-p", str(project.root), "--segment", "energy"]
    result = runner.invoke(build_app(), args)
    assert result.exit_code == 0, result.output
    assert "into 4 clip(s)" in result.output
    with project.session() as s:
        clips = s.scalars(select(Clip).where(Clip.origin == "segment")).all()
        assert len(clips) == 4
        assert all(c.parent_id is not None for c in clips)
    again = runner.invoke(build_app(), args)
    assert again.exit_code == 0, again.output
    assert "into 0 clip(s)" in again.output


def test_bad_segment_method_fails_before_importing(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "session.wav"
    sf.write(path, build_session(1, seed=1).audio, SR)
    result = runner.invoke(
        build_app(), ["import", str(path), "-p", str(project.root), "--segment", "nonsense"]
    )
    assert result.exit_code != 0
    assert "method='nonsense' is not a segmentation method" in str(result.exception)
    with project.session() as s:
        assert s.scalars(select(Clip)).all() == []
