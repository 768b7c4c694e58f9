"""Lhotse manifests load with lhotse itself and carry the right spans and texts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.datasets.export_helpers import labelled_project
from voxcart.datasets.export.exporter import ExportOptions, export_dataset
from voxcart.datasets.store.project import Project

lhotse = pytest.importorskip("lhotse")


def _cuts(folder: Path, split: str) -> tuple[Any, Any, Any]:
    recordings = lhotse.load_manifest(folder / f"{split}_recordings.jsonl.gz")
    supervisions = lhotse.load_manifest(folder / f"{split}_supervisions.jsonl.gz")
    return (
        recordings,
        supervisions,
        lhotse.CutSet.from_manifests(recordings=recordings, supervisions=supervisions),
    )


def test_manifests_load_and_match(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
    result = export_dataset(
        project, tmp_path / "out", "lhotse", ExportOptions(text="verbatim", provenance=True)
    )
    recordings, supervisions, cuts = _cuts(result.path, "train")
    assert len(recordings) == 1  # c1 and c2 share one recording, listed once
    recording = recordings[0]
    assert (recording.sampling_rate, recording.duration) == (16000, 2.0)
    sups = {s.id: s for s in supervisions}
    assert (sups["c2"].start, sups["c2"].duration, sups["c2"].text) == (1.0, 1.0, "under $50")
    assert sups["c2"].speaker == "spk1" and sups["c2"].language == "en-US"
    assert sups["c2"].custom["revision_source"] == "human"
    cut = next(c for c in cuts.trim_to_supervisions() if c.supervisions[0].id == "c2")
    assert cut.start == 1.0 and cut.duration == 1.0
    assert cut.load_audio().shape == (1, 16000)
    _r, test_sups, test_cuts = _cuts(result.path, "test")
    assert test_sups[0].text == "PS5 controller"
    assert len(test_cuts) == 1


def test_copied_audio_recordings_start_at_zero(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
    result = export_dataset(project, tmp_path / "out", "lhotse", ExportOptions(copy_audio=True))
    recordings, supervisions, _ = _cuts(result.path, "train")
    assert sorted(r.id for r in recordings) == ["c1", "c2"]
    assert all(s.start == 0.0 and s.duration == 1.0 for s in supervisions)
    assert recordings["c2"].load_audio().shape == (1, 16000)
