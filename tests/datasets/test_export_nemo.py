"""NeMo manifests: one JSONL per split, exact text, offsets, copied audio."""

from __future__ import annotations

import json
from pathlib import Path

import soundfile as sf

from tests.datasets.export_helpers import labelled_project
from voxcart.datasets.export.exporter import ExportOptions, export_dataset
from voxcart.datasets.store.project import Project


def _read(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_manifest_per_split_with_source_paths(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
    result = export_dataset(project, tmp_path / "out", "nemo", ExportOptions(text="verbatim"))
    assert result.rows == {"train": 2, "dev": 1, "test": 1}
    train = _read(result.path / "train_manifest.jsonl")
    assert [r["id"] for r in train] == ["c1", "c2"]
    second = train[1]
    assert second["audio_filepath"] == str((tmp_path / "audio" / "r1.wav").resolve())
    assert (second["offset"], second["duration"], second["text"]) == (1.0, 1.0, "under $50")
    assert (second["speaker"], second["lang"]) == ("spk1", "en-US")
    dev = _read(result.path / "dev_manifest.jsonl")
    assert dev[0]["text"] == '=HYPERLINK("x"), "quoted"'  # JSON keeps the exact text
    assert "annotator" not in dev[0]


def test_copy_audio_cuts_16k_mono_wavs_at_offset_zero(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
    result = export_dataset(
        project, tmp_path / "out", "nemo", ExportOptions(copy_audio=True, provenance=True)
    )
    train = _read(result.path / "train_manifest.jsonl")
    second = train[1]
    path = Path(str(second["audio_filepath"]))
    assert path == result.path / "audio" / "train" / "c2.wav"
    info = sf.info(str(path))
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    assert info.frames == 16000
    assert second["offset"] == 0.0 and second["duration"] == 1.0
    assert second["revision_source"] == "human"
    test = _read(result.path / "test_manifest.jsonl")
    flac_cut = sf.info(str(test[0]["audio_filepath"]))  # 22.05 kHz FLAC resampled
    assert (flac_cut.samplerate, flac_cut.frames) == (16000, 16000)
