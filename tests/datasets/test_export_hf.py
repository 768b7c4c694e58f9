"""Hugging Face audiofolder: split folders with cut audio and metadata.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import soundfile as sf

from tests.datasets.export_helpers import add_clip, add_recording, labelled_project
from voxcart.datasets.export.exporter import ExportOptions, export_dataset
from voxcart.datasets.store.project import Project


def test_audiofolder_layout(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
        rec = add_recording(session, tmp_path / "audio" / "t.wav", seed=13)
        add_clip(session, rec, "../../escape", "path traversal id", split="dev")
    result = export_dataset(project, tmp_path / "out", "hf", ExportOptions(text="verbatim"))
    assert sorted(p.name for p in result.path.iterdir() if p.is_dir()) == ["dev", "test", "train"]
    train = [
        json.loads(x) for x in (result.path / "train" / "metadata.jsonl").read_text().splitlines()
    ]
    assert [r["id"] for r in train] == ["c1", "c2"]
    assert train[1]["transcription"] == "under $50" and train[1]["speaker_id"] == "spk1"
    audio = result.path / "train" / train[1]["file_name"]
    assert sf.info(str(audio)).frames == 16000
    dev = [json.loads(x) for x in (result.path / "dev" / "metadata.jsonl").read_text().splitlines()]
    hostile = next(r for r in dev if r["id"] == "../../escape")
    # The id becomes a plain file name inside the split folder.
    assert "/" not in hostile["file_name"] and not hostile["file_name"].startswith(".")
    assert (result.path / "dev" / hostile["file_name"]).is_file()
    assert not list((tmp_path / "out").glob("*.wav"))
