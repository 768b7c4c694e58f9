"""Manifest columns voxcart has no field for are kept per clip as metadata, within limits."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import select, text

from tests.conftest import write_audio
from voxcart.datasets.ingest.engine import MAX_REPORTED_COLUMNS, import_source
from voxcart.datasets.store.clip_meta import MAX_FIELDS, MAX_VALUE_CHARS
from voxcart.datasets.store.migrate import upgrade
from voxcart.datasets.store.project import Project, make_engine
from voxcart.datasets.store.schema import Clip


def _meta(project: Project) -> dict[str, dict[str, str]]:
    with project.session() as session:
        return {c.uid: dict(c.meta) for c in session.scalars(select(Clip).order_by(Clip.id))}


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_unknown_csv_columns_are_kept_and_reported(project: Project, tmp_path: Path) -> None:
    write_audio(tmp_path / "a.wav", seconds=0.5, seed=1)
    write_audio(tmp_path / "b.wav", seconds=0.5, seed=2)
    manifest = _csv(
        tmp_path / "m.csv",
        ["path", "id", "text", "Condition", "Device_Model", "region"],
        [["a.wav", "a", "hi", "far", "Pixel 7", "EU"], ["b.wav", "b", "yo", "near", "", "US"]],
    )
    report = import_source(project, manifest)
    assert report.imported == 2
    assert _meta(project) == {
        "a": {"condition": "far", "device_model": "Pixel 7", "region": "EU"},
        "b": {"condition": "near", "region": "US"},
    }
    assert dict(report.metadata_columns) == {"condition": 2, "device_model": 1, "region": 2}
    assert "metadata kept per clip from 3 column(s)" in report.summary()
    assert "condition (2)" in report.summary()


def test_nemo_values_keep_their_json_spelling(project: Project, tmp_path: Path) -> None:
    write_audio(tmp_path / "a.wav", seconds=0.5, seed=1)
    record = {
        "audio_filepath": "a.wav",
        "text": "hi",
        "snr": 12.5,
        "takes": 3,
        "indoor": True,
        "mics": ["left", "right"],
        "note": None,
    }
    (tmp_path / "m.jsonl").write_text(json.dumps(record) + "\n")
    import_source(project, tmp_path / "m.jsonl")
    (meta,) = _meta(project).values()
    assert meta == {"snr": "12.5", "takes": "3", "indoor": "true", "mics": '["left","right"]'}


def test_hostile_columns_are_reported_with_the_column_and_limit(
    project: Project, tmp_path: Path
) -> None:
    for i in range(4):
        write_audio(tmp_path / f"{i}.wav", seconds=0.5, seed=i)
    wide = [f"c{i}" for i in range(2000)]
    header = ["path", "id", "split", "a=b", "bell\x07", *wide]
    rows = [
        ["0.wav", "ok", "train", "x", "y", *(["v"] * 2000)],
        ["1.wav", "ctrl", "", "", "", "bad\x1bvalue", *(["v"] * 1999)],
        ["2.wav", "huge", "", "", "", "z" * (MAX_VALUE_CHARS + 1), *(["v"] * 1999)],
        ["3.wav", "sparse", "", "", "", *([""] * 2000)],
    ]
    report = import_source(project, _csv(tmp_path / "m.csv", header, rows))
    # Every clip is imported: an odd auxiliary column never costs a clip.
    assert (report.imported, report.rejected) == (4, 0)
    meta = _meta(project)
    assert meta["ok"] == {f"c{i}": "v" for i in range(MAX_FIELDS)}
    assert meta["ctrl"] == meta["huge"] == {f"c{i}": "v" for i in range(1, MAX_FIELDS)}
    assert meta["sparse"] == {}
    skipped = {(name, reason): rows for name, reason, rows in report.skipped_columns}
    reasons = {name: reason for name, reason in skipped}
    assert "voxcart split" in reasons["split"]
    assert "may not contain" in reasons["a=b"]
    assert "control characters" in reasons[repr("bell\x07")]
    limit = [r for (n, r), rows in skipped.items() if n == f"c{MAX_FIELDS}"]
    assert limit == [next(r for r in limit if f"over the {MAX_FIELDS} metadata columns" in r)]
    assert skipped[(f"c{MAX_FIELDS}", limit[0])] == 3  # rows 0-2 give it a value
    c0 = {r: rows for (n, r), rows in skipped.items() if n == "c0"}
    assert len(c0) == 2 and set(c0.values()) == {1}
    assert any("control characters" in r for r in c0)
    assert any(f"over {MAX_VALUE_CHARS} characters" in r for r in c0)
    summary = report.summary()
    assert "column(s) with values not kept as metadata" in summary and "'split'" in summary


def test_reimport_fills_in_metadata_of_existing_clips(project: Project, tmp_path: Path) -> None:
    write_audio(tmp_path / "a.wav", seconds=0.5, seed=1)
    _csv(tmp_path / "old.csv", ["path", "id"], [["a.wav", "a"]])
    import_source(project, tmp_path / "old.csv")
    assert _meta(project) == {"a": {}}
    _csv(tmp_path / "new.csv", ["path", "id", "condition"], [["a.wav", "a", "far"]])
    again = import_source(project, tmp_path / "new.csv")
    assert again.duplicates == 1 and _meta(project) == {"a": {"condition": "far"}}
    _csv(tmp_path / "other.csv", ["path", "id", "condition"], [["a.wav", "a", "near"]])
    conflict = import_source(project, tmp_path / "other.csv")
    assert _meta(project) == {"a": {"condition": "far"}}
    assert any(c.code == "meta_conflict" and "'far'" in c.reason for c in conflict.changes)


def test_migration_gives_existing_clips_empty_metadata(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0003")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO recordings (id, source_path, content_hash, format, subtype, "
                "duration_s, sample_rate, channels, num_frames, size_bytes, import_source, info, "
                "created_at) VALUES (1, '/a.wav', 'h', 'WAV', '', 1, 16000, 1, 16000, 0, '', "
                "'{}', '2026-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO clips (id, uid, recording_id, offset_s, duration_s, locale, "
                "split_locked, tags, origin, lineage, created_at) VALUES (1, 'c1', 1, 0, 1, "
                "'en-US', 0, '[]', 'import', '{}', '2026-01-01')"
            )
        )
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT meta FROM clips")).scalar() == "{}"
    engine.dispose()


def test_metadata_import_and_merge_on_postgresql(pg_project: Project, tmp_path: Path) -> None:
    write_audio(tmp_path / "a.wav", seconds=0.5, seed=1)
    _csv(tmp_path / "m.csv", ["path", "id", "région"], [["a.wav", "a", "Île-de-France"]])
    import_source(pg_project, tmp_path / "m.csv")
    _csv(tmp_path / "n.csv", ["path", "id", "condition"], [["a.wav", "a", "far"]])
    import_source(pg_project, tmp_path / "n.csv")
    assert _meta(pg_project) == {"a": {"région": "Île-de-France", "condition": "far"}}


def test_new_column_names_in_every_row_keep_the_report_bounded(
    project: Project, tmp_path: Path
) -> None:
    lines = []
    for row in range(3):
        write_audio(tmp_path / f"{row}.wav", seconds=0.5, seed=row)
        record = {"audio_filepath": f"{row}.wav", **{f"r{row}k{i}": "v" for i in range(500)}}
        if row == 0:
            record["n" * 100_000] = "huge name"
        lines.append(json.dumps(record))
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n")
    report = import_source(project, tmp_path / "m.jsonl")
    assert report.imported == 3
    assert all(len(meta) == MAX_FIELDS for meta in _meta(project).values())
    assert len(report.metadata_columns) == 3 * MAX_FIELDS
    # The huge name, then the columns past the limit: 1,000 one by one, the rest together.
    assert len(report.skipped_columns) == 1 + MAX_REPORTED_COLUMNS + 1
    (more,) = [rows for name, _reason, rows in report.skipped_columns if name == "(more columns)"]
    assert more == 3 * (500 - MAX_FIELDS) - MAX_REPORTED_COLUMNS
    huge = [r for n, r, _rows in report.skipped_columns if n.startswith("nnn")]
    assert huge and "over the 64 characters" in huge[0]
