"""Atomic files and folders, spreadsheet-safe cells, safe file names, the external sort."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voxcart.datasets.atomic import (
    StagedDirectory,
    atomic_open,
    csv_safe_cell,
    csv_unescape_cell,
    safe_filename,
)
from voxcart.datasets.errors import ExportError
from voxcart.datasets.external_sort import ExternalSorter


@given(st.text(max_size=30))
@settings(max_examples=200, deadline=None)
def test_csv_escape_is_safe_and_reversible(value: str) -> None:
    escaped = csv_safe_cell(value)
    assert not escaped or escaped[0] not in "=+-@\t\r"
    assert csv_unescape_cell(escaped) == value


def test_csv_escape_examples() -> None:
    assert csv_safe_cell("=1+1") == "'=1+1"
    assert csv_safe_cell("'quoted") == "''quoted"
    assert csv_safe_cell("plain -1") == "plain -1"


@given(st.text(min_size=1, max_size=40))
@settings(max_examples=200, deadline=None)
def test_safe_filename_stays_in_folder(name: str) -> None:
    safe = safe_filename(name, ".wav")
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".")
    assert (Path("/x") / safe).parent == Path("/x")


def test_safe_filename_keeps_distinct_ids_distinct() -> None:
    assert safe_filename("a/b") != safe_filename("a_b")
    assert safe_filename("clip-01") == "clip-01"


def test_staged_directory_publishes_or_vanishes(tmp_path: Path) -> None:
    final = tmp_path / "export"
    with pytest.raises(RuntimeError), StagedDirectory(final) as stage:
        (stage.path / "half.txt").write_text("x")
        raise RuntimeError("crash")
    assert list(tmp_path.iterdir()) == []
    with StagedDirectory(final) as stage:
        (stage.path / "done.txt").write_text("ok")
        stage.publish()
    assert (final / "done.txt").read_text() == "ok"
    with pytest.raises(ExportError, match="never overwritten"), StagedDirectory(final):
        pass


def test_atomic_open_keeps_old_file_on_error(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("old")
    with pytest.raises(ValueError), atomic_open(target) as handle:
        handle.write("new")
        raise ValueError
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\n\r"),
            max_size=8,
        ),
        max_size=60,
    )
)
@settings(max_examples=30, deadline=None)
def test_external_sort_matches_sorted(lines: list[str]) -> None:
    sorter = ExternalSorter(run_lines=7)
    try:
        for line in lines:
            sorter.add(line)
        assert list(sorter.sorted_lines()) == sorted(lines)
        assert list(sorter.sorted_lines(unique=True)) == sorted(set(lines))
    finally:
        sorter.close()


def test_stale_partial_folders_are_cleaned_by_the_next_export(tmp_path: Path) -> None:
    import fcntl
    import os

    stale = tmp_path / ".old-export.k1ll3d.partial"
    (stale / "audio").mkdir(parents=True)
    (stale / "audio" / "half.wav").write_bytes(b"RIFF")
    live = tmp_path / ".running.abc.partial"
    live.mkdir()
    held = os.open(live, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)  # another export still writing
    try:
        with StagedDirectory(tmp_path / "new-export") as staged:
            (staged.path / "manifest.jsonl").write_text("{}\n")
            staged.publish()
    finally:
        os.close(held)
    assert not stale.exists()
    assert live.is_dir()
    assert (tmp_path / "new-export" / "manifest.jsonl").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".running.abc.partial", "new-export"]
