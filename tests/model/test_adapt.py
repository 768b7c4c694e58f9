"""Sphinx acoustic adaptation with the real CMU Sphinx tools: the mixture-weight rebuild, a MAP
round on synthetic speech, guarded promotion, resuming a killed run, and the missing-tool error."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from tests.model.conftest import speak
from voxcart.datasets.demo.build import build_demo
from voxcart.datasets.store.project import Project, open_project
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import Clip, ClipReference, ModelVersion, RevisionStatus, Split
from voxcart.model.adapt import AdaptConfig, SphinxToolsMissingError, adapt_sphinx, check_promotion
from voxcart.model.adapt.mixw import read_mixw, read_sendump, write_mixw
from voxcart.model.adapt.tools import find_tools
from voxcart.model.lm.build import build_catalog_lm
from voxcart.model.lm.pron_dict import bundled_hmm_path
from voxcart.model.versions import find_model, register_model

try:
    TOOLS = find_tools()
except SphinxToolsMissingError:
    TOOLS = None
needs_tools = pytest.mark.skipif(
    TOOLS is None, reason="CMU Sphinx tools missing (scripts/setup.sh installs them as root)"
)
DEV_SPEAKERS = 1


def _labelled_demo(root: Path) -> Path:
    """A 48-clip demo: every clip accepted with its reference by a person (a test stand-in),
    the first speaker's clips on dev (held-out speaker), the rest on train; catalog LM built."""
    build_demo(root, n_clips=48, n_speakers=4, noise_fraction=0.0)
    project = open_project(root)
    try:
        with project.session() as session:
            for ref in session.scalars(select(ClipReference).order_by(ClipReference.clip_id)):
                add_revision(session, ref.clip_id, ref.text, RevisionStatus.ACCEPTED)
            speakers = sorted({c.speaker for c in session.scalars(select(Clip)) if c.speaker})
            for clip in session.scalars(select(Clip)):
                dev = clip.speaker in speakers[:DEV_SPEAKERS]
                clip.split = Split.DEV if dev else Split.TRAIN
        build_catalog_lm(project)
    finally:
        project.close()
    return root


