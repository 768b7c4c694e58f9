"""`voxcart model list`: registered versions as a table with a header, or as JSON records."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from voxcart.datasets.store.project import Project
from voxcart.labeler.cli.root import build_app
from voxcart.model.errors import ModelError
from voxcart.model.versions import (
    PROMOTION_KEY,
    list_model_versions,
    model_version_info,
    register_model,
)


def _register(project: Project) -> None:
    with project.session() as session:
        base = register_model(session, "w2v", "ctc", "models/w2v", {"hotwords": ["sony", "lg"]})
        register_model(session, "w2v-ft", "ctc", "models/w2v-ft", {}, parent_id=base.id)
        register_model(session, "wh", "whisper", None, {"hub_id": "openai/whisper-tiny"})


def test_versions_are_records_oldest_first(project: Project) -> None:
    _register(project)
    versions = list_model_versions(project)
    assert [(v.name, v.backend, v.path, v.hub_id, v.parent, v.hotwords) for v in versions] == [
        ("w2v", "ctc", "models/w2v", None, None, 2),
        ("w2v-ft", "ctc", "models/w2v-ft", None, "w2v", 0),
        ("wh", "whisper", None, "openai/whisper-tiny", None, 0),
    ]
    assert model_version_info(project, versions[1].id) == versions[1]
    with pytest.raises(ModelError, match="model version id 99 does not exist"):
        model_version_info(project, 99)


def test_cli_table_json_and_empty(project: Project) -> None:
    runner = CliRunner()
    root = str(project.root)
    empty = runner.invoke(build_app(), ["model", "list", "-p", root])
    assert empty.exit_code == 0, empty.output
    assert "no model registered yet" in empty.output
    assert (
        json.loads(runner.invoke(build_app(), ["model", "list", "-p", root, "--json"]).output) == []
    )
    _register(project)
    listed = runner.invoke(build_app(), ["model", "list", "-p", root])
    assert listed.exit_code == 0, listed.output
    header, *rows = listed.output.splitlines()
    assert header == "name\tbackend\tpath\tparent\tcreated\tstatus\tconfidence"
    cells = [row.split("\t") for row in rows]
    assert [c[-1] for c in cells] == ["uncalibrated"] * 3
    assert [c[:4] for c in cells] == [
        ["w2v", "ctc", "models/w2v", "-"],
        ["w2v-ft", "ctc", "models/w2v-ft", "w2v"],
        ["wh", "whisper", "openai/whisper-tiny", "-"],
    ]
    assert [c[5] for c in cells] == ["-", "-", "-"]
    records = json.loads(runner.invoke(build_app(), ["model", "list", "-p", root, "--json"]).output)
    assert [r["name"] for r in records] == ["w2v", "w2v-ft", "wh"]
    assert records[0]["hotwords"] == 2 and records[1]["parent"] == "w2v"
    assert records[2]["path"] is None and records[2]["hub_id"] == "openai/whisper-tiny"


def test_live_and_refused_versions_are_marked(project: Project) -> None:
    """The base name loads the newest promoted version: the table and JSON say which one."""
    with project.session() as session:
        v1 = register_model(session, "shop-v1", "sphinx", "models/shop-v1", {})
        v2 = register_model(session, "shop-v2", "sphinx", "models/shop-v2", {}, parent_id=v1.id)
        v2.metrics = {PROMOTION_KEY: {"promoted": True, "reason": "dev WER 30% -> 20%"}}
        v3 = register_model(session, "shop-v3", "sphinx", "models/shop-v3", {}, parent_id=v2.id)
        v3.metrics = {PROMOTION_KEY: {"promoted": False, "reason": "dev WER 20% -> 25%"}}
    versions = list_model_versions(project)
    assert [(v.name, v.promoted, v.live) for v in versions] == [
        ("shop-v1", True, False),
        ("shop-v2", True, True),
        ("shop-v3", False, False),
    ]
    runner = CliRunner()
    root = str(project.root)
    listed = runner.invoke(build_app(), ["model", "list", "-p", root])
    assert listed.exit_code == 0, listed.output
    status = {row.split("\t")[0]: row.split("\t")[5] for row in listed.output.splitlines()[1:]}
    assert status == {"shop-v1": "-", "shop-v2": "live", "shop-v3": "not promoted"}
    records = json.loads(runner.invoke(build_app(), ["model", "list", "-p", root, "--json"]).output)
    assert [(r["name"], r["promoted"], r["live"]) for r in records] == [
        ("shop-v1", True, False),
        ("shop-v2", True, True),
        ("shop-v3", False, False),
    ]
