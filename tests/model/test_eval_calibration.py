"""`voxcart eval` reports ECE and AUROC of word confidence, raw and calibrated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from tests.model.eval_project import MODEL, copy_project
from voxcart.datasets.store.schema import ModelVersion
from voxcart.model.calibrate.isotonic import IsotonicMap
from voxcart.model.calibrate.store import Calibration, with_calibration
from voxcart.model.cli import eval_cmd as eval_cli


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    eval_cli.register(app)
    return app


def _eval(app: typer.Typer, root: Path, split: str, out: Path) -> tuple[str, dict]:
    args = ["-p", str(root), "--model", MODEL, "--split", split, "--reference", "hidden"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.output, json.loads((out / "eval.json").read_text(encoding="utf-8"))


def test_eval_reports_raw_confidence_figures_of_an_uncalibrated_model(app, demo_root, tmp_path):
    output, record = _eval(app, demo_root, "all", tmp_path / "r")
    assert "ECE (10 equal-width bins)" in output
    assert "AUROC, confidence for wrong words" in output
    ece_line = next(line for line in output.splitlines() if "ECE (10" in line)
    assert "%" in ece_line and ece_line.rstrip().endswith("uncalibrated")
    confidence = record["confidence"]
    assert confidence["words"] > 0 and confidence["ece_bins"] == 10
    assert 0.0 <= confidence["ece_raw"] <= 1.0 and confidence["ece_calibrated"] is None
    assert confidence["calibration"].startswith("uncalibrated")
    markdown = (tmp_path / "r" / "eval.md").read_text(encoding="utf-8")
    assert "## Word confidence" in markdown and "| ECE (10 equal-width bins) |" in markdown


def test_eval_reports_calibrated_figures_and_warns_when_fitted_on_the_clips(
    app, demo_root, tmp_path
):
    project = copy_project(demo_root, tmp_path / "proj")
    try:
        with project.session() as session:
            row = session.scalar(select(ModelVersion).where(ModelVersion.name == MODEL))
            assert row is not None
            # Every word becomes 0.5: the calibrated ECE is |share right - 0.5| and every
            # confidence ties, so the calibrated AUROC is exactly chance.
            flat = Calibration(IsotonicMap((0.0, 1.0), (0.5, 0.5)), words=99, clips=9)
            row.metrics = with_calibration(row.metrics, flat)
    finally:
        project.close()
    output, record = _eval(app, tmp_path / "proj", "train", tmp_path / "train")
    confidence = record["confidence"]
    right_share = 1 - confidence["wrong"] / confidence["words"]
    assert confidence["ece_calibrated"] == pytest.approx(abs(right_share - 0.5))
    assert confidence["auroc_wrong_calibrated"] in (0.5, None)  # None: one kind of word only
    assert not confidence["fitted_on_these_clips"] and "WARNING" not in output
    assert "isotonic calibration fitted on 99 dev word(s)" in output
    output, record = _eval(app, tmp_path / "proj", "all", tmp_path / "all")
    assert record["confidence"]["fitted_on_these_clips"]
    assert "WARNING: the calibration was fitted on these clips" in output