@pytest.fixture(scope="module")
def adapted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The labelled demo after one MAP round (treat as read-only: copy it)."""
    if TOOLS is None:
        pytest.skip("CMU Sphinx tools missing")
    root = _labelled_demo(tmp_path_factory.mktemp("adapt") / "proj")
    project = open_project(root)
    try:
        adapt_sphinx(project)
    finally:
        project.close()
    return root


@pytest.fixture
def adapted_copy(adapted: Path, tmp_path: Path) -> Iterator[Project]:
    """A writable copy of `adapted`, open."""
    root = tmp_path / "proj"
    shutil.copytree(adapted, root)
    project = open_project(root)
    try:
        yield project
    finally:
        project.close()


def _pending_candidate(project: Project, like: str) -> None:
    """Register ``sphinx-catalog-v3`` with the models of version `like`, awaiting promotion."""
    with project.session() as session:
        source = find_model(session, like)
        row = register_model(
            session, "sphinx-catalog-v3", "sphinx", source.path, dict(source.config)
        )
        row.metrics = {"promotion": {"promoted": False, "status": "pending"}}


@needs_tools
def test_rebuilt_mixture_weights_round_trip_and_decode_identically(tmp_path: Path) -> None:
    hmm = bundled_hmm_path()
    weights = read_sendump(hmm / "sendump")
    assert weights.weights.shape == (5126, 3, 128)
    np.testing.assert_allclose(weights.weights.sum(axis=2), 1.0, atol=1e-5)
    write_mixw(tmp_path / "mixture_weights", weights)
    np.testing.assert_array_equal(read_mixw(tmp_path / "mixture_weights").weights, weights.weights)
    # SphinxTrain's own converter turns the rebuilt file back into the same bytes.
    subprocess.run(
        [
            str(TOOLS.mdef_convert),  # type: ignore[union-attr]
            "-text",
            str(hmm / "mdef"),
            str(tmp_path / "mdef.txt"),
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            str(TOOLS.mk_s2sendump),  # type: ignore[union-attr]
            "-pocketsphinx",
            "yes",
            "-moddeffn",
            str(tmp_path / "mdef.txt"),
            "-mixwfn",
            str(tmp_path / "mixture_weights"),
            "-sendumpfn",
            str(tmp_path / "sendump"),
            "-mwfloor",
            "1e-30",
        ],
        check=True,
        capture_output=True,
    )
    assert (tmp_path / "sendump").read_bytes() == (hmm / "sendump").read_bytes()
    # A model folder with the rebuilt weights instead of the sendump decodes identically.
    folder = tmp_path / "hmm"
    folder.mkdir()
    for name in ("mdef", "means", "variances", "transition_matrices", "feat.params", "noisedict"):
        shutil.copy2(hmm / name, folder / name)
    shutil.copy2(tmp_path / "mixture_weights", folder / "mixture_weights")
    from pocketsphinx import Decoder

    audio = [speak(t, seed=i) for i, t in enumerate(("add the sony headphones to my cart",))]
    results = []
    for model in (hmm, folder):
        decoder = Decoder(hmm=str(model), loglevel="FATAL")
        pcm = (audio[0] * 32767).astype("<i2").tobytes()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        results.append((decoder.hyp().hypstr, decoder.hyp().score))
    assert results[0] == results[1]


@needs_tools
def test_map_round_lowers_wer_on_a_held_out_speaker_and_is_promoted(adapted: Path) -> None:
    project = open_project(adapted)
    try:
        with project.session() as session:
            row = find_model(session, "sphinx-catalog")  # the base name resolves to it
            name, config, metrics = row.name, dict(row.config), dict(row.metrics)
        acoustic = config["acoustic"]
        promotion = metrics["promotion"]
        assert name == "sphinx-catalog-v2" and config["hmm"] == "hmm"
        assert acoustic["method"] == "map" and acoustic["used"] > 20
        assert acoustic["used"] + acoustic["skipped"] == acoustic["utterances"]
        assert promotion["promoted"] is True and promotion["dev_clips"] > 0
        assert promotion["dev_wer_after"] < promotion["dev_wer_before"]
        assert (adapted / "models" / name / "hmm" / "sendump").is_file()
        # Running again with the same labels reuses the version instead of training twice.
        again = adapt_sphinx(project)
        assert again.model_name == name and not again.created
    finally:
        project.close()


@needs_tools
def test_promotion_refuses_a_model_that_is_worse_on_dev(adapted_copy: Project) -> None:
    project = adapted_copy
    # The unadapted LM-only model, registered as a newer candidate: worse on dev.
    _pending_candidate(project, "sphinx-catalog-v1")
    decision = check_promotion(project, "sphinx-catalog-v3", "sphinx-catalog-v2")
    assert not decision.promoted and decision.dev_wer_after is not None
    assert decision.dev_wer_before is not None
    assert decision.dev_wer_after > decision.dev_wer_before
    with project.session() as session:
        assert find_model(session, "sphinx-catalog").name == "sphinx-catalog-v2"
    forced = check_promotion(project, "sphinx-catalog-v3", "sphinx-catalog-v2", "always")
    assert forced.promoted
    with project.session() as session:
        assert find_model(session, "sphinx-catalog").name == "sphinx-catalog-v3"


@needs_tools
def test_promotion_refuses_a_model_no_better_than_the_live_one(adapted_copy: Project) -> None:
    # A round started from the LM-only v1 beats v1, but the live version is the adapted v2:
    # a candidate that is not better than v2 on dev must not replace it.
    project = adapted_copy
    with project.session() as session:
        assert find_model(session, "sphinx-catalog").name == "sphinx-catalog-v2"
    _pending_candidate(project, "sphinx-catalog-v2")
    decision = check_promotion(project, "sphinx-catalog-v3", "sphinx-catalog-v1")
    assert decision.dev_wer_before is not None and decision.dev_wer_after is not None
    assert decision.dev_wer_after < decision.dev_wer_before, "it does beat its base"
    assert decision.live == "sphinx-catalog-v2"
    assert decision.dev_wer_live == decision.dev_wer_after
    assert not decision.promoted and "no better than the live" in decision.reason
    with project.session() as session:
        assert find_model(session, "sphinx-catalog").name == "sphinx-catalog-v2"


@needs_tools
def test_a_killed_run_resumes_and_registers_one_model(adapted: Path, tmp_path: Path) -> None:
    root = tmp_path / "proj"
    shutil.copytree(adapted, root)
    shutil.rmtree(root / "runs")
    script = (
        "import sys; from pathlib import Path; "
        "from voxcart.datasets.store.project import open_project; "
        "from voxcart.model.adapt import AdaptConfig, adapt_sphinx; "
        "adapt_sphinx(open_project(Path(sys.argv[1])), 'sphinx-catalog-v1', 'resumed-v1', "
        "AdaptConfig(method='mllr', promote='never'))"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(root)])
    deadline = time.monotonic() + 120
    # accum/ is made just before bw starts (bw.log is written only when bw ends): kill in bw.
    while not list((root / "runs").glob("adapt/*/accum")) and time.monotonic() < deadline:
        time.sleep(0.05)
    child.kill()
    child.wait()
    project = open_project(root)
    try:
        with project.session() as session:
            assert (
                session.scalar(select(ModelVersion).where(ModelVersion.name == "resumed-v1"))
                is None
            )
        result = adapt_sphinx(
            project, "sphinx-catalog-v1", "resumed-v1", AdaptConfig(method="mllr", promote="never")
        )
        assert result.created and result.model_name == "resumed-v1"
        assert result.promotion is not None and not result.promotion.promoted
        with project.session() as session:
            names = list(session.scalars(select(ModelVersion.name)))
        assert names.count("resumed-v1") == 1
        assert (root / "models" / "resumed-v1" / "mllr_matrix").is_file()
        assert not list((root / "models").glob(".*.tmp"))
        work = next(p for p in (root / "runs" / "adapt").iterdir() if p.name != "features")
        assert json.loads((work / "job.json").read_text())["name"] == "resumed-v1"
    finally:
        project.close()


@needs_tools
def test_a_later_run_reuses_the_features_of_clips_already_featurised(
    adapted: Path, tmp_path: Path
) -> None:
    root = tmp_path / "proj"
    shutil.copytree(adapted, root)
    features = root / "runs" / "adapt" / "features"
    before = {f.name: f.stat().st_mtime_ns for f in features.glob("*.mfc")}
    assert len(before) > 20
    project = open_project(root)
    try:
        # Another tau is another job (its own work folder) over the same labelled clips.
        result = adapt_sphinx(
            project, "sphinx-catalog-v1", "tau-v1", AdaptConfig(tau=20.0, promote="never")
        )
    finally:
        project.close()
    assert result.created and result.used > 20
    assert {f.name: f.stat().st_mtime_ns for f in features.glob("*.mfc")} == before
    jobs = [p for p in (root / "runs" / "adapt").iterdir() if p.name != "features"]
    assert len(jobs) == 2 and not any((job / "feat").exists() for job in jobs)


def test_missing_tools_fail_with_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "VOXCART_SPHINXTRAIN_DIR": str(empty), "PATH": str(empty)}
    voxcart = Path(sys.executable).with_name("voxcart")
    done = subprocess.run(
        [str(voxcart), "train", "--backend", "sphinx", "-p", str(tmp_path / "none")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("voxcart: error: ")
    assert "sphinxtrain" in lines[0] and "apt-get install" in lines[0]
    monkeypatch.setenv("VOXCART_SPHINXTRAIN_DIR", str(empty))
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(SphinxToolsMissingError, match="sphinxbase-utils"):
        find_tools()
