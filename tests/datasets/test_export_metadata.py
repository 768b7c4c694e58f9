"""Clip metadata in exports: extra keys (NeMo, HF), lhotse ``custom``, table columns, the
datasheet, and back again through `voxcart import`; Kaldi cannot carry it and says so."""

from __future__ import annotations

import csv
import gzip
import json
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import write_audio
from tests.datasets.export_helpers import add_clip, add_recording
from voxcart.datasets.export.exporter import export_dataset
from voxcart.datasets.ingest.engine import import_source
from voxcart.datasets.store.project import Project, init_project
from voxcart.datasets.store.schema import Clip

SECONDS = 3.0
NAMES = ("condition", "device_model", "région", "mic.type", "room size")
_CHARS = st.characters(blacklist_categories=["Cs", "Cc", "Zl", "Zp"])
_VALUE = st.text(_CHARS, min_size=1, max_size=30).filter(lambda t: t.strip() != "")
_META = st.dictionaries(st.sampled_from(NAMES), _VALUE, max_size=len(NAMES))


def _fill(project: Project, audio: Path, metas: list[dict[str, str]]) -> None:
    with project.session() as session:
        rec = add_recording(session, audio / "rec.wav", SECONDS, seed=7)
        for i, meta in enumerate(metas):
            clip = add_clip(session, rec, f"c{i}", f"query {i}", offset=i * 0.5, duration=0.5)
            clip.meta = meta


def _metas(project: Project) -> list[tuple[float, dict[str, str]]]:
    with project.session() as session:
        clips = session.scalars(select(Clip).order_by(Clip.id))
        return [(round(c.offset_s, 3), dict(c.meta)) for c in clips]


def _manifest(export: Path, fmt: str) -> Path:
    return {"nemo": export / "train_manifest.jsonl", "csv": export / "train.csv", "hf": export}[fmt]


@pytest.mark.parametrize("fmt", ["nemo", "csv", "hf"])
def test_metadata_survives_export_and_reimport(fmt: str) -> None:
    @given(st.lists(_META, min_size=1, max_size=4))
    @settings(
        max_examples=6,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def check(metas: list[dict[str, str]]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            source, target = init_project(root / "a"), init_project(root / "b")
            try:
                _fill(source, root / "audio", metas)
                result = export_dataset(source, root / "out", fmt)
                report = import_source(
                    target, _manifest(result.path, fmt), allowed_roots=(root / "audio",)
                )
                assert report.rejected == 0, report.summary()
                got = _metas(target)
                # HF cuts every clip into its own file (offset 0); both keep the clip order.
                offsets = [0.0 if fmt == "hf" else i * 0.5 for i in range(len(metas))]
                assert got == list(zip(offsets, metas, strict=True))
                kept = {name for name, _n in report.metadata_columns}
                assert kept == {name for m in metas for name in m}
            finally:
                source.close()
                target.close()

    check()


@pytest.fixture
def exported_project(project: Project, tmp_path: Path) -> Project:
    write_audio(tmp_path / "audio" / "rec.wav", SECONDS, seed=7)
    _fill(
        project,
        tmp_path / "audio",
        [{"condition": "far", "région": "EU"}, {"condition": "near"}, {"condition": "far"}, {}],
    )
    return project


def test_lhotse_and_parquet_carry_metadata(exported_project: Project, tmp_path: Path) -> None:
    lhotse = export_dataset(exported_project, tmp_path / "out", "lhotse")
    with gzip.open(lhotse.path / "train_supervisions.jsonl.gz", "rt", encoding="utf-8") as f:
        sups = [json.loads(line) for line in f]
    assert [s.get("custom") for s in sups] == [
        {"condition": "far", "région": "EU"},
        {"condition": "near"},
        {"condition": "far"},
        None,
    ]
    parquet = export_dataset(exported_project, tmp_path / "out", "parquet")
    table = pq.read_table(parquet.path / "train.parquet").to_pydict()
    assert table["condition"] == ["far", "near", "far", None]
    assert table["région"] == ["EU", None, None, None]
    csv_export = export_dataset(exported_project, tmp_path / "out", "csv")
    with (csv_export.path / "train.csv").open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert header[:10] == [
        "id", "audio_filepath", "offset", "duration", "text", "speaker", "language", "split",
        "condition", "région",
    ]  # fmt: skip


def test_datasheet_summarises_metadata_and_kaldi_says_it_cannot_carry_it(
    exported_project: Project, tmp_path: Path
) -> None:
    nemo = export_dataset(exported_project, tmp_path / "out", "nemo")
    sheet = json.loads(nemo.datasheet_path.read_text(encoding="utf-8"))
    assert sheet["metadata"]["condition"] == {
        "clips": 3,
        "distinct": 2,
        "top": [["far", 2], ["near", 1]],
    }
    assert sheet["metadata_note"] == ""
    assert "## Clip metadata" in (nemo.path / "datasheet.md").read_text(encoding="utf-8")
    kaldi = export_dataset(exported_project, tmp_path / "out", "kaldi")
    note = json.loads(kaldi.datasheet_path.read_text(encoding="utf-8"))["metadata_note"]
    assert "Kaldi" in note
    assert "Not in this export" in (kaldi.path / "datasheet.md").read_text(encoding="utf-8")
    assert "far" not in "".join(p.read_text() for p in (kaldi.path / "train").iterdir())


def test_metadata_is_part_of_the_content_hash(exported_project: Project, tmp_path: Path) -> None:
    before = export_dataset(exported_project, tmp_path / "out", "nemo").content_hash
    with exported_project.session() as session:
        clip = session.scalars(select(Clip).where(Clip.uid == "c1")).one()
        clip.meta = {"condition": "far"}
    after = export_dataset(exported_project, tmp_path / "out", "nemo").content_hash
    assert before != after
