"""`voxcart al simulate` end to end on a small demo project: copies, runs, curves, resume."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.model.al_fixtures import al_app
from voxcart.datasets.cli.options import comma_list
from voxcart.datasets.demo.build import build_demo
from voxcart.datasets.store.project import open_project
from voxcart.datasets.store.schema import Clip, ModelVersion, Revision, Split
from voxcart.model.al.sim_config import SimulationConfig
from voxcart.model.al.simulate import simulate
from voxcart.model.errors import ModelError
from voxcart.model.eval.evaluate import evaluate
from voxcart.model.lm.build import build_catalog_lm


@pytest.fixture(scope="module")
def sim_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sim") / "proj"
    build_demo(root, n_clips=8, seed=3)
    project = open_project(root)
    try:
        with project.session() as session:
            clips = list(session.scalars(select(Clip).order_by(Clip.id)))
            for i, clip in enumerate(clips):
                clip.split = Split.DEV if i == 0 else Split.TEST if i == 1 else Split.TRAIN
        build_catalog_lm(project)
    finally:
        project.close()
    return root


def _counts(root: Path) -> tuple[int, int]:
    project = open_project(root)
    try:
        with project.session() as session:
            return (
                int(session.scalar(select(func.count()).select_from(ModelVersion)) or 0),
                int(session.scalar(select(func.count()).select_from(Revision)) or 0),
            )
    finally:
        project.close()


def test_config_is_checked():
    with pytest.raises(ModelError, match="must include 'random'"):
        SimulationConfig(strategies=("hybrid",))
    with pytest.raises(ModelError, match="strategy='bogus'"):
        SimulationConfig(strategies=("random", "bogus"))
    with pytest.raises(ModelError, match="budget='lots'"):
        SimulationConfig(budget="lots")
    with pytest.raises(ModelError, match="rounds=0"):
        SimulationConfig(rounds=0)
    assert comma_list(" random, hybrid,random ,") == ("random", "hybrid")


def test_simulation_writes_curves_and_resumes(sim_root, tmp_path):
    before = _counts(sim_root)
    out = tmp_path / "sim"
    config = SimulationConfig(
        strategies=("random", "least-confidence"), rounds=2, budget="1", seeds=1, workers=2
    )
    seen = []
    result = simulate(open_project(sim_root), out, config, on_run=lambda s, k, p: seen.append(s))
    assert sorted(seen) == ["least-confidence", "random"]
    assert _counts(sim_root) == before  # the user's project is only read
    runs = {(p.strategy, p.round): p for p in result.points}
    assert set(runs) == {(s, r) for s in ("random", "least-confidence") for r in (0, 1, 2)}
    for strategy in ("random", "least-confidence"):
        clips = [runs[(strategy, r)].labelled_clips for r in (0, 1, 2)]
        assert clips == [0, 1, 2]
        assert runs[(strategy, 2)].labelled_minutes > runs[(strategy, 1)].labelled_minutes > 0
        assert runs[(strategy, 2)].wer >= 0
    assert runs[("random", 0)].wer == runs[("least-confidence", 0)].wer  # one shared start
    with result.files["points"].open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 6
    efficiency = json.loads(result.files["efficiency"].read_text(encoding="utf-8"))
    assert {s["strategy"] for s in efficiency["strategies"]} == {"random", "least-confidence"}
    assert result.files["figure"].stat().st_size > 1000
    # The run's own copy holds non-human oracle labels only.
    run = open_project(out / "runs" / "random-s0")
    try:
        with run.session() as session:
            sources = set(session.scalars(select(Revision.source)))
            flags = {bool(h) for h in session.scalars(select(Revision.is_human))}
        assert sources == {"oracle"} and flags == {False}
    finally:
        run.close()
    # A second call reuses the finished runs instead of running them again.
    stamp = (out / "runs" / "random-s0" / "points.json").stat().st_mtime_ns
    again = simulate(open_project(sim_root), out, config)
    assert again.points == result.points
    assert (out / "runs" / "random-s0" / "points.json").stat().st_mtime_ns == stamp


def test_heldout_is_dev_and_test_together(sim_root, tmp_path):
    import shutil

    shutil.copytree(sim_root, tmp_path / "copy")
    project = open_project(tmp_path / "copy")
    try:
        report = evaluate(project, "sphinx-catalog", "heldout", reference="hidden")
    finally:
        project.close()
    assert report.overall.clips == 2


def test_cli_refuses_a_project_without_references(tmp_path):
    runner = CliRunner()
    project = tmp_path / "empty"
    from voxcart.datasets.store.project import init_project

    init_project(project).close()
    result = runner.invoke(al_app(), ["al", "simulate", "-p", str(project), "--rounds", "1"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ModelError)
    assert "unlabelled train clip" in str(result.exception)
