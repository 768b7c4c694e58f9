"""`voxcart eval`: the summary table, the report files and one-line failures."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from tests.model.eval_project import MODEL, N_CLIPS, OTHER
from voxcart.model.cli import eval_cmd as eval_cli


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    eval_cli.register(app)
    return app


def test_eval_prints_a_before_after_table_and_writes_the_report(app, demo_root, tmp_path):
    out = tmp_path / "report"
    args = ["-p", str(demo_root), "--model", MODEL, "--split", "all", "--reference", "gold"]
    result = CliRunner().invoke(app, [*args, "--compare-to", OTHER, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{MODEL} on all: {N_CLIPS} clip(s) evaluated" in result.output
    assert "GOLD reference texts" in result.output
    wer_line = next(line for line in result.output.splitlines() if line.strip().startswith("WER"))
    assert wer_line.count("%") == 2 and "pts" in wer_line
    assert f"report: {out / 'eval.md'}" in result.output
    record = json.loads((out / "eval.json").read_text(encoding="utf-8"))
    assert record["compare_to"] == OTHER and record["clips_evaluated"] == N_CLIPS
    assert (out / "wer_by_slice.png").stat().st_size > 0


def test_eval_with_chosen_slices(app, demo_root, tmp_path):
    args = ["-p", str(demo_root), "--model", MODEL, "--split", "all", "--reference", "hidden"]
    result = CliRunner().invoke(
        app, [*args, "--slice", "snr", "--slice", "speaker", "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "r" / "eval.json").read_text(encoding="utf-8"))
    assert record["slices"][0]["dimension"] == "snr"
    assert {s["dimension"] for s in record["slices"]} == {"snr", "speaker"}


def test_eval_failures_exit_non_zero_with_the_reason(app, demo_root, tmp_path):
    runner = CliRunner()
    base = ["-p", str(demo_root), "--split", "all", "--out", str(tmp_path / "r")]
    unknown = runner.invoke(app, [*base, "--model", "nope", "--reference", "hidden"])
    assert unknown.exit_code != 0 and "no model named 'nope'" in str(unknown.exception)
    unlabelled = runner.invoke(app, [*base, "--model", MODEL])
    assert unlabelled.exit_code != 0 and "--reference gold" in str(unlabelled.exception)
    bad = runner.invoke(app, [*base, "--model", MODEL, "--reference", "oracle"])
    assert bad.exit_code == 2 and "--reference" in bad.output
    assert not (tmp_path / "r").exists()


def test_eval_several_splits_writes_one_report_each(app, demo_root, tmp_path):
    out = tmp_path / "r"
    args = ["-p", str(demo_root), "--model", MODEL, "--reference", "hidden", "-o", str(out)]
    result = CliRunner().invoke(app, [*args, "--split", "all,train", "--slice", "snr,speaker"])
    assert result.exit_code == 0, result.output
    assert f"{MODEL} on all: {N_CLIPS} clip(s) evaluated" in result.output
    assert f"{MODEL} on train:" in result.output
    assert f"report: {out / 'all' / 'eval.md'}" in result.output
    assert f"report: {out / 'train' / 'eval.md'}" in result.output
    for split in ("all", "train"):
        record = json.loads((out / split / "eval.json").read_text(encoding="utf-8"))
        assert record["split"] == split
        assert {s["dimension"] for s in record["slices"]} == {"snr", "speaker"}


def test_eval_options_are_checked_before_any_work(tmp_path):
    from voxcart.model.errors import ModelError
    from voxcart.model.eval.run import EvalOptions

    with pytest.raises(ModelError, match="split 'val' is unknown; use one or more of train"):
        EvalOptions(splits=("test", "val"))
    with pytest.raises(ModelError, match="names a split twice"):
        EvalOptions(splits=("test", "test"))
    with pytest.raises(ModelError, match="slices=\\['mood'\\] are unknown"):
        EvalOptions(slices=("mood",))
    with pytest.raises(ModelError, match="reference='oracle' is unknown"):
        EvalOptions(reference="oracle")
    assert EvalOptions(reference="gold").reference == "gold"
    assert EvalOptions(reference="hidden").reference == "hidden"  # the alias is accepted
    one = EvalOptions(splits=("dev",), out=tmp_path)
    assert one.folder("dev") == tmp_path
    two = EvalOptions(splits=("dev", "test"), out=tmp_path)
    assert two.folder("test") == tmp_path / "test"
    assert EvalOptions(splits=("dev", "test")).folder("dev") is None
