"""CSV and Parquet tables: formula-safe CSV, exact Parquet, row groups from the stream."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.datasets.export_helpers import add_clip, add_recording, labelled_project
from voxcart.datasets.atomic import csv_unescape_cell
from voxcart.datasets.export.exporter import ExportOptions, export_dataset
from voxcart.datasets.export.table import BASE_COLUMNS
from voxcart.datasets.store.project import Project


def test_csv_escapes_formulas_reversibly(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
        rec = add_recording(session, tmp_path / "audio" / "x.wav", seed=8)
        add_clip(session, rec, "cr", "a\rb", speaker="x\r", split="dev", offset=0.1, duration=0.5)
        add_clip(session, rec, "@evil", '-2+3\nline two, "q"', speaker="+spk", split="dev")
    result = export_dataset(project, tmp_path / "out", "csv", ExportOptions(text="verbatim"))
    with (result.path / "dev.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == BASE_COLUMNS
    by_id = {csv_unescape_cell(r["id"]): r for r in rows}
    assert by_id["c3"]["text"] == '\'=HYPERLINK("x"), "quoted"'
    evil = by_id["@evil"]
    assert evil["id"] == "'@evil" and evil["speaker"] == "'+spk"
    assert evil["text"] == '\'-2+3\nline two, "q"'
    assert csv_unescape_cell(evil["text"]) == '-2+3\nline two, "q"'
    assert float(evil["duration"]) == 1.0
    assert (by_id["cr"]["text"], by_id["cr"]["speaker"]) == ("a\rb", "x\r")  # CR is quoted
    for row in rows:  # no cell a spreadsheet would evaluate
        assert all(not cell or cell[0] not in "=+-@\t\r" for cell in row.values())


def test_parquet_keeps_exact_text_and_types(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
    result = export_dataset(
        project, tmp_path / "out", "parquet", ExportOptions(text="verbatim", provenance=True)
    )
    table = pq.read_table(result.path / "dev.parquet")
    assert table.column("text").to_pylist() == ['=HYPERLINK("x"), "quoted"']
    assert str(table.schema.field("offset").type) == "double"
    assert "suggestion_wer" in table.column_names
    train = pq.read_table(result.path / "train.parquet").to_pylist()
    assert [(r["id"], r["offset"], r["duration"]) for r in train] == [
        ("c1", 0.0, 1.0),
        ("c2", 1.0, 1.0),
    ]


def test_parquet_writes_row_groups(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voxcart.datasets.export import table as export_table

    with project.session() as session:
        rec = add_recording(session, tmp_path / "audio" / "g.wav", 3.0, seed=6)
        for i in range(25):
            add_clip(session, rec, f"g{i:02d}", f"word {i}", offset=i * 0.1, duration=0.1)
    monkeypatch.setattr(export_table, "ROW_GROUP_ROWS", 10)
    result = export_dataset(project, tmp_path / "out", "parquet")
    meta = pq.ParquetFile(result.path / "train.parquet").metadata
    assert (meta.num_rows, meta.num_row_groups) == (25, 3)
