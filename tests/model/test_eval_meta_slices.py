"""``voxcart eval --slice meta.NAME``: WER by a metadata column kept at import."""

from __future__ import annotations

import json

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from tests.model.eval_project import MODEL, copy_project
from voxcart.datasets.store.schema import Clip
from voxcart.model.cli import eval_cmd as eval_cli
from voxcart.model.errors import ModelError
from voxcart.model.eval.evaluate import evaluate
from voxcart.model.eval.slices import check_dimensions


def test_meta_slices_group_clips_by_their_metadata(demo_root, tmp_path):
    project = copy_project(demo_root, tmp_path / "copy")
    try:
        with project.session() as session:
            clips = session.scalars(select(Clip).order_by(Clip.id)).all()
            for index, clip in enumerate(clips[:-1]):
                clip.meta = {"condition": "far" if index % 2 else "near"}
            uids = {c.uid: (c.meta or {}).get("condition", "(none)") for c in clips}
        report = evaluate(project, MODEL, "all", reference="hidden", slices=("META.Condition",))
    finally:
        project.close()
    assert report.dimensions == ("meta.condition",)
    by_clip = {c.uid: c.slices["meta.condition"] for c in report.clips}
    assert by_clip == uids
    counts = {s.value: s.metrics.clips for s in report.slices_of("meta.condition")}
    assert counts == {v: list(uids.values()).count(v) for v in set(uids.values())}


def test_bad_meta_slice_names_the_rule():
    with pytest.raises(ModelError, match="may not contain"):
        check_dimensions(["meta.a=b"])
    with pytest.raises(ModelError, match=r"meta\.NAME"):
        check_dimensions(["condition"])
    assert check_dimensions(["speaker", "meta.X", "meta.x"]) == ("speaker", "meta.x")


def test_cli_slice_by_metadata_warns_about_a_name_no_clip_has(demo_root, tmp_path):
    app = typer.Typer()
    eval_cli.register(app)
    out = tmp_path / "r"
    args = ["-p", str(demo_root), "--model", MODEL, "--split", "all", "--reference", "hidden"]
    result = CliRunner().invoke(app, [*args, "--slice", "speaker,meta.region", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "no evaluated clip has metadata 'region'" in result.output
    record = json.loads((out / "eval.json").read_text(encoding="utf-8"))
    assert {s["value"] for s in record["slices"] if s["dimension"] == "meta.region"} == {"(none)"}
