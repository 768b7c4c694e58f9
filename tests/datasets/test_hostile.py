"""The hostile-input suite: every case rejected with its reason or accepted intact, its good
neighbour always imported, no traceback, and the same outcome on SQLite and PostgreSQL.

Cases live in hostile_cases.py; they share one project per store (module scope) so the whole
suite stays fast.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from tests.datasets.hostile_cases import (
    ALL_AUDIO_CASES,
    CATALOG_CASES,
    Case,
    CatalogCase,
    neighbour_text,
)
from voxcart.datasets.catalog.store import import_catalog
from voxcart.datasets.errors import CatalogError, ManifestError
from voxcart.datasets.ingest.engine import ImportReport, import_source
from voxcart.datasets.store.project import Project, init_project
from voxcart.datasets.store.revisions import current_transcripts
from voxcart.datasets.store.schema import Clip, Product

STORES = ["sqlite", "postgresql"]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Project]]:
    """One project per store, created on first use."""
    made: dict[str, Project] = {}
    yield made
    for project in made.values():
        project.close()


def _project(
    store: str, stores: dict[str, Project], root: Path, request: pytest.FixtureRequest
) -> Project:
    if store not in stores:
        if store == "sqlite":
            stores[store] = init_project(root / "hostile-sqlite")
        else:
            url = request.getfixturevalue("postgres_url")
            name = f"h_{uuid.uuid4().hex[:12]}"
            admin = create_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            stores[store] = init_project(
                root / "hostile-pg", db_url=url.replace("/postgres?", f"/{name}?")
            )
    return stores[store]


def _clip_of(project: Project, report: ImportReport, transcript: str) -> Clip | None:
    with project.session() as session:
        ids = list(session.scalars(select(Clip.id)))
        texts = current_transcripts(session, ids)
        for clip_id, view in texts.items():
            if view.verbatim == transcript:
                return session.get(Clip, clip_id)
    return None


def _reason_lines(report: ImportReport) -> list[str]:
    return [f"{r.code}: {r.path}: {r.reason}" for r in (*report.rejections, *report.changes)]


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("case", ALL_AUDIO_CASES, ids=lambda c: c.name)
def test_hostile_import_case(
    case: Case,
    store: str,
    stores: dict[str, Project],
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> None:
    project = _project(store, stores, tmp_path_factory.getbasetemp(), request)
    seed = ALL_AUDIO_CASES.index(case) + (0 if store == "sqlite" else 500)
    folder = tmp_path / case.name
    folder.mkdir()
    *before, source = case.build(folder, seed)
    for earlier in before:
        import_source(project, earlier)
    expect = case.expect
    if expect.source_error:
        with pytest.raises(ManifestError, match=expect.phrase):
            import_source(project, source)
        return
    report = import_source(project, source)
    lines = _reason_lines(report)
    if expect.reject is not None:
        assert report.rejected == 1, lines
        rejection = report.rejections[0]
        assert rejection.code == expect.reject, lines
        assert expect.phrase in rejection.reason or expect.phrase in rejection.path, lines
        assert "Traceback" not in rejection.reason
        assert report.imported == 1, lines  # the good neighbour
    else:
        assert report.rejected == 0, lines
        assert report.imported + report.duplicates == 2, lines
        if expect.change is not None:
            matching = [c for c in report.changes if c.code == expect.change]
            assert matching, lines
            assert any(expect.phrase in c.reason for c in matching), lines
        if expect.transcript is not None:
            clip = _clip_of(project, report, expect.transcript)
            assert clip is not None, f"{expect.transcript!r} not stored; {lines}"
            if expect.speaker is not None:
                assert clip.speaker == expect.speaker
        if expect.tag is not None:
            with project.session() as session:
                tags = [t for row in session.scalars(select(Clip.tags)) for t in row]
            assert expect.tag in tags
    if report.report_path is not None:
        # The report file keeps its JSONL shape and names every rejected or changed item.
        records = [
            json.loads(line) for line in report.report_path.read_text(encoding="utf-8").splitlines()
        ]
        assert all(set(r) == {"path", "code", "reason"} for r in records)
        assert len(records) == report.rejected + report.changed
    if case.neighbour and case.category != "files":
        assert _clip_of(project, report, neighbour_text(seed)) is not None, lines


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("case", CATALOG_CASES, ids=lambda c: c.name)
def test_hostile_catalog_row(
    case: CatalogCase,
    store: str,
    stores: dict[str, Project],
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> None:
    project = _project(store, stores, tmp_path_factory.getbasetemp(), request)
    path = tmp_path / f"{case.name}.jsonl"
    good = f"Good lamp {case.name}"
    path.write_text(json.dumps({"title": good}) + "\n" + case.row + "\n", encoding="utf-8")
    try:
        summary = import_catalog(project, path, name=f"c-{case.name}")
    except CatalogError as exc:  # pragma: no cover - a failure, shown with its reason
        pytest.fail(f"the whole catalog was refused: {exc}")
    with project.session() as session:
        titles = set(
            session.scalars(select(Product.title).where(Product.catalog_id == summary.catalog_id))
        )
    assert good in titles
    if case.reject is not None:
        assert len(summary.rejected) == 1
        assert case.reject in summary.rejected[0].reason
        assert summary.rejected[0].line == 2
    else:
        assert not summary.rejected
        assert case.title in titles


def test_suite_has_at_least_fifty_cases() -> None:
    assert len(ALL_AUDIO_CASES) + len(CATALOG_CASES) >= 50
    categories = {case.category for case in ALL_AUDIO_CASES}
    assert {"files", "csv", "tsv", "nemo", "hf", "kaldi"} <= categories
