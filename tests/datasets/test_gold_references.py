"""Gold references (`voxcart import --as-reference`): stored for evaluation, never as labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.conftest import write_audio
from tests.datasets.gold_project import (
    GOLD,
    GOLD_CLEAN,
    GOLD_WORDS,
    NEW_GOLD,
    build_labelled_project,
    clip_ids,
)
from voxcart.datasets.errors import ManifestError
from voxcart.datasets.export.exporter import ExportOptions, export_dataset
from voxcart.datasets.ingest.engine import import_source
from voxcart.datasets.store.clip_filter import ClipFilter, clip_query
from voxcart.datasets.store.project import Project, init_project
from voxcart.datasets.store.revisions import current_transcripts
from voxcart.datasets.store.schema import ClipReference, Revision, Task
from voxcart.datasets.store.stats import project_stats
from voxcart.labeler.cli.root import build_app

runner = CliRunner()


def _references(project: Project) -> dict[int, tuple[str, str]]:
    with project.session() as session:
        rows = session.execute(
            select(ClipReference.clip_id, ClipReference.text, ClipReference.source)
        )
        return {cid: (text, source) for cid, text, source in rows}


def _revisions(project: Project) -> list[tuple[int, str, str]]:
    with project.session() as session:
        rows = session.execute(
            select(Revision.clip_id, Revision.verbatim, Revision.source).order_by(Revision.id)
        )
        return [tuple(row) for row in rows]


def test_gold_import_stores_references_and_no_label(project: Project, tmp_path: Path) -> None:
    files = build_labelled_project(project, tmp_path)
    revisions = _revisions(project)
    report = import_source(project, files.with_new, as_reference=True)
    ids = clip_ids(project)
    # The new clip is imported (unlabelled), the four stored ones are matched by their audio.
    assert (report.imported, report.duplicates, report.transcribed) == (1, 4, 0)
    assert (report.references.stored, report.references.updated) == (5, 0)
    assert "gold reference(s): 5 stored, 0 updated, 0 unchanged" in report.summary()
    expected = {**GOLD_CLEAN, **NEW_GOLD}
    assert _references(project) == {ids[u]: (t, "import") for u, t in expected.items()}
    assert _revisions(project) == revisions  # not one revision added
    with project.session() as session:
        assert ids["e"] not in current_transcripts(session, [ids["e"]])
    # The control character was cleaned and reported, as for a label transcript.
    assert any(c.code == "cleaned" and "BEL" in c.reason for c in report.changes)


def test_references_are_cleaned_exactly_as_label_transcripts(tmp_path: Path) -> None:
    gold_project = init_project(tmp_path / "gold")
    label_project = init_project(tmp_path / "labels")
    try:
        files = build_labelled_project(gold_project, tmp_path / "src")
        import_source(gold_project, files.gold, as_reference=True)
        import_source(label_project, files.gold)
        refs = {clip_ids(gold_project)[u]: u for u in GOLD}
        stored = {refs[cid]: text for cid, (text, _src) in _references(gold_project).items()}
        with label_project.session() as session:
            ids = clip_ids(label_project)
            views = current_transcripts(session, list(ids.values()))
            labels = {uid: views[cid].verbatim for uid, cid in ids.items()}
    finally:
        gold_project.close()
        label_project.close()
    assert stored == labels == GOLD_CLEAN


@pytest.mark.parametrize("store", ["project", "pg_project"])
def test_reimport_updates_changed_references_and_counts_the_rest(
    store: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    project: Project = request.getfixturevalue(store)
    files = build_labelled_project(project, tmp_path)
    first = import_source(project, files.gold, as_reference=True)
    assert (first.references.stored, first.references.updated) == (4, 0)
    again = import_source(project, files.gold, as_reference=True)
    assert (again.imported, again.duplicates) == (0, 4)
    assert (again.references.stored, again.references.updated, again.references.unchanged) == (
        0,
        0,
        4,
    )
    lines = ["path,text", "c.wav,numbat air fryers", "d.wav,wombat tv under $300"]
    (tmp_path / "fix.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    fixed = import_source(project, tmp_path / "fix.csv", as_reference=True)
    assert (fixed.references.stored, fixed.references.updated, fixed.references.unchanged) == (
        0,
        1,
        1,
    )
    assert _references(project)[clip_ids(project)["c"]] == ("numbat air fryers", "import")
    assert len(_references(project)) == 4


def test_two_lines_for_one_clip_keep_the_first_and_report_a_conflict(
    project: Project, tmp_path: Path
) -> None:
    write_audio(tmp_path / "x.wav", seconds=0.5, seed=3)
    lines = ["path,text", "x.wav,first text", "x.wav,second text"]
    (tmp_path / "m.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_source(project, tmp_path / "m.csv", as_reference=True)
    assert (report.imported, report.duplicates, report.references.stored) == (1, 1, 1)
    assert [text for text, _src in _references(project).values()] == ["first text"]
    (conflict,) = [c for c in report.changes if c.code == "conflict"]
    assert "'second text' was not stored" in conflict.reason


def test_as_reference_with_no_transcripts_is_refused(project: Project, tmp_path: Path) -> None:
    write_audio(tmp_path / "x.wav", seconds=0.5)
    with pytest.raises(ManifestError, match="--as-reference, --no-transcripts"):
        import_source(project, tmp_path / "x.wav", transcripts=False, as_reference=True)


def _labelled_snapshot(project: Project) -> dict[str, object]:
    """Everything that says what is labelled: stats by status, vocabulary, the unlabelled and
    labelled clip sets (what suggest, the queue filler and AL draw from), the queue."""
    stats = project_stats(project)
    with project.session() as session:
        unlabelled = list(session.scalars(clip_query(ClipFilter(status="unlabeled"))))
        labelled = list(session.scalars(clip_query(ClipFilter(status="labeled"))))
        tasks = session.scalar(select(func.count()).select_from(Task))
    return {
        "by_status": stats.clips_by_status,
        "hours_by_status": stats.hours_by_status,
        "vocabulary": stats.vocabulary,
        "running_words": stats.running_words,
        "unlabelled": unlabelled,
        "labelled": labelled,
        "tasks": tasks,
    }


def test_gold_import_changes_no_labelled_work(project: Project, tmp_path: Path) -> None:
    files = build_labelled_project(project, tmp_path)
    before = _labelled_snapshot(project)
    assert before["by_status"] == {"accepted": 2, "unlabeled": 2}
    exported = export_dataset(project, tmp_path / "out", "csv", ExportOptions(name="before"))
    import_source(project, files.gold, as_reference=True)
    assert _labelled_snapshot(project) == before
    after = export_dataset(project, tmp_path / "out", "csv", ExportOptions(name="after"))
    assert after.content_hash == exported.content_hash and after.rows == exported.rows
    written = "".join(p.read_text(encoding="utf-8") for p in sorted(after.path.glob("*.csv")))
    assert not GOLD_WORDS & set(written.replace(",", " ").split())
    assert "sony earbuds" in written  # the labels are what is exported

    # A gold set with a clip the project did not hold: that clip is simply a new unlabelled one.
    import_source(project, files.with_new, as_reference=True)
    grown = _labelled_snapshot(project)
    new_id = clip_ids(project)["e"]
    assert grown["unlabelled"] == [*before["unlabelled"], new_id]
    assert grown["labelled"] == before["labelled"]
    assert grown["by_status"] == {"accepted": 2, "unlabeled": 3}
    assert grown["vocabulary"] == before["vocabulary"]
    last = export_dataset(project, tmp_path / "out", "csv", ExportOptions(splits=["train", "test"]))
    assert last.content_hash == exported.content_hash


def test_stats_count_gold_references_by_split_and_source(project: Project, tmp_path: Path) -> None:
    files = build_labelled_project(project, tmp_path)
    assert project_stats(project).gold_references == 0
    assert "import some with `voxcart import MANIFEST --as-reference`" in (
        project_stats(project).to_text()
    )
    import_source(project, files.with_new, as_reference=True)
    stats = project_stats(project)
    assert stats.gold_references == 5
    assert stats.gold_by_split == {"train": 2, "test": 2, "unassigned": 1}
    assert stats.gold_by_source == {"import": 5}
    assert "gold refs:  5 clip(s) (test 2, train 2, unassigned 1; from import 5;" in (
        stats.to_text()
    )
    assert json.loads(stats.to_json())["gold_references"] == 5
    assert stats.clips_by_status == {"accepted": 2, "unlabeled": 3}


def test_cli_import_as_reference(tmp_path: Path) -> None:
    app = build_app()
    runner.invoke(app, ["init", str(tmp_path / "p")])
    write_audio(tmp_path / "src" / "x.wav", seconds=0.5, seed=1)
    (tmp_path / "src" / "m.csv").write_text("path,text\nx.wav,sony tv\n", encoding="utf-8")
    args = ["import", str(tmp_path / "src" / "m.csv"), "-p", str(tmp_path / "p")]
    result = runner.invoke(app, [*args, "--as-reference"])
    assert result.exit_code == 0, result.output
    assert "imported 1 clip(s)" in result.output
    assert "gold reference(s): 1 stored, 0 updated, 0 unchanged" in result.output
    again = runner.invoke(app, [*args, "--as-reference"])
    assert "gold reference(s): 0 stored, 0 updated, 1 unchanged" in again.output
    stats = runner.invoke(app, ["stats", "-p", str(tmp_path / "p")])
    assert "gold refs:  1 clip(s)" in stats.output and "unlabeled 1" in stats.output
    refused = runner.invoke(app, [*args, "--as-reference", "--no-transcripts"])
    assert refused.exit_code != 0 and "--no-transcripts" in refused.output
    help_text = runner.invoke(app, ["import", "--help"]).output
    assert "--as-reference" in help_text and "gold" in help_text
